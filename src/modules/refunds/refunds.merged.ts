import { asc, eq } from "drizzle-orm";
import {
  type ComputedLine,
  type MergedPiece,
  mergedPiecesOf,
  planShareReversal,
  type ShareReversal,
} from "../../domain";
import type { DbOrTx } from "../../platform/db/client";
import { receiptCodes, submissionCodes, submissions } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { toComputedLine } from "../invoices/invoice-document";
import { findInvoiceLines, findInvoicesOfCode, type InvoiceRow } from "../invoices/invoices.repository";
import { earlierRedLinesOf, reversalError } from "../invoices/reversal.partial";
import type { ReceiptCodeRow } from "../receipt-codes/receipt-codes.repository";
import { findReceiptCodeLines } from "../receipt-codes/receipt-codes.repository";
import { computeStored } from "../scan/scan.service";

/**
 * A refund of a receipt invoiced with others (合并开票, scan.merge.ts): the submission's invoice(s)
 * hold every receipt's lines, so the refund reverses only this receipt's share — its lines, found on
 * the invoice(s) by the domain's mergedPiecesOf, on each invoice that carries them (a split), in
 * full when it takes all that remains of an invoice.
 */

/** A receipt's place in a merged submission (more than one receipt). */
export interface MergedShare {
  /** The code that carries the submission and its invoices. */
  primaryCodeId: string;
  /** The submission's live blue invoices, by seq (a corrected one in place of its original). */
  blues: InvoiceRow[];
  /** The pieces of this receipt's lines on them; null when they cannot be told apart. */
  pieces: MergedPiece[] | null;
}

/** The code's share of its merged submission; null when the code is not in one with other receipts. */
export async function mergedShareOf(db: DbOrTx, codeId: string): Promise<MergedShare | null> {
  const [own] = await db
    .select({ submissionId: submissionCodes.submissionId, primaryCodeId: submissions.receiptCodeId })
    .from(submissionCodes)
    .innerJoin(submissions, eq(submissions.id, submissionCodes.submissionId))
    .where(eq(submissionCodes.receiptCodeId, codeId));
  if (!own) return null;
  const members = await db
    .select({ code: receiptCodes })
    .from(submissionCodes)
    .innerJoin(receiptCodes, eq(receiptCodes.id, submissionCodes.receiptCodeId))
    .where(eq(submissionCodes.submissionId, own.submissionId))
    .orderBy(asc(submissionCodes.position));
  if (members.length < 2) return null;
  const blues = await liveBlueInvoices(db, own.primaryCodeId);
  const index = members.findIndex((m) => m.code.id === codeId);
  return {
    primaryCodeId: own.primaryCodeId,
    blues,
    pieces: await piecesOf(
      db,
      members.map((m) => m.code),
      blues,
      index,
    ),
  };
}

/**
 * A code of its own split over the limit into several invoices (超限额拆分): its lines are found on
 * them as a merged receipt's are, so a refund reverses each invoice that carries what it takes.
 */
export async function splitShareOf(
  db: DbOrTx,
  code: ReceiptCodeRow,
  blues: InvoiceRow[],
): Promise<MergedShare> {
  return { primaryCodeId: code.id, blues, pieces: await piecesOf(db, [code], blues, 0) };
}

/** The pieces of receipt `index` (of `codes`, in the submission's order) on the invoices. */
async function piecesOf(
  db: DbOrTx,
  codes: ReceiptCodeRow[],
  blues: InvoiceRow[],
  index: number,
): Promise<MergedPiece[] | null> {
  if (blues.length === 0) return null;
  const receipts: ComputedLine[][] = [];
  for (const code of codes) receipts.push(computeStored(code, await findReceiptCodeLines(db, code.id)).lines);
  const invoiceLines = await Promise.all(
    blues.map(async (b) => (await findInvoiceLines(db, b.id)).map(toComputedLine)),
  );
  return mergedPiecesOf(receipts, invoiceLines)?.[index] ?? null;
}

/** The blue invoice(s) of a code that a refund reverses (a corrected one replaces its original). */
export async function liveBlueInvoices(db: DbOrTx, codeId: string): Promise<InvoiceRow[]> {
  const all = await findInvoicesOfCode(db, codeId);
  const replaced = new Set(all.flatMap((i) => (i.reissueOfInvoiceId ? [i.reissueOfInvoiceId] : [])));
  return all.filter((i) => i.color === "blue" && !replaced.has(i.id)).sort((a, b) => a.seq - b.seq);
}

/**
 * The refund (lines as the receipt's own, already numbered as its invoiced lines) planned on the
 * share: what it takes, and the red request for each invoice. A request beyond what remains or
 * malformed is refused as a red invoice would be.
 */
export async function planShareRefund(
  db: DbOrTx,
  share: MergedShare & { pieces: MergedPiece[] },
  request: { reason: string; lines?: unknown; amount?: unknown },
): Promise<ShareReversal> {
  const carried = new Set(share.pieces.map((p) => p.invoice));
  const invoices = await Promise.all(
    share.blues.map(async (blue, k) => {
      const lines = (await findInvoiceLines(db, blue.id)).map(toComputedLine);
      return { lines, earlier: carried.has(k) ? await earlierRedLinesOf(db, blue.id, lines) : [] };
    }),
  );
  const planned = planShareReversal(invoices, share.pieces, request);
  if (!planned.ok) throw reversalError(planned.issues);
  if (planned.value.requests.length === 0) {
    throw new AppError("NOTHING_LEFT_TO_REVERSE", "该小票在合并开具的发票上已全部红冲，没有可退的金额");
  }
  return planned.value;
}
