import { and, eq } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { invoices } from "../../platform/db/schema";
import { findInvoice, type InvoiceRow } from "./invoices.repository";

/**
 * What issuing needs to know about red invoices, apart from the reversal service (which itself
 * calls issuing): the blue number the channel must be told, and the blue status once it is done.
 */

/** What a red invoice reverses, for the channel request and the red PDF. */
export async function reversedBlueOf(
  db: DbOrTx,
  red: InvoiceRow,
): Promise<{ number: string; reason: string } | undefined> {
  if (red.color !== "red" || !red.blueInvoiceId) return undefined;
  const blue = await findInvoice(db, red.blueInvoiceId);
  return blue?.number ? { number: blue.number, reason: red.reverseReason ?? "" } : undefined;
}

/** In the transaction that saves an issued red invoice: its blue invoice is now reversed. */
export async function markBlueReversed(tx: DbOrTx, red: InvoiceRow): Promise<void> {
  if (red.color !== "red" || !red.blueInvoiceId) return;
  await tx
    .update(invoices)
    .set({ status: "reversed", updatedAt: new Date() })
    .where(and(eq(invoices.id, red.blueInvoiceId), eq(invoices.status, "issued")));
}
