import { and, eq, inArray } from "drizzle-orm";
import type { ComputedInvoice } from "../../domain";
import type { DbOrTx } from "../../platform/db/client";
import { receiptCodeLines, receiptCodes } from "../../platform/db/schema";
import { CODE_MOVES, codeMoveTo } from "./receipt-code-status";
import type { ReceiptCodeRow } from "./receipt-codes.repository";
import { receiptCodeLineRows } from "./receipt-codes.service";

/**
 * The writes a refund makes on a code not yet invoiced (the refunds module decides them): each in
 * the caller's transaction, after `lockReceiptCode`, so a consumer's submit (which locks the same row
 * and checks the status and total it read, scan.queries.ts SUBMIT_WRITE) sees the code before or
 * after the refund, never half of it.
 */

/** Locks the code's row until the transaction ends and returns it as it is now. */
export async function lockReceiptCode(tx: DbOrTx, id: string): Promise<ReceiptCodeRow | undefined> {
  const [row] = await tx.select().from(receiptCodes).where(eq(receiptCodes.id, id)).for("update");
  return row;
}

/** The code's lines and totals become what a refund left of them. */
export async function reduceReceiptCode(
  tx: DbOrTx,
  codeId: string,
  remaining: ComputedInvoice,
): Promise<void> {
  await tx.delete(receiptCodeLines).where(eq(receiptCodeLines.receiptCodeId, codeId));
  const rows = receiptCodeLineRows(codeId, remaining);
  for (let i = 0; i < rows.length; i += 500) await tx.insert(receiptCodeLines).values(rows.slice(i, i + 500));
  await tx
    .update(receiptCodes)
    .set({ ...remaining.totals, updatedAt: new Date() })
    .where(eq(receiptCodes.id, codeId));
}

/** Refunds took all of it: the code is closed (`refunded`); false when it was no longer refundable. */
export async function closeRefundedCode(tx: DbOrTx, codeId: string): Promise<boolean> {
  const moved = await tx
    .update(receiptCodes)
    .set(codeMoveTo("refund"))
    .where(and(eq(receiptCodes.id, codeId), inArray(receiptCodes.status, [...CODE_MOVES.refund.from])))
    .returning({ id: receiptCodes.id });
  return moved.length > 0;
}
