import { eq, sql } from "drizzle-orm";
import type { Db } from "../../platform/db/client";
import {
  columnsSql,
  hotStatement,
  type Nullable,
  type Prefixed,
  recordObjectSql,
  selectRecords,
} from "../../platform/db/records";
import {
  auditLog,
  invoiceLines,
  invoices,
  organizations,
  receiptCodeConfigs,
  receiptCodeLines,
  receiptCodes,
  submissions,
  taxBureauAccounts,
} from "../../platform/db/schema";
import { UNFINISHED_SQL } from "../invoices/invoice-status";
import { CODE_SUBMITTABLE_SQL, codeMoveSetSql } from "../receipt-codes/receipt-code-status";
import type { ReceiptCodeLineRow } from "../receipt-codes/receipt-codes.repository";

/**
 * The consumer's hot statements (the scan, the submit): fixed texts prepared once per connection,
 * their column lists built from the Drizzle tables (platform/db/records.ts), their rows typed by them.
 */

type Row<T extends { $inferSelect: unknown }> = T["$inferSelect"];

const CODE = [
  "id",
  "orgId",
  "token",
  "serialNo",
  "source",
  "status",
  "expiresAt",
  "receiptFooter",
  "invoiceTypes",
  "defaultInvoiceType",
  "priceIncludesTax",
  "amountExcludingTax",
  "taxAmount",
  "totalAmount",
  "notifyEmail",
  "notifyMobile",
] as const satisfies ReadonlyArray<keyof Row<typeof receiptCodes>>;
const SELLER = ["name", "phone"] as const;
const CONFIG = ["defaultBuyerType", "limitText", "limitAmount", "overLimitPolicy"] as const;
const SUBMISSION = ["invoiceType", "buyerType", "buyerName", "email", "mobile"] as const;

/** A row of the scan: the code's columns, its seller, configuration, submission and lines. */
export type ScanRow = Pick<Row<typeof receiptCodes>, (typeof CODE)[number]> &
  Prefixed<Pick<Row<typeof organizations>, (typeof SELLER)[number]>, "seller"> &
  Nullable<Prefixed<Pick<Row<typeof receiptCodeConfigs>, (typeof CONFIG)[number]>, "config">> &
  Nullable<Prefixed<Pick<Row<typeof submissions>, (typeof SUBMISSION)[number]>, "submission">> & {
    /** As JSON (parsed by both drivers; a driver answering text is handled by the reader). */
    lines: ReceiptCodeLineRow[] | string;
    /** The organization has its 公众号 configured (微信抬头) / a company-lookup provider. */
    wechatTitles: boolean | null;
    titleLookup: boolean | null;
  };

const SCAN_VIEW_TEXT = `
select ${columnsSql(receiptCodes, "rc", CODE)},
  ${columnsSql(organizations, "o", SELLER, "seller")},
  ${columnsSql(receiptCodeConfigs, "c", CONFIG, "config")},
  ${columnsSql(submissions, "s", SUBMISSION, "submission")},
  (select coalesce(json_agg(${recordObjectSql(receiptCodeLines, "l")} order by l.position), '[]'::json)
   from receipt_code_lines l where l.receipt_code_id = rc.id) as lines,
  (i.wechat_app_id is not null and i.wechat_secret_ciphertext is not null) as "wechatTitles",
  (i.title_provider is not null and i.title_provider_key_ciphertext is not null) as "titleLookup"
  from receipt_codes rc
  join organizations o on o.id = rc.org_id
  left join receipt_code_configs c on c.org_id = rc.org_id
  left join submissions s on s.receipt_code_id = rc.id
  left join org_integrations i on i.org_id = rc.org_id
 where rc.token = $1`;

/** The scan in one round trip: $1 the token. The hottest query of the product. */
export const SCAN_VIEW = hotStatement<[token: string], ScanRow>("scan-view", SCAN_VIEW_TEXT);

/**
 * The same, counting the scan (a first load, not the page's polling) in the same statement: the
 * code's counter moves unless the view refuses it (disabled, or still active past its expiry).
 */
export const SCAN_VIEW_COUNTING = hotStatement<[token: string], ScanRow>(
  "scan-view-counting",
  `
with counted as (
  update receipt_codes set scan_count = scan_count + 1, first_scanned_at = coalesce(first_scanned_at, now())
  where token = $1 and status <> 'disabled' and (status <> 'active' or expires_at > now()))
${SCAN_VIEW_TEXT}`,
);

/**
 * The submit's write, one statement, so one round trip and atomic without a transaction: the code
 * ($1) is locked if it can still be submitted; the submission ($2, unique per code) is inserted
 * only then, and the code moved to issuing, the audit entry ($3), the invoices ($4) and their lines
 * ($5) only if that insert happened. Rows as `recordsJson` parameters.
 */
export const SUBMIT_WRITE = hotStatement<
  [codeId: string, submission: string, audit: string, invoices: string, lines: string],
  { inserted: number }
>(
  "submit_write",
  `
with locked as (
  select id from receipt_codes where id = $1 and ${CODE_SUBMITTABLE_SQL} for update),
sub as (
  insert into submissions ${selectRecords(submissions, "$2", "locked")}
  on conflict (receipt_code_id) do nothing returning id),
moved as (
  update receipt_codes set ${codeMoveSetSql("submit")}
  where id = $1 and exists (select 1 from sub)),
audit as (insert into audit_log ${selectRecords(auditLog, "$3", "sub")}),
inv as (insert into invoices ${selectRecords(invoices, "$4", "sub")}),
lin as (insert into invoice_lines ${selectRecords(invoiceLines, "$5", "sub")})
select (select count(*) from sub)::int as inserted`,
);

/** Invoices ($1) a submit stopped waiting for are due at once, if still unfinished (at shutdown). */
export const RELEASE_UNFINISHED = `update invoices set next_attempt_at = now() where id = any($1::text[]) and ${UNFINISHED_SQL}`;

/** The submit's read, prepared once per database handle. */
const prepared = new WeakMap<Db, ReturnType<typeof prepareSubmitTarget>>();

/**
 * The submit's read in one prepared statement: the code with its submission, configuration,
 * organization, tax-bureau account and lines.
 */
export function submitTarget(db: Db) {
  let statement = prepared.get(db);
  if (!statement) {
    statement = prepareSubmitTarget(db);
    prepared.set(db, statement);
  }
  return statement;
}

function prepareSubmitTarget(db: Db) {
  const lines = sql<ReceiptCodeLineRow[]>`(
    select coalesce(json_agg(${sql.raw(recordObjectSql(receiptCodeLines, "l"))} order by l.position), '[]'::json)
    from ${receiptCodeLines} l where l.receipt_code_id = ${receiptCodes.id})`;
  return db
    .select({
      code: receiptCodes,
      submission: submissions,
      config: receiptCodeConfigs,
      org: organizations,
      account: taxBureauAccounts,
      lines,
    })
    .from(receiptCodes)
    .leftJoin(submissions, eq(submissions.receiptCodeId, receiptCodes.id))
    .leftJoin(receiptCodeConfigs, eq(receiptCodeConfigs.orgId, receiptCodes.orgId))
    .leftJoin(organizations, eq(organizations.id, receiptCodes.orgId))
    .leftJoin(taxBureauAccounts, eq(taxBureauAccounts.id, receiptCodes.taxAccountId))
    .where(eq(receiptCodes.token, sql.placeholder("token")))
    .prepare("submit_target");
}
