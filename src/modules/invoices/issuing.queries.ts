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
 * How many files ISSUE_SAVE takes: the channel's pdf / ofd / xml and the previews rendered at once
 * in place of a legal file not fetched (at most 3 together today), or the sandbox's pdf + xml. A
 * save with more goes through the transaction (issuing.save.ts).
 */
export const ISSUE_SAVE_FILE_SLOTS = 5;

/** Parameter numbers of the file slots: six per file, after the first seven. */
const FILE_PARAMS_FROM = 8;
const fileSlots = Array.from({ length: ISSUE_SAVE_FILE_SLOTS }, (_, i) => {
  const p = FILE_PARAMS_FROM + i * FILE_COLUMNS.length;
  return `($${p}::text, $${p + 1}::text, $${p + 2}::int, $${p + 3}::text, $${p + 4}::text, $${p + 5}::bytea)`;
}).join(",\n    ");

/** One file of ISSUE_SAVE's slots: kind, content type, size, sha256, storage key, content. */
export type IssueSaveFile = [
  kind: string | null,
  contentType: string | null,
  size: number | null,
  sha256: string | null,
  storageKey: string | null,
  content: Buffer | null,
];

/**
 * Saving an issued blue invoice of a receipt code of one invoice, no webhook — the sandbox's or a
 * channel's — in one statement (one round trip, atomic on its own): the invoice ($1) is issued with
 * its number ($2) and time ($3) — where the channel's files could not all be fetched yet, with the
 * list kept for the files sweep ($6, jsonb merged into channel_data) and its due time ($7) — and
 * only if this attempt issued it (the `issue` move's status condition: a save racing another save
 * of the same invoice is decided by the database), its deliveries ($4), the code's status, the
 * audit entry ($5) and its files (slots of six parameters from $8; a slot whose kind is null is
 * empty; a file already stored is left as it is).
 */
export const ISSUE_SAVE = hotStatement<
  [
    invoiceId: string,
    number: string,
    issuedAt: Date,
    deliveries: string,
    audit: string,
    pendingFiles: string | null,
    pendingDueAt: Date | null,
    ...files: IssueSaveFile[number][],
  ],
  { saved: number }
>(
  "issue_save_files",
  `
with saved as (
  update invoices set status = '${INVOICE_MOVES.issue.to}', number = $2, issued_at = $3, updated_at = now(),
    channel_data = case when $6::jsonb is null then channel_data else channel_data || $6::jsonb end,
    next_attempt_at = case when $6::jsonb is null then next_attempt_at else $7::timestamptz end
  where id = $1 and ${movableSql("issue")}
  returning id, receipt_code_id),
files as (
  insert into invoice_files (${columnNamesSql(invoiceFiles, ["invoiceId", ...FILE_COLUMNS])})
  select saved.id, f.* from saved, (values
    ${fileSlots}) f
  where f.column1 is not null
  on conflict do nothing),
dlv as (insert into deliveries ${selectRecords(deliveries, "$4", "saved")}),
code as (
  update receipt_codes set status = 'invoiced', updated_at = now()
  where id = (select receipt_code_id from saved)),
audit as (insert into audit_log ${selectRecords(auditLog, "$5", "saved")})
select count(*)::int as saved from saved`,
);
