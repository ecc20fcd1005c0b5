import { and, asc, desc, eq, inArray, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Actor, AppContext } from "../../context";
import {
  type ComputedLine,
  computeInvoice,
  type EarlierRedLine,
  isRedReason,
  type LineInput,
  negateAmount,
  RED_REASONS,
  remainingLinesOf,
  sumAmounts,
  takenBy,
  trimDecimal,
} from "../../domain";
import type { DbOrTx } from "../../platform/db/client";
import { isUniqueViolation } from "../../platform/db/errors";
import { organizations, receiptCodes, refunds, submissionCodes, submissions } from "../../platform/db/schema";
import { AppError, isAppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import type { SweepDefinition } from "../../platform/sweeper";
import { recordAudit } from "../audit/audit.service";
import { toComputedLine } from "../invoices/invoice-document";
import { isIssued } from "../invoices/invoice-status";
import { findInvoiceLines, findInvoicesOfCode } from "../invoices/invoices.repository";
import { planRedInvoice } from "../invoices/reversal.partial";
import { requirePartialRedOf, reverseInvoice } from "../invoices/reversal.service";
import { effectiveStatus } from "../receipt-codes/receipt-code-status";
import {
  closeRefundedCode,
  lockReceiptCode,
  reduceReceiptCode,
} from "../receipt-codes/receipt-codes.refunds";
import {
  findReceiptCodeBySerial,
  findReceiptCodeLines,
  type ReceiptCodeRow,
} from "../receipt-codes/receipt-codes.repository";
import { contentHash } from "../receipt-codes/receipt-codes.service";
import { computeStored } from "../scan/scan.service";
import { recordWebhookEvent } from "../webhooks/webhooks.service";
import {
  liveBlueInvoices,
  type MergedShare,
  mergedShareOf,
  planShareRefund,
  splitShareOf,
} from "./refunds.merged";
import type { RefundBody, RefundStatus, RefundView, Reversal } from "./refunds.schema";

/**
 * Refunds (API.md §1 `POST /open/v1/receipt-codes/{orderNo}/refunds`), idempotent by `refundNo`
 * within an organization. What a refund does depends on where its code is, read under the code's
 * row lock (the consumer's submit takes the same lock, scan.queries.ts SUBMIT_WRITE):
 *
 * - not invoiced (active, expired, disabled): the code's lines are reduced by what the refund
 *   takes, computed as a red invoice of the purchase would take it (the domain's planReversal:
 *   lines by number as first pushed, quantities or amounts, or an amount shared over the lines);
 *   nothing left → the code is closed (`refunded`) and its page says so;
 * - being invoiced (issuing, failed): the refund waits (`awaiting_invoice`), checked against the
 *   planned invoice, and the refunds sweep reverses the invoice once issued;
 * - invoiced: a red invoice for the refund (whole or partial, reversal.service.ts) — on each
 *   invoice that carries what it takes when the code was split over the limit (refunds.merged.ts);
 *   a channel that reverses only whole invoices, asked for a part, leaves the refund to an
 *   operator (`manual`, with the reason, in the console).
 *
 * Each applied refund is a `receipt_code.refunded` webhook; its red invoice, once issued, is the
 * usual `invoice.reversed`.
 */

type RefundContext = Pick<
  AppContext,
  "database" | "providers" | "jobs" | "log" | "config" | "deliveries" | "metrics"
>;
export type RefundRow = typeof refunds.$inferSelect;

export const REFUNDS_SWEEP = "refunds-awaiting-invoice";

const notFound = (orderNo: string) =>
  new AppError("RECEIPT_CODE_NOT_FOUND", `订单 ${orderNo} 没有对应的开票码`);

export async function refundOrder(
  ctx: RefundContext,
  options: { actor: Extract<Actor, { type: "app" }>; orderNo: string; body: RefundBody },
): Promise<{ created: boolean; view: RefundView }> {
  const { db } = ctx.database;
  const { actor, orderNo, body } = options;
  const code = await findReceiptCodeBySerial(db, actor.orgId, orderNo);
  if (!code) throw notFound(orderNo);
  if (!isRedReason(body.reason)) {
    throw AppError.validation({ reason: `退款原因须为：${RED_REASONS.join("、")}` });
  }
  const hash = contentHash({ orderNo, reason: body.reason, lines: body.lines, amount: body.amount });
  const repeat = await repeatOf(ctx, actor.orgId, body.refundNo, hash);
  if (repeat) return { created: false, view: repeat };

  let row: RefundRow;
  try {
    row = await db.transaction((tx) => decideRefund(ctx, tx, { actor, code, body, hash }));
  } catch (e) {
    // The same refundNo sent twice at once: the one that lost the insert answers as a repeat.
    if (!isUniqueViolation(e)) throw e;
    const again = await repeatOf(ctx, actor.orgId, body.refundNo, hash);
    if (!again) throw e;
    return { created: false, view: again };
  }
  if (row.status === "reversing" && !row.redInvoiceId) {
    try {
      row = await applyToInvoice(ctx, row, actor);
    } catch (e) {
      // Refused outright (beyond what remains, malformed for this invoice): the refund is not kept.
      await db.delete(refunds).where(eq(refunds.id, row.id));
      throw e;
    }
  }
  return { created: true, view: await refundView(ctx, row, code) };
}

/** The same refundNo again: the same request answers as before, another one conflicts. */
async function repeatOf(
  ctx: RefundContext,
  orgId: string,
  refundNo: string,
  hash: string,
): Promise<RefundView | null> {
  const [existing] = await ctx.database.db
    .select()
    .from(refunds)
    .where(and(eq(refunds.orgId, orgId), eq(refunds.refundNo, refundNo)));
  if (!existing) return null;
  if (existing.requestHash !== hash) {
    throw new AppError("REFUND_CONFLICT", `退款单号 ${refundNo} 已使用过，且订单或退款内容不同`, {
      refundNo,
    });
  }
  return refundView(ctx, existing);
}

/**
 * In a transaction: locks the code and decides what the refund does to it (see above), writing the
 * refund row and, for a code not yet invoiced, the code's reduction. Exported for the race tests,
 * which hold the transaction open while a consumer's submit waits for the same row.
 */
export async function decideRefund(
  ctx: Pick<AppContext, "jobs">,
  tx: DbOrTx,
  options: { actor: Actor; code: ReceiptCodeRow; body: RefundBody; hash: string },
): Promise<RefundRow> {
  const { actor, body } = options;
  const code = await lockReceiptCode(tx, options.code.id);
  if (!code) throw notFound(options.code.serialNo);
  const base = {
    id: newId("rfd"),
    orgId: code.orgId,
    receiptCodeId: code.id,
    refundNo: body.refundNo,
    requestHash: options.hash,
    reason: body.reason,
    lines: body.lines ?? null,
    amount: body.amount ?? null,
  };
  const request = { reason: body.reason, lines: body.lines, amount: body.amount };
  let row: typeof refunds.$inferInsert;
  switch (code.status) {
    case "active":
    case "disabled": {
      const reduced = await reduceBeforeInvoice(tx, code, request);
      row = { ...base, ...reduced };
      break;
    }
    case "issuing":
    case "failed": {
      // Checked now against the planned invoice, applied once it is issued (the refunds sweep).
      await checkedAgainstPurchase(tx, code, request);
      row = {
        ...base,
        status: "awaiting_invoice",
        note: "小票正在开票，发票开具后自动红冲",
      };
      break;
    }
    case "invoiced": {
      await checkedAgainstPurchase(tx, code, request);
      row = { ...base, status: "reversing" };
      break;
    }
    case "merged": {
      // Added to another code's submission (合并开票): that code's status says where its invoices
      // are (its row locked too, as a refund of that code would), and the refund takes this
      // receipt's share of them.
      const share = await mergedShareOf(tx, code.id);
      const primary = share ? await lockReceiptCode(tx, share.primaryCodeId) : undefined;
      if (primary?.status === "invoiced" || primary?.status === "issuing" || primary?.status === "failed") {
        await checkedAgainstPurchase(tx, code, request);
        row =
          primary.status === "invoiced"
            ? { ...base, status: "reversing" }
            : { ...base, status: "awaiting_invoice", note: "小票正在合并开票，发票开具后自动红冲" };
      } else {
        row = { ...base, status: "manual", note: "未找到该小票合并开具的发票，请在控制台处理" };
      }
      break;
    }
    case "refunded":
      throw new AppError("NOTHING_LEFT_TO_REVERSE", "该订单已全部退款，没有可退的金额");
    default:
      throw new Error(`receipt code ${code.id}: unknown status ${code.status}`);
  }
  const [inserted] = await tx.insert(refunds).values(row).returning();
  await recordAudit(tx, {
    actor,
    orgId: code.orgId,
    action: "receipt_code.refund",
    entityType: "receipt_code",
    entityId: code.id,
    details: {
      refundNo: body.refundNo,
      reason: body.reason,
      status: row.status,
      totalAmount: row.totalAmount,
    },
  });
  if (inserted!.status === "reduced" || inserted!.status === "closed") {
    await recordRefundedEvent(ctx, tx, inserted!, code);
  }
  return inserted!;
}

/**
 * A code not yet invoiced: what the refund takes from its lines as first pushed (earlier refunds
 * counted), and its lines and totals after — or closed when nothing remains.
 */
async function reduceBeforeInvoice(
  tx: DbOrTx,
  code: ReceiptCodeRow,
  request: { reason: string; lines?: unknown; amount?: unknown },
): Promise<Pick<typeof refunds.$inferInsert, "status" | "totalAmount" | "pieces" | "linesBefore">> {
  const { first, earlier } = await reductionsOf(tx, code);
  const linesBefore = first ?? computeStored(code, await findReceiptCodeLines(tx, code.id)).lines;
  const plan = planRedInvoice(linesBefore, earlier, request);
  const pieces = takenBy(plan);
  const totalAmount = negateAmount(plan.red.totals.totalAmount);
  const common = { totalAmount, pieces, linesBefore: first ? null : linesBefore };
  if (plan.exhausts) {
    if (!(await closeRefundedCode(tx, code.id))) throw new Error(`receipt code ${code.id} not refundable`);
    return { ...common, status: "closed" };
  }
  const remaining = remainingLinesOf(linesBefore, [...earlier, ...pieces]);
  await reduceReceiptCode(
    tx,
    code.id,
    recomputed(
      code,
      remaining.map((r) => r.line),
    ),
  );
  return { ...common, status: "reduced" };
}

/** The code's reductions so far: its lines before the first, and every piece they took. */
async function reductionsOf(
  db: DbOrTx,
  code: Pick<ReceiptCodeRow, "id">,
): Promise<{ first: ComputedLine[] | null; earlier: EarlierRedLine[] }> {
  const rows = await db
    .select({ pieces: refunds.pieces, linesBefore: refunds.linesBefore })
    .from(refunds)
    .where(and(eq(refunds.receiptCodeId, code.id), inArray(refunds.status, ["reduced", "closed"])))
    .orderBy(asc(refunds.createdAt));
  const withLines = rows.find((r) => r.linesBefore !== null);
  return {
    first: (withLines?.linesBefore as ComputedLine[] | undefined) ?? null,
    earlier: rows.flatMap((r) => (r.pieces as EarlierRedLine[] | null) ?? []),
  };
}

/** The remaining lines as the code stores them: recomputed by the rules engine, amounts kept exact. */
function recomputed(code: Pick<ReceiptCodeRow, "id" | "priceIncludesTax">, lines: ComputedLine[]) {
  const input: LineInput[] = lines.map((l) => {
    const amount = code.priceIncludesTax ? l.amountIncludingTax : l.amountExcludingTax;
    const price = code.priceIncludesTax ? l.unitPriceIncludingTax : l.unitPrice;
    return {
      kind: "normal",
      name: l.name,
      shortName: l.shortName,
      taxCode: l.taxCode,
      taxRate: trimDecimal(l.taxRate),
      zeroRateKind: l.zeroRateKind ?? undefined,
      spec: l.spec || null,
      unit: l.unit || null,
      quantity: l.quantity,
      unitPrice: l.quantity === null ? null : price,
      amount,
      // A price including tax leaves the tax to the rules; otherwise the tax left is kept exact.
      ...(code.priceIncludesTax ? {} : { tax: l.tax }),
    } as LineInput;
  });
  const result = computeInvoice({ priceIncludesTax: code.priceIncludesTax, lines: input });
  if (!result.ok)
    throw new Error(`receipt code ${code.id}: reduced lines do not compute: ${result.issues[0]?.message}`);
  return result.value;
}

/**
 * A refund of a code being (or already) invoiced, checked against what it would reverse: its share
 * of a merged submission's invoices (refunds.merged.ts), its lines on the invoices it was split
 * into, or its own one invoice.
 */
async function checkedAgainstPurchase(
  db: DbOrTx,
  code: ReceiptCodeRow,
  request: { reason: string; lines?: unknown; amount?: unknown },
): Promise<void> {
  let share = await mergedShareOf(db, code.id);
  if (!share) {
    const blues = await liveBlueInvoices(db, code.id);
    if (blues.length <= 1) return checkedAgainstInvoice(db, code, request);
    share = await splitShareOf(db, code, blues);
  }
  if (!share.pieces) return;
  await planShareRefund(
    db,
    { ...share, pieces: share.pieces },
    { ...request, lines: await invoiceLinesOf(db, code, request.lines) },
  );
}

/**
 * A refund of a code being (or already) invoiced, checked against its one blue invoice's lines as
 * planned (refunds taken before it was invoiced renumbered), so a bad request is refused at once.
 */
async function checkedAgainstInvoice(
  db: DbOrTx,
  code: ReceiptCodeRow,
  request: { reason: string; lines?: unknown; amount?: unknown },
): Promise<void> {
  const blues = await liveBlueInvoices(db, code.id);
  if (blues.length !== 1) return;
  const blue = blues[0]!;
  const blueLines = (await findInvoiceLines(db, blue.id)).map(toComputedLine);
  const reds = (await findInvoicesOfCode(db, code.id)).filter(
    (i) => i.blueInvoiceId === blue.id && i.status !== "failed",
  );
  const earlier: EarlierRedLine[] = [];
  for (const red of reds) {
    for (const l of await findInvoiceLines(db, red.id)) {
      earlier.push({
        blueLineNo: l.blueLineNo ?? 0,
        quantity: l.quantity === null ? null : trimDecimal(l.quantity),
        amountExcludingTax: l.amountExcludingTax,
        tax: l.tax,
        amountIncludingTax: l.amountIncludingTax,
      });
    }
  }
  planRedInvoice(blueLines, earlier, { ...request, lines: await invoiceLinesOf(db, code, request.lines) });
}

/**
 * Refund lines name the code's lines as first pushed; once earlier refunds reduced the code before
 * it was invoiced, its invoice numbers the lines that were left: the numbers are translated.
 */
async function invoiceLinesOf(
  db: DbOrTx,
  code: Pick<ReceiptCodeRow, "id">,
  lines: unknown,
): Promise<unknown> {
  if (!Array.isArray(lines)) return lines;
  const { first, earlier } = await reductionsOf(db, code);
  if (!first) return lines;
  const left = remainingLinesOf(first, earlier).map((r) => r.lineNo);
  const fields: Record<string, string> = {};
  const translated = lines.map((raw: unknown, i) => {
    if (typeof raw !== "object" || raw === null) return raw;
    const entry = raw as { lineNo?: unknown };
    const at = left.indexOf(entry.lineNo as number);
    if (at < 0) fields[`lines[${i}].lineNo`] = `第${String(entry.lineNo)}行已全部退款或不存在`;
    return { ...entry, lineNo: at + 1 };
  });
  if (Object.keys(fields).length > 0)
    throw new AppError("NOTHING_LEFT_TO_REVERSE", Object.values(fields).join("；"), { fields });
  return translated;
}

/**
 * A refund of an invoiced code: its red invoice (reversal.service.ts, which plans it under the blue
 * invoice's row lock), its red invoices on the invoices it was split into, or — when the channel
 * reverses only whole invoices — the refund marked for an operator. Errors other than those are the caller's.
 */
async function applyToInvoice(ctx: RefundContext, refund: RefundRow, actor: Actor): Promise<RefundRow> {
  const { db } = ctx.database;
  const share = await mergedShareOf(db, refund.receiptCodeId);
  if (share) return applyToShare(ctx, refund, actor, share);
  const blues = await liveBlueInvoices(db, refund.receiptCodeId);
  if (blues.length > 1) {
    // Split over the limit: the refund takes its lines from the invoices that carry them.
    const [code] = await db.select().from(receiptCodes).where(eq(receiptCodes.id, refund.receiptCodeId));
    return applyToShare(ctx, refund, actor, await splitShareOf(db, code!, blues), SPLIT_WORDS);
  }
  const issued = blues.filter((b) => isIssued(b.status) && b.number);
  if (issued.length !== 1) {
    return settle(ctx, refund, { status: "manual", note: "发票未能开具，请在控制台处理后手工红冲" });
  }
  const blue = issued[0]!;
  try {
    const { created, red } = await reverseInvoice(ctx, {
      actor,
      invoiceId: blue.id,
      reason: refund.reason,
      lines: await invoiceLinesOf(db, { id: refund.receiptCodeId }, refund.lines ?? undefined),
      amount: refund.amount ?? undefined,
    });
    if (!created) throw new AppError("NOTHING_LEFT_TO_REVERSE", "该订单的发票已全部红冲，没有可退的金额");
    return settle(ctx, refund, {
      status: "reversing",
      blueInvoiceId: blue.id,
      redInvoiceId: red.id,
      reversals: [{ blueInvoiceId: blue.id, redInvoiceId: red.id }],
      totalAmount: negateAmount(red.totalAmount),
      note: "",
    });
  } catch (e) {
    if (isAppError(e) && e.code === "PARTIAL_RED_NOT_SUPPORTED") {
      return settle(ctx, refund, {
        status: "manual",
        blueInvoiceId: blue.id,
        note: `${e.message}（部分退款需人工处理）`,
      });
    }
    throw e;
  }
}

/** How a refund's notes name the receipt and its invoices: merged with others, or split alone. */
interface ShareWords {
  receipt: string;
  invoices: string;
}
const MERGE_WORDS: ShareWords = { receipt: "合并开票的小票", invoices: "合并开具的发票" };
const SPLIT_WORDS: ShareWords = { receipt: "超限额拆分开具的小票", invoices: "拆分开具的发票" };

/**
 * A refund of a receipt invoiced with others (合并开票), or of one split over the limit alone: a red invoice on each invoice that carries
 * its lines (refunds.merged.ts), all planned before any is made; a channel that reverses only whole
 * invoices, asked for a part, leaves the whole refund to an operator. Should a later invoice of a
 * split refuse after an earlier one was reversed, what was made is kept and the rest left to an
 * operator, with both in the note.
 */
async function applyToShare(
  ctx: RefundContext,
  refund: RefundRow,
  actor: Actor,
  share: MergedShare,
  words: ShareWords = MERGE_WORDS,
): Promise<RefundRow> {
  const { db } = ctx.database;
  if (!share.pieces) {
    return settle(ctx, refund, {
      status: "manual",
      note: `${words.receipt}：无法从${words.invoices}上认出该小票的明细，请在控制台按退款红冲`,
    });
  }
  const pieces = share.pieces;
  const carrying = share.blues.filter((_, k) => pieces.some((p) => p.invoice === k));
  if (carrying.some((b) => !isIssued(b.status) || !b.number)) {
    return settle(ctx, refund, {
      status: "manual",
      note: `${words.invoices}未能开具，请在控制台处理后手工红冲`,
    });
  }
  const lines = await invoiceLinesOf(db, { id: refund.receiptCodeId }, refund.lines ?? undefined);
  const { requests } = await planShareRefund(
    db,
    { ...share, pieces },
    { reason: refund.reason, lines, amount: refund.amount ?? undefined },
  );
  const partial = requests.find((r) => !r.whole);
  if (partial) {
    try {
      await requirePartialRedOf(db, share.blues[partial.invoice]!);
    } catch (e) {
      if (!isAppError(e) || e.code !== "PARTIAL_RED_NOT_SUPPORTED") throw e;
      return settle(ctx, refund, {
        status: "manual",
        blueInvoiceId: share.blues[partial.invoice]!.id,
        note: `${e.message}（${words.receipt}部分退款需人工处理）`,
      });
    }
  }
  const made: Array<{ blueInvoiceId: string; redInvoiceId: string; totalAmount: string }> = [];
  for (const request of requests) {
    const blue = share.blues[request.invoice]!;
    try {
      const { created, red } = await reverseInvoice(ctx, {
        actor,
        invoiceId: blue.id,
        reason: refund.reason,
        lines: request.whole ? undefined : request.lines,
      });
      if (!created) throw new AppError("NOTHING_LEFT_TO_REVERSE", `发票 ${blue.number} 已全部红冲`);
      made.push({ blueInvoiceId: blue.id, redInvoiceId: red.id, totalAmount: negateAmount(red.totalAmount) });
    } catch (e) {
      if (made.length === 0) throw e;
      const message = isAppError(e) ? e.message : "自动红冲失败";
      if (!isAppError(e)) ctx.log.error({ err: e, refundId: refund.id }, "merged refund: a later red failed");
      return settle(ctx, refund, {
        ...reversalsOutcome(made),
        status: "manual",
        note: `已红冲${made.length}张发票；发票 ${blue.number} 未能红冲（${message}），请在控制台处理`,
      });
    }
  }
  return settle(ctx, refund, { ...reversalsOutcome(made), status: "reversing", note: "" });
}

function reversalsOutcome(made: Array<{ blueInvoiceId: string; redInvoiceId: string; totalAmount: string }>) {
  return {
    blueInvoiceId: made[0]!.blueInvoiceId,
    redInvoiceId: made[0]!.redInvoiceId,
    reversals: made.map(({ blueInvoiceId, redInvoiceId }) => ({ blueInvoiceId, redInvoiceId })),
    totalAmount: sumAmounts(made.map((m) => m.totalAmount)),
  };
}

/** The refund's outcome, with its webhook, in one transaction. */
async function settle(
  ctx: RefundContext,
  refund: RefundRow,
  outcome: Partial<
    Pick<RefundRow, "blueInvoiceId" | "redInvoiceId" | "totalAmount" | "note"> & { reversals: Reversal[] }
  > & {
    status: RefundStatus;
  },
): Promise<RefundRow> {
  return ctx.database.db.transaction(async (tx) => {
    const [row] = await tx
      .update(refunds)
      .set({ ...outcome, updatedAt: new Date() })
      .where(eq(refunds.id, refund.id))
      .returning();
    const [code] = await tx.select().from(receiptCodes).where(eq(receiptCodes.id, refund.receiptCodeId));
    if (row && code) await recordRefundedEvent(ctx, tx, row, code);
    return row ?? refund;
  });
}

/** `receipt_code.refunded`: the refund and the code after it, for organizations with a webhookUrl. */
async function recordRefundedEvent(
  ctx: Pick<AppContext, "jobs">,
  tx: DbOrTx,
  refund: RefundRow,
  code: ReceiptCodeRow,
): Promise<void> {
  const [org] = await tx
    .select({ webhookUrl: organizations.webhookUrl })
    .from(organizations)
    .where(eq(organizations.id, refund.orgId));
  if (!org?.webhookUrl) return;
  const [fresh] = await tx.select().from(receiptCodes).where(eq(receiptCodes.id, code.id));
  await recordWebhookEvent(ctx, tx, {
    orgId: refund.orgId,
    type: "receipt_code.refunded",
    invoiceId: refund.redInvoiceId ?? refund.blueInvoiceId,
    data: refundViewOf(refund, fresh ?? code),
  });
}

export function refundViewOf(refund: RefundRow, code: ReceiptCodeRow): RefundView {
  return {
    refundNo: refund.refundNo,
    orderNo: code.serialNo,
    reason: refund.reason,
    lines: refund.lines ?? null,
    amount: refund.amount,
    status: refund.status as RefundStatus,
    totalAmount: refund.totalAmount,
    note: refund.note,
    blueInvoiceId: refund.blueInvoiceId,
    redInvoiceId: refund.redInvoiceId,
    reversals: (refund.reversals as Reversal[] | null) ?? [],
    createdAt: refund.createdAt.toISOString(),
    receiptCode: {
      status: effectiveStatus(code),
      totals: {
        amountExcludingTax: code.amountExcludingTax,
        taxAmount: code.taxAmount,
        totalAmount: code.totalAmount,
      },
    },
  };
}

async function refundView(
  ctx: RefundContext,
  refund: RefundRow,
  known?: ReceiptCodeRow,
): Promise<RefundView> {
  const [code] = await ctx.database.db
    .select()
    .from(receiptCodes)
    .where(eq(receiptCodes.id, refund.receiptCodeId));
  return refundViewOf(refund, code ?? known!);
}

/**
 * The refunds waiting for their code's invoice: once the code is invoiced, each is applied (a red
 * invoice, or left to an operator). A refund is claimed by moving it out of `awaiting_invoice`
 * first, so two processes never apply it twice.
 */
export function refundsSweep(ctx: RefundContext): SweepDefinition {
  return {
    name: REFUNDS_SWEEP,
    concurrency: 2,
    intervalSeconds: Math.max(ctx.config.tuning.jobPollSeconds, 10),
    claim: async (limit) => {
      // A receipt added to another's submission (合并开票) waits for that code's invoices.
      const primary = alias(receiptCodes, "primary_code");
      const rows = await ctx.database.db
        .select({ id: refunds.id })
        .from(refunds)
        .innerJoin(receiptCodes, eq(receiptCodes.id, refunds.receiptCodeId))
        .leftJoin(submissionCodes, eq(submissionCodes.receiptCodeId, refunds.receiptCodeId))
        .leftJoin(submissions, eq(submissions.id, submissionCodes.submissionId))
        .leftJoin(primary, eq(primary.id, submissions.receiptCodeId))
        .where(
          and(
            eq(refunds.status, "awaiting_invoice"),
            or(
              eq(receiptCodes.status, "invoiced"),
              and(eq(receiptCodes.status, "merged"), eq(primary.status, "invoiced")),
            ),
          ),
        )
        .orderBy(asc(refunds.createdAt))
        .limit(limit);
      return rows.map((r) => r.id);
    },
    handle: async (id) => {
      await applyAwaitingRefund(ctx, id);
    },
  };
}

/** Applies one refund that waited for its invoice; false when another process took it. */
export async function applyAwaitingRefund(ctx: RefundContext, id: string): Promise<boolean> {
  const [claimed] = await ctx.database.db
    .update(refunds)
    .set({ status: "reversing", note: "", updatedAt: new Date() })
    .where(and(eq(refunds.id, id), eq(refunds.status, "awaiting_invoice")))
    .returning();
  if (!claimed) return false;
  try {
    await applyToInvoice(ctx, claimed, { type: "system", reason: "refund" });
  } catch (e) {
    const message = isAppError(e) ? e.message : "自动红冲失败";
    if (!isAppError(e)) ctx.log.error({ err: e, refundId: id }, "refund after invoicing failed");
    await settle(ctx, claimed, { status: "manual", note: `自动红冲未成功：${message}` });
  }
  return true;
}

/** The refunds of a code, or of an invoice (as blue or red), newest first: the console's lists. */
export async function findRefunds(
  db: DbOrTx,
  where: { receiptCodeId: string } | { invoiceId: string },
): Promise<RefundRow[]> {
  return db
    .select()
    .from(refunds)
    .where(
      "receiptCodeId" in where
        ? eq(refunds.receiptCodeId, where.receiptCodeId)
        : or(
            eq(refunds.blueInvoiceId, where.invoiceId),
            eq(refunds.redInvoiceId, where.invoiceId),
            // The second and later invoices of a merged receipt's refund (合并开票 over a split).
            sql`${refunds.reversals} @> ${JSON.stringify([{ blueInvoiceId: where.invoiceId }])}::jsonb`,
            sql`${refunds.reversals} @> ${JSON.stringify([{ redInvoiceId: where.invoiceId }])}::jsonb`,
          ),
    )
    .orderBy(desc(refunds.createdAt));
}
