import { and, asc, eq, inArray, ne } from "drizzle-orm";
import {
  type ComputedLine,
  compareDecimals,
  type DomainIssue,
  type EarlierRedLine,
  EXCEEDS_CODES,
  issuesToFields,
  negateAmount,
  planReversal,
  type ReversalPlan,
  type Reversible,
  reversibleOf,
  sumAmounts,
  trimDecimal,
} from "../../domain";
import type { DbOrTx } from "../../platform/db/client";
import { invoiceLines, invoices } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { toComputedLine } from "./invoice-document";
import { INVOICE_MOVES } from "./invoice-status";
import { type InvoiceLineRow, type InvoiceRow, invoiceLineRows } from "./invoices.repository";

/**
 * 部分红冲 (DOMAIN.md §8) around the domain's planReversal: what earlier red invoices of a blue one
 * took (read under a row lock on the blue invoice, so concurrent reversals are planned one after
 * the other and never add up to more than it), the refusals as API errors, and what remains
 * reversible for the console and the open API.
 *
 * Every red invoice of a blue one counts except failed ones (refused by the channel, or its 红字确认单
 * refused or expired): what they would have reversed is reversible again.
 */

/** The red invoices' lines of a blue invoice, each with the blue line it reverses. */
export async function earlierRedLinesOf(
  db: DbOrTx,
  blueId: string,
  blueLines: readonly ComputedLine[],
): Promise<EarlierRedLine[]> {
  const reds = await db
    .select({ id: invoices.id })
    .from(invoices)
    .where(and(eq(invoices.blueInvoiceId, blueId), ne(invoices.status, INVOICE_MOVES.refuse.to)))
    .orderBy(asc(invoices.createdAt));
  return redLinesOf(
    db,
    reds.map((r) => r.id),
    blueLines,
  );
}

/** The lines of these red invoices (of one blue invoice), each with the blue line it reverses. */
export async function redLinesOf(
  db: DbOrTx,
  redIds: readonly string[],
  blueLines: readonly ComputedLine[],
): Promise<EarlierRedLine[]> {
  if (redIds.length === 0) return [];
  const rows = await db
    .select()
    .from(invoiceLines)
    .where(inArray(invoiceLines.invoiceId, [...redIds]))
    .orderBy(asc(invoiceLines.invoiceId), asc(invoiceLines.position));
  const blueLineNoOf = blueLineNumbering(blueLines);
  return rows.map((r) => ({
    blueLineNo: blueLineNoOf(r),
    quantity: r.quantity === null ? null : trimDecimal(r.quantity),
    amountExcludingTax: r.amountExcludingTax,
    tax: r.tax,
    amountIncludingTax: r.amountIncludingTax,
  }));
}

/** The printed numbers (1-based) of the blue lines that are not discount rows, in order. */
function netLineNosOf(blueLines: ReadonlyArray<{ kind: string }>): number[] {
  return blueLines.flatMap((l, i) => (l.kind === "discount" ? [] : [i + 1]));
}

/**
 * The number (as printed, 1-based, discount rows counted) of the blue line a red line reverses.
 * Red invoices from before 部分红冲 reversed everything, one red line per blue line (a discounted
 * pair merged) in order, and did not store the blue line's number: their position tells it.
 */
function blueLineNumbering(blueLines: ReadonlyArray<{ kind: string }>) {
  const netLineNos = netLineNosOf(blueLines);
  return (red: Pick<InvoiceLineRow, "blueLineNo" | "position">) =>
    red.blueLineNo ?? netLineNos[red.position] ?? 0;
}

/**
 * For each red line (in order), the blue line it reverses, numbered as printed (`lineNo`) and as
 * counted without discount rows (`netLineNo`): what a channel's partial 红字确认单 names
 * (channel.ts ReversedBlue).
 */
