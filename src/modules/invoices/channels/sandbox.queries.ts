import { columnNamesSql, hotStatement } from "../../../platform/db/records";
import { sandboxIssued } from "../../../platform/db/schema";

/**
 * The sandbox's numbering, one statement: the (year $1, province $2) sequence advanced and the
 * serial ($3) recorded with its number ($4 the prefix, then the sequence), time ($5) and what a
 * bureau keeps ($6) — together, or neither.
 *
 * The sequence row is locked from the update until the commit, so allocations are one at a time;
 * if each commit waited for its WAL flush, the sandbox would number one invoice per flush of the
 * whole server's WAL (PDFs included) — under load, its ceiling. So this one statement commits
 * without waiting for the flush (`synchronous_commit` off for its own transaction). Nothing can be
 * numbered twice or skipped that way: WAL is written in order, so the first durable commit of
 * anything that uses the number (the invoice saved with it, always a synchronous commit) makes the
 * allocation durable too; a crash before that loses the allocation and its serial together, and
 * the retry, finding no serial, gets the same number again.
 */
export const ALLOCATE = hotStatement<
  [year: number, province: string, serial: string, prefix: string, issuedAt: string, request: string],
  { number: string }
>(
  "sandbox_allocate",
  `
with settings as (select set_config('synchronous_commit', 'off', true)),
seq as (
  insert into invoice_number_sequences (year, province, last_value) values ($1, $2, 1)
  on conflict (year, province) do update set last_value = invoice_number_sequences.last_value + 1
  returning last_value)
insert into sandbox_issued (${columnNamesSql(sandboxIssued, ["serial", "number", "issuedAt", "request"])})
select $3, $4 || lpad(seq.last_value::text, 15, '0'), $5::timestamptz, $6::jsonb from seq, settings
returning number`,
);
