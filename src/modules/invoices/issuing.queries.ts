import { and, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { columnNamesSql, hotStatement, selectRecords } from "../../platform/db/records";
import { auditLog, deliveries, invoiceFiles, invoices, taxBureauAccounts } from "../../platform/db/schema";
import { INVOICE_MOVES, movable, movableSql, moveTo } from "./invoice-status";

/**
 * Issuing's SQL (issuing.attempt.ts, issuing.save.ts): the reads and the counted attempt through
 * Drizzle, the common save as one hot statement whose column lists come from the tables.
 */

export type TaxAccountRow = typeof taxBureauAccounts.$inferSelect;

export async function findTaxAccount(db: DbOrTx, id: string | null): Promise<TaxAccountRow | undefined> {
  const [account] = await db
    .select()
    .from(taxBureauAccounts)
    .where(eq(taxBureauAccounts.id, id ?? ""));
  return account;
}

/**
 * Counts an attempt before the channel is called (the `attempt` move): the attempts it makes, or
 * undefined when the invoice is no longer one to attempt.
 */
export async function countAttempt(db: DbOrTx, invoiceId: string): Promise<number | undefined> {
  const [marked] = await db
    .update(invoices)
    .set({ ...moveTo("attempt"), attempts: sql`${invoices.attempts} + 1` })
    .where(and(eq(invoices.id, invoiceId), movable("attempt")))
    .returning({ attempts: invoices.attempts });
  return marked?.attempts;
}

/** The columns of an issued file the save inserts, after the invoice id. */
const FILE_COLUMNS = ["kind", "contentType", "size", "sha256", "storageKey", "content"] as const;

/**
 * Saving the common case — a receipt code of one blue invoice, no webhook — in one statement (one
 * round trip, atomic on its own): the invoice ($1) is issued with its number ($2) and time ($3),
 * and only if this attempt issued it, its files ($4–$11: size, sha256, storage key and content of
 * the PDF, then the XML), deliveries ($12), the code's status and the audit entry ($13).
 */
export const ISSUE_SAVE = hotStatement<
  [invoiceId: string, number: string, issuedAt: Date, ...files: unknown[]],
  { saved: number }
>(
  "issue_save",
  `
with saved as (
  update invoices set status = '${INVOICE_MOVES.issue.to}', number = $2, issued_at = $3, updated_at = now()
  where id = $1 and ${movableSql("issue")}
  returning id, receipt_code_id),
files as (
  insert into invoice_files (${columnNamesSql(invoiceFiles, ["invoiceId", ...FILE_COLUMNS])})
  select saved.id, f.* from saved, (values
    ('pdf', 'application/pdf', $4::int, $5::text, $6::text, $7::bytea),
    ('xml', 'application/xml', $8::int, $9::text, $10::text, $11::bytea)) f
  on conflict do nothing),
dlv as (insert into deliveries ${selectRecords(deliveries, "$12", "saved")}),
code as (
  update receipt_codes set status = 'invoiced', updated_at = now()
  where id = (select receipt_code_id from saved)),
audit as (insert into audit_log ${selectRecords(auditLog, "$13", "saved")})
select count(*)::int as saved from saved`,
);