export function reversedLineNumbers(
  blueLines: ReadonlyArray<{ kind: string }>,
  redLines: ReadonlyArray<Pick<InvoiceLineRow, "blueLineNo" | "position">>,
): Array<{ lineNo: number; netLineNo: number }> {
  const blueLineNoOf = blueLineNumbering(blueLines);
  const netLineNos = netLineNosOf(blueLines);
  return redLines.map((r) => {
    const lineNo = blueLineNoOf(r);
    return { lineNo, netLineNo: netLineNos.indexOf(lineNo) + 1 };
  });
}

/** In a transaction: locks the blue invoice's row until it ends (concurrent reversals wait here). */
export async function lockBlueInvoice(tx: DbOrTx, blueId: string): Promise<void> {
  await tx.select({ id: invoices.id }).from(invoices).where(eq(invoices.id, blueId)).for("update");
}

export type RedRequest = { reason: string; lines?: unknown; amount?: unknown };

/**
 * The red invoice a request asks for, or the error saying why not: a request beyond what remains
 * is `409 NOTHING_LEFT_TO_REVERSE` (with what remains), anything else malformed
 * `422 VALIDATION_FAILED`; both name every offending field.
 */
export function planRedInvoice(
  blueLines: readonly ComputedLine[],
  earlier: readonly EarlierRedLine[],
  request: RedRequest,
): ReversalPlan {
  const planned = planReversal(blueLines, earlier, request);
  if (planned.ok) return planned.value;
  throw reversalError(planned.issues, reversibleOf(blueLines, earlier));
}

/** A refused reversal as an API error (`remaining`, when known, says what is left to reverse). */
export function reversalError(issues: DomainIssue[], reversible?: Reversible): AppError {
  const listed = issues.map((i) => ({ code: i.code, path: i.path, message: i.message, details: i.details }));
  const exceeds = issues.filter((i) => (EXCEEDS_CODES as readonly string[]).includes(i.code));
  if (exceeds.length > 0 && exceeds.length === issues.length) {
    return new AppError("NOTHING_LEFT_TO_REVERSE", exceeds.map((i) => i.message).join("；"), {
      fields: issuesToFields(issues),
      issues: listed,
      ...(reversible ? { remaining: reversible.remaining } : {}),
    });
  }
  return new AppError("VALIDATION_FAILED", issues.map((i) => i.message).join("；"), {
    fields: issuesToFields(issues),
    issues: listed,
  });
}

/** The red invoice's lines as rows, each with the number of the blue line it reverses. */
export function redLineRows(invoiceId: string, plan: ReversalPlan): InvoiceLineRow[] {
  return invoiceLineRows(invoiceId, plan.red.lines).map((row, i) => ({
    ...row,
    blueLineNo: plan.pieces[i]!.blueLineNo,
  }));
}

/** What a reversal took, for the audit entry and the invoice.reversed webhook. */
export function reversalSummary(plan: ReversalPlan) {
  return {
    whole: plan.whole,
    lines: plan.pieces.map((p) => ({
      lineNo: p.blueLineNo,
      quantity: p.line.quantity,
      amountExcludingTax: p.line.amountExcludingTax,
      tax: p.line.tax,
      amountIncludingTax: p.line.amountIncludingTax,
    })),
    totals: plan.red.totals,
    remaining: plan.remainingAfter,
  };
}

/** A blue invoice's reversible state as the console and the open API show it. */
export interface ReversibleView {
  /** What remains to reverse, positive; zero when fully reversed. */
  remaining: { amountExcludingTax: string; taxAmount: string; totalAmount: string };
  lines: Array<{
    lineNo: number;
    itemName: string;
    unit: string;
    taxRateLabel: string;
    /** The blue line (a discounted pair: its net), positive. */
    quantity: string | null;
    amountIncludingTax: string;
    /** Already reversed (by red invoices not failed or failed but retriable), positive. */
    reversedQuantity: string | null;
    reversedAmount: string;
    remainingQuantity: string | null;
    remainingAmount: string;
  }>;
}

