import { compareDecimals, findTextProblem } from "../../domain";
import { safeEqual } from "../../platform/crypto";
import { AppError, isAppError } from "../../platform/errors";
import { SIGNATURE_WINDOW_SECONDS, signLinkParams } from "../../platform/signing";
import { findActiveAppSecret } from "../credentials/credentials.service";
import { findConfig } from "../receipt-codes/receipt-codes.repository";
import { findReceiptCodeBySerialNo, prepareReceiptCode } from "../receipt-codes/receipt-codes.service";
import type { AppActor } from "./open-api.auth";
import { type PushContext, pushOrder } from "./open-api.service";
import { queryOrder } from "./order-query";

const AMOUNT = /^\d{1,16}\.\d{2}$/;
const APP_KEY = /^[A-Za-z0-9_-]{1,100}$/;
const DAY_SECONDS = 86_400;

type LinkContext = PushContext;

/**
 * 3.1.01: a link the merchant's POS built and signed itself. Verified (signature, then age within
 * the config's validity), then the order is asked for (3.1.02), checked against the signed amount
 * and stored as a receipt code (source `link`) — once per order number, whatever the number of
 * scans: a later scan finds the code, concurrent first scans meet at the (org, serial_no)
 * constraint. Returns the code's token; any failure throws before anything is stored.
 */
export async function openSignedLink(
  ctx: LinkContext,
  options: { appKey: string; params: Record<string, unknown>; now?: Date },
): Promise<string> {
  // The link is a page a phone opens: its parts pass the text gate here, so a bad one is an error
  // page like any other refusal rather than a validation body (or a value the database refuses).
  if (!APP_KEY.test(options.appKey)) throw new AppError("APP_KEY_UNKNOWN", "链接中的商户标识无效或已停用");
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.params)) {
    if (findTextProblem(k)) throw new AppError("SIGNATURE_INVALID", "链接参数无效");
    if (typeof v !== "string" || findTextProblem(v))
      throw new AppError("SIGNATURE_INVALID", `链接参数 ${k} 重复或无效`);
    params[k] = v;
  }
  const { o, a, t, d, sig } = params;
  if (!o || !a || !t || !sig) throw new AppError("SIGNATURE_INVALID", "链接不完整（缺少 o、a、t 或 sig）");
  const credentials = await findActiveAppSecret(ctx, options.appKey);
  if (!credentials) throw new AppError("APP_KEY_UNKNOWN", "链接中的商户标识无效或已停用");
  if (!safeEqual(signLinkParams(credentials.appSecret, params), sig.toLowerCase())) {
    throw new AppError("SIGNATURE_INVALID", "链接签名校验失败，可能被修改过");
  }
  if (!/^\d{1,12}$/.test(t) || !AMOUNT.test(a)) throw new AppError("SIGNATURE_INVALID", "链接参数格式不正确");

  const { orgId } = credentials;
  const config = await findConfig(ctx.database.db, orgId);
  if (!config) throw new AppError("ORDER_QUERY_FAILED", "商户尚未完成小票码配置");
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const age = now - Number(t);
  if (age < -SIGNATURE_WINDOW_SECONDS || age > config.validDays * DAY_SECONDS) {
    throw new AppError("TIMESTAMP_OUT_OF_WINDOW", "该开票链接已过期，请联系商家");
  }

  const existing = await findReceiptCodeBySerialNo(ctx, orgId, o);
  if (existing) {
    if (compareDecimals(existing.totalAmount, a) !== 0) throw mismatch(existing.totalAmount, a);
    return existing.token;
  }

  const answer = await queryOrder(ctx, {
    orgId,
    keys: { appKey: options.appKey, appSecret: credentials.appSecret },
    orderNo: o,
    deviceNo: d,
    amount: a,
  });
  if (compareDecimals(answer.totalAmount, a) !== 0) throw mismatch(answer.totalAmount, a);
  const { totalAmount: _stated, ...body } = answer;
  const order = { ...body, deviceNo: body.deviceNo ?? d };
  const actor: AppActor = { type: "app", appKey: options.appKey, orgId };

  // The lines must add up to the signed amount, checked before anything is stored.
  const { orderNo, ...rest } = order;
  const prepared = await prepareReceiptCode(ctx, {
    actor,
    orgId,
    source: "link",
    input: { ...rest, serialNo: orderNo },
  }).catch((e) => {
    if (isAppError(e) && e.code === "VALIDATION_FAILED") {
      throw new AppError("ORDER_QUERY_FAILED", "商户订单系统返回的订单数据有误", { ...e.details });
    }
    throw e;
  });
  if (compareDecimals(prepared.fields.totalAmount, a) !== 0) throw mismatch(prepared.fields.totalAmount, a);
  const { code } = await pushOrder(ctx, { actor, body: order, source: "link" });
  return code.token;
}

function mismatch(actual: string, signed: string): AppError {
  return new AppError("ORDER_AMOUNT_MISMATCH", `订单金额 ${actual} 与链接中的金额 ${signed} 不一致`, {
    orderAmount: actual,
    linkAmount: signed,
  });
}
