import { eq, inArray } from "drizzle-orm";
import type { RedConfirmationStatus } from "../../domain";
import type { DbOrTx } from "../../platform/db/client";
import { redConfirmations } from "../../platform/db/schema";

/** The 红字确认单 rows (red-confirmation.ts moves them) and their shape for merchants and operators. */

export type RedConfirmationRow = typeof redConfirmations.$inferSelect;

export async function findRedConfirmationOf(
  db: DbOrTx,
  redInvoiceId: string,
): Promise<RedConfirmationRow | undefined> {
  const [row] = await db
    .select()
    .from(redConfirmations)
    .where(eq(redConfirmations.redInvoiceId, redInvoiceId));
  return row;
}

/** The 确认单 of several red invoices at once (a console page), by red invoice id. */
export async function findRedConfirmationsOf(
  db: DbOrTx,
  redInvoiceIds: string[],
): Promise<Map<string, RedConfirmationRow>> {
  if (redInvoiceIds.length === 0) return new Map();
  const rows = await db
    .select()
    .from(redConfirmations)
    .where(inArray(redConfirmations.redInvoiceId, redInvoiceIds));
  return new Map(rows.map((r) => [r.redInvoiceId, r]));
}

/** A 确认单 as the open API, the webhooks and the console show it. */
export interface RedConfirmationView {
  number: string | null;
  status: RedConfirmationStatus;
  createdAt: string;
  expiresAt: string | null;
  decidedAt: string | null;
}

export function redConfirmationView(row: RedConfirmationRow | undefined): RedConfirmationView | null {
  if (!row) return null;
  return {
    number: row.number,
    status: row.status as RedConfirmationStatus,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    decidedAt: row.decidedAt?.toISOString() ?? null,
  };
}
