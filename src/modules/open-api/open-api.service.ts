import QRCode from "qrcode";
import type { AppContext } from "../../context";
import { type OverLimitPolicy, planInvoices } from "../../domain";
import { AppError, isAppError } from "../../platform/errors";
import { parseInput } from "../../platform/validation";
import { recordAudit } from "../audit/audit.service";
import { notDisableableMessage } from "../receipt-codes/receipt-code-status";
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
import { invoicingCodeId } from "../scan/scan.merge";
import { computeStored } from "../scan/scan.service";
import { issueSubmitted, type SubmitContext } from "../scan/scan.submit";
import { findPending, matchPendingIn, type PendingMatch } from "../store-codes/store-codes.service";
import type { AppActor } from "./open-api.auth";
import { invoicesOfCode } from "./open-api.invoices";
import type { OpenReceiptCode, PushOrderBody } from "./open-api.schema";

type OpenContext = Pick<AppContext, "database" | "config" | "keyring">;

const orderNotFound = (orderNo: string) =>
  new AppError("RECEIPT_CODE_NOT_FOUND", `订单 ${orderNo} 没有对应的开票码`);

/** A push may submit a 门店码 submission's buyer, so it needs what the consumer's submit needs. */
export type PushContext = OpenContext & SubmitContext;

/**
 * 3.2.01 (and 3.1.01 once the order query answered): one receipt code per order number. The same
 * order pushed again with the same content is the same code (created: false → 200); different
 * content is ORDER_CONFLICT. The unique (org, serial_no) constraint settles concurrent pushes: the
 * loser reads the winner's code and compares content hashes like any repeat.
 *
 * With `pendingSubmissionId` (a 门店码 submission) the code is created and the submission matched and
 * submitted on it in one transaction (`matchPendingIn`), then issued; a refusal of the submission
 * creates nothing. Pushed again, the same order with the same submission is a repeat; an order
 * pushed before without one is matched now.
 */
export async function pushOrder(
  ctx: PushContext,
  options: { actor: AppActor; body: PushOrderBody; source?: "push" | "link" },
): Promise<{ created: boolean; code: OpenReceiptCode }> {
  const { orderNo, pendingSubmissionId, ...rest } = options.body;
  const input = { ...rest, serialNo: orderNo };
  const hash = contentHash(parseInput(createReceiptCodeInput, input));
  const orgId = options.actor.orgId;
  const again = (code: ReceiptCodeRow) => sameOrderOrConflict(ctx, code, hash, pendingSubmissionId);
  const existing = await findReceiptCodeBySerialNo(ctx, orgId, orderNo);
  if (existing) return { created: false, code: await again(existing) };
  let match: PendingMatch | undefined;
  try {
    const view = await createReceiptCode(ctx, {
      actor: options.actor,
      orgId,
      source: options.source ?? "push",
      input,
      ...(pendingSubmissionId && {
        alsoInTransaction: async (tx, codeId) => {
          match = await matchPendingIn(ctx, tx, { orgId, id: pendingSubmissionId, codeId });
        },
      }),
    });
    const { serialNo, ...shown } = view;
    const code = { ...shown, orderNo: serialNo };
    if (!match) return { created: true, code };
    await issueSubmitted(ctx, match);
    return { created: true, code: await openCodeNow(ctx, orgId, orderNo, code) };
  } catch (e) {
    // A concurrent push of the same order won (its code, or its claim of the same submission).
    if (!isAppError(e) || !["CONFLICT", "PENDING_SUBMISSION_CLOSED"].includes(e.code)) throw e;
    const winner = await findReceiptCodeBySerialNo(ctx, orgId, orderNo);
    if (!winner) throw e;
    return { created: false, code: await again(winner) };
  }
}

/** The code as stored now (after a match its status moved on), with its invoices once there are any. */
async function openCodeNow(ctx: OpenContext, orgId: string, orderNo: string, fallback: OpenReceiptCode) {
  const fresh = await findReceiptCodeBySerialNo(ctx, orgId, orderNo);
  return fresh ? openReceiptCodeOf(ctx, fresh, true) : fallback;
}

async function sameOrderOrConflict(
  ctx: PushContext,
  code: ReceiptCodeRow,
  hash: string,
  pendingSubmissionId?: string,
): Promise<OpenReceiptCode> {
  if (code.contentHash !== hash) {
    throw new AppError("ORDER_CONFLICT", `订单 ${code.serialNo} 已推送过，且内容不同`, {
      orderNo: code.serialNo,
    });
  }
  if (!pendingSubmissionId) return openReceiptCodeOf(ctx, code, false);
  const pending = await findPending(ctx, code.orgId, pendingSubmissionId);
  if (pending?.receiptCodeId !== code.id) {
    const match = await ctx.database.db.transaction((tx) =>
      matchPendingIn(ctx, tx, { orgId: code.orgId, id: pendingSubmissionId, codeId: code.id }),
    );
    await issueSubmitted(ctx, match);
  }
  return openCodeNow(ctx, code.orgId, code.serialNo, await openReceiptCodeOf(ctx, code, true));
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
  // A receipt added to another's submission (合并开票) shows the invoice(s) it was issued on.
  const invoices = await invoicesOfCode(ctx, await invoicingCodeId(ctx, code));
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
        throw new AppError("ALREADY_INVOICED", notDisableableMessage(code.status, "该订单"));
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
