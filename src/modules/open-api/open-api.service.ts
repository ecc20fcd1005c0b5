import QRCode from "qrcode";
import type { AppContext } from "../../context";
import { type OverLimitPolicy, planInvoices } from "../../domain";
import { AppError, isAppError } from "../../platform/errors";
import { parseInput } from "../../platform/validation";
import { recordAudit } from "../audit/audit.service";
import { disableReceiptCodeRow } from "../receipt-codes/receipt-codes.console.repository";
import {
  findConfig,
  findReceiptCodeLines,
  type ReceiptCodeRow,
} from "../receipt-codes/receipt-codes.repository";
import { createReceiptCodeInput } from "../receipt-codes/receipt-codes.schema";
import {
  contentHash,
  createReceiptCode,
  findReceiptCodeBySerialNo,
  toView,
} from "../receipt-codes/receipt-codes.service";
import { computeStored } from "../scan/scan.service";
import type { AppActor } from "./open-api.auth";
import { invoicesOfCode } from "./open-api.invoices";
import type { OpenReceiptCode, PushOrderBody } from "./open-api.schema";

type OpenContext = Pick<AppContext, "database" | "config" | "keyring">;

const orderNotFound = (orderNo: string) =>
  new AppError("RECEIPT_CODE_NOT_FOUND", `订单 ${orderNo} 没有对应的开票码`);

/**
 * 3.2.01 (and 3.1.01 once the order query answered): one receipt code per order number. The same
 * order pushed again with the same content is the same code (created: false → 200); different
 * content is ORDER_CONFLICT. The unique (org, serial_no) constraint settles concurrent pushes: the
 * loser reads the winner's code and compares content hashes like any repeat.
 */
export async function pushOrder(
  ctx: OpenContext,
  options: { actor: AppActor; body: PushOrderBody; source?: "push" | "link" },
): Promise<{ created: boolean; code: OpenReceiptCode }> {
  const { orderNo, ...rest } = options.body;
  const input = { ...rest, serialNo: orderNo };
  const hash = contentHash(parseInput(createReceiptCodeInput, input));
  const orgId = options.actor.orgId;
  const existing = await findReceiptCodeBySerialNo(ctx, orgId, orderNo);
  if (existing) return { created: false, code: await sameOrderOrConflict(ctx, existing, hash) };
  try {
    const view = await createReceiptCode(ctx, {
      actor: options.actor,
      orgId,
      source: options.source ?? "push",
      input,
    });
    const { serialNo, ...shown } = view;
    return { created: true, code: { ...shown, orderNo: serialNo } };
  } catch (e) {
    if (!isAppError(e) || e.code !== "CONFLICT") throw e;
    const winner = await findReceiptCodeBySerialNo(ctx, orgId, orderNo);
    if (!winner) throw e;
    return { created: false, code: await sameOrderOrConflict(ctx, winner, hash) };
  }
}

async function sameOrderOrConflict(
  ctx: OpenContext,
  code: ReceiptCodeRow,
  hash: string,
): Promise<OpenReceiptCode> {
  if (code.contentHash !== hash) {
    throw new AppError("ORDER_CONFLICT", `订单 ${code.serialNo} 已推送过，且内容不同`, {
      orderNo: code.serialNo,
    });
  }
  return openReceiptCodeOf(ctx, code, false);
}

/** The code with its status and, once there are any, its invoices. */
export async function getOrderCode(
  ctx: OpenContext,
  options: { actor: AppActor; orderNo: string },
): Promise<OpenReceiptCode> {
  const code = await findReceiptCodeBySerialNo(ctx, options.actor.orgId, options.orderNo);
  if (!code) throw orderNotFound(options.orderNo);
  return openReceiptCodeOf(ctx, code, true);
}

export async function openReceiptCodeOf(
  ctx: OpenContext,
  code: ReceiptCodeRow,
  withInvoices: boolean,
): Promise<OpenReceiptCode> {
  const invoices = await invoicesOfCode(ctx, code.id);
  const blue = invoices.filter((i) => i.color === "blue");
  const invoiceCount = blue.length > 0 ? blue.length : await plannedInvoiceCount(ctx, code);
  const { serialNo, orgId: _org, source: _source, ...view } = toView(ctx, code, invoiceCount);
  return { ...view, orderNo: serialNo, ...(withInvoices ? { invoices } : {}) };
}

/** How many invoices the order would make today (above the limit with `split`: several). */
async function plannedInvoiceCount(ctx: OpenContext, code: ReceiptCodeRow): Promise<number> {
  const { db } = ctx.database;
  const [lines, config] = await Promise.all([findReceiptCodeLines(db, code.id), findConfig(db, code.orgId)]);
  if (!config) return 1;
  const plan = planInvoices(computeStored(code, lines), {
    limit: config.limitText,
    policy: config.overLimitPolicy as OverLimitPolicy,
  });
  return plan.ok ? plan.value.invoices.length : 1;
}

/** The code can no longer be invoiced; one that is (or is being) invoiced answers ALREADY_INVOICED. */
export async function disableOrderCode(
  ctx: OpenContext,
  options: { actor: AppActor; orderNo: string },
): Promise<OpenReceiptCode> {
  const { db } = ctx.database;
  const code = await findReceiptCodeBySerialNo(ctx, options.actor.orgId, options.orderNo);
  if (!code) throw orderNotFound(options.orderNo);
  if (code.status !== "disabled") {
    const now = new Date();
    await db.transaction(async (tx) => {
      if (!(await disableReceiptCodeRow(tx, code.id, now)))
        throw new AppError("ALREADY_INVOICED", "该订单已开票（或正在开票），不能禁用");
      await recordAudit(tx, {
        actor: options.actor,
        orgId: code.orgId,
        action: "receipt_code.disable",
        entityType: "receipt_code",
        entityId: code.id,
        details: { serialNo: code.serialNo },
      });
    });
  }
  const fresh = await findReceiptCodeBySerialNo(ctx, options.actor.orgId, options.orderNo);
  return openReceiptCodeOf(ctx, fresh ?? code, true);
}

/** The QR of the code's consumer URL, for the POS to print. */
export async function orderQr(
  ctx: OpenContext,
  options: { actor: AppActor; orderNo: string; format: "png" | "svg" },
): Promise<Buffer | string> {
  const code = await findReceiptCodeBySerialNo(ctx, options.actor.orgId, options.orderNo);
  if (!code) throw orderNotFound(options.orderNo);
  const { url } = toView(ctx, code, 1);
  // Quartile error correction survives a smudged thermal print; margin 2 fits narrow slips.
  if (options.format === "svg")
    return QRCode.toString(url, { type: "svg", errorCorrectionLevel: "Q", margin: 2 });
  return QRCode.toBuffer(url, { type: "png", errorCorrectionLevel: "Q", margin: 2, width: 360 });
}