/** What remains reversible of a blue invoice (null for a red invoice or one not issued). */
export async function reversibleViewOf(db: DbOrTx, invoice: InvoiceRow): Promise<ReversibleView | null> {
  if (invoice.color !== "blue" || !invoice.number) return null;
  const blueLines = (
    await db
      .select()
      .from(invoiceLines)
      .where(eq(invoiceLines.invoiceId, invoice.id))
      .orderBy(asc(invoiceLines.position))
  ).map(toComputedLine);
  const r = reversibleOf(blueLines, await earlierRedLinesOf(db, invoice.id, blueLines));
  return {
    remaining: r.remaining,
    lines: r.lines.map((l) => ({
      lineNo: l.lineNo,
      itemName: l.line.itemName,
      unit: l.line.unit,
      taxRateLabel: l.line.taxRateLabel,
      quantity: l.line.quantity,
      amountIncludingTax: l.line.amountIncludingTax,
      reversedQuantity: l.reversed.quantity,
      reversedAmount: l.reversed.amountIncludingTax,
      remainingQuantity: l.remaining.quantity,
      remainingAmount: l.remaining.amountIncludingTax,
    })),
  };
}

/**
 * The move of a blue invoice once one of its red invoices is issued (called in the transaction that
 * saves it, after locking the blue row): `reverse` (to `reversed`) when its issued red invoices take
 * all of it, `reversePartly` (to `partially_reversed`) otherwise.
 */
export async function blueMoveAfterReversal(
  tx: DbOrTx,
  blue: Pick<InvoiceRow, "id" | "totalAmount">,
): Promise<"reverse" | "reversePartly"> {
  const issued = await tx
    .select({ totalAmount: invoices.totalAmount })
    .from(invoices)
    .where(and(eq(invoices.blueInvoiceId, blue.id), eq(invoices.status, ISSUED)));
  // Red totals are negative: fully reversed when their sum reaches the negated blue total.
  const taken = sumAmounts(issued.map((r) => r.totalAmount));
  return compareDecimals(taken, negateAmount(blue.totalAmount)) <= 0 ? "reverse" : "reversePartly";
}

/** A red invoice counts once issued (INVOICE_MOVES.issue). */
const ISSUED = INVOICE_MOVES.issue.to;

/** What one red invoice took from its blue invoice, positive (the invoice.reversed webhook). */
export interface ReversalTaken {
  redInvoiceId: string;
  number: string | null;
  reason: string;
  lines: Array<{
    lineNo: number;
    quantity: string | null;
    amountExcludingTax: string;
    tax: string;
    amountIncludingTax: string;
  }>;
  totals: { amountExcludingTax: string; taxAmount: string; totalAmount: string };
}

export async function reversalTakenBy(db: DbOrTx, red: InvoiceRow): Promise<ReversalTaken | null> {
  if (red.color !== "red" || !red.blueInvoiceId) return null;
  const [redRows, blueRows] = await Promise.all([
    db
      .select()
      .from(invoiceLines)
      .where(eq(invoiceLines.invoiceId, red.id))
      .orderBy(asc(invoiceLines.position)),
    db
      .select()
      .from(invoiceLines)
      .where(eq(invoiceLines.invoiceId, red.blueInvoiceId))
      .orderBy(asc(invoiceLines.position)),
  ]);
  const blueLineNoOf = blueLineNumbering(blueRows);
  const positive = (amount: string) => negateAmount(amount);
  return {
    redInvoiceId: red.id,
    number: red.number,
    reason: red.reverseReason ?? "",
    lines: redRows.map((r) => ({
      lineNo: blueLineNoOf(r),
      quantity: r.quantity === null ? null : trimDecimal(r.quantity).replace(/^-/, ""),
      amountExcludingTax: positive(r.amountExcludingTax),
      tax: positive(r.tax),
      amountIncludingTax: positive(r.amountIncludingTax),
    })),
    totals: {
      amountExcludingTax: positive(red.amountExcludingTax),
      taxAmount: positive(red.taxAmount),
      totalAmount: positive(red.totalAmount),
    },
  };
}
