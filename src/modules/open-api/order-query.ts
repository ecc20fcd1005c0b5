import type { z } from "zod";
import type { AppContext } from "../../context";
import { AppError } from "../../platform/errors";
import { decodeUtf8, fieldPath } from "../../platform/http";
import { OutboundError, postJson } from "../../platform/outbound-http";
import { signedHeaders } from "../../platform/signing";
import { findOrganizationByIdOrTaxId } from "../organizations/organizations.repository";
import { orderQueryAnswer } from "./open-api.schema";

/** API.md 3.1.02: Piaoma waits at most 5 s and reads at most 1 MiB. */
export const ORDER_QUERY_TIMEOUT_MS = 5000;
export const ORDER_QUERY_MAX_BYTES = 1024 * 1024;

export type OrderQueryAnswer = z.output<typeof orderQueryAnswer>;

const failed = (message: string, details?: Record<string, unknown>) =>
  new AppError("ORDER_QUERY_FAILED", message, details);

/**
 * Asks the merchant's orderQueryUrl for an order (3.1.02), signed with the same app key as the
 * link. Every way it can go wrong is one of three codes: ORDER_NOT_FOUND (404),
 * ORDER_QUERY_FAILED (no answer in time, another status, too big, not JSON, not a valid order),
 * and — checked by the caller — ORDER_AMOUNT_MISMATCH.
 */
export async function queryOrder(
  ctx: Pick<AppContext, "database" | "config">,
  options: {
    orgId: string;
    keys: { appKey: string; appSecret: string };
    orderNo: string;
    deviceNo?: string;
    amount: string;
  },
): Promise<OrderQueryAnswer> {
  const org = await findOrganizationByIdOrTaxId(ctx.database.db, options.orgId);
  const url = org?.orderQueryUrl;
  if (!url) throw failed("商户尚未配置订单查询地址（orderQueryUrl）");
  const body = JSON.stringify({
    orderNo: options.orderNo,
    ...(options.deviceNo ? { deviceNo: options.deviceNo } : {}),
    amount: options.amount,
  });
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw failed("商户的订单查询地址无效");
  }
  const headers = signedHeaders(options.keys.appKey, options.keys.appSecret, {
    method: "POST",
    pathWithQuery: `${target.pathname}${target.search}`,
    body,
  });

  let res: { status: number; body: Buffer };
  try {
    res = await postJson(url, body, headers, {
      timeoutMs: ORDER_QUERY_TIMEOUT_MS,
      maxBytes: ORDER_QUERY_MAX_BYTES,
      allowPrivate: ctx.config.allowPrivateUrls,
    });
  } catch (e) {
    if (!(e instanceof OutboundError)) throw e;
    const why = {
      timeout: "商户订单系统在 5 秒内没有应答",
      too_large: "商户订单系统的应答超过 1 MiB",
      blocked: "商户的订单查询地址指向内网，已拒绝访问",
      network: "无法连接商户订单系统",
      bad_url: "商户的订单查询地址无效",
    }[e.kind];
    throw failed(why, { reason: e.kind });
  }
  if (res.status === 404) throw new AppError("ORDER_NOT_FOUND", `商户系统中没有订单 ${options.orderNo}`);
  if (res.status !== 200)
    throw failed(`商户订单系统返回了错误（HTTP ${res.status}）`, { status: res.status });

  let json: unknown;
  try {
    // Strict UTF-8, like a request body: bad bytes are refused, not turned into U+FFFD.
    const text = decodeUtf8(res.body);
    if (text === null) throw new Error("not UTF-8");
    json = JSON.parse(text);
  } catch {
    throw failed("商户订单系统的应答不是合法的 JSON");
  }
  const parsed = orderQueryAnswer.safeParse(json);
  if (!parsed.success) {
    const fields: Record<string, string> = {};
    for (const issue of parsed.error.issues)
      fields[fieldPath("", issue.path.map(String)) || "body"] ??= issue.message;
    throw failed("商户订单系统返回的订单数据不完整或有误", { fields });
  }
  if (parsed.data.orderNo !== options.orderNo) {
    throw failed("商户订单系统返回的订单号与链接不一致", { orderNo: parsed.data.orderNo });
  }
  return parsed.data;
}
