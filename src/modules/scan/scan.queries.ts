import { eq, getTableColumns, sql, type Table } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { DbOrTx } from "../../platform/db/client";
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
import type { ReviewRule } from "../invoices/review.rules";
import { CODE_SUBMITTABLE_SQL, codeMoveSetSql } from "../receipt-codes/receipt-code-status";
import type { ReceiptCodeLineRow } from "../receipt-codes/receipt-codes.repository";

/**
 * The consumer's hot statements (the scan, the submit): fixed texts prepared once per connection,
 * their column lists built from the Drizzle tables (platform/db/records.ts), their rows typed by them.
 */

type Row<T extends { $inferSelect: unknown }> = T["$inferSelect"];

// Only what the view reads: each column is a field PostgreSQL sends and the driver decodes per scan.
const CODE = [
  "id",
  "orgId",
  "serialNo",
  "status",
  "receiptFooter",
  "defaultInvoiceType",
  "priceIncludesTax",
  "amountExcludingTax",
  "taxAmount",
  "totalAmount",
  "notifyEmail",
  "notifyMobile",
] as const satisfies ReadonlyArray<keyof Row<typeof receiptCodes>>;
const SELLER = ["name", "phone"] as const;
const CONFIG = [
  "defaultBuyerType",
  "limitText",
  "limitAmount",
  "overLimitPolicy",
  "mergeEnabled",
  "mergeMaxReceipts",
] as const;
const SUBMISSION = ["invoiceType", "buyerType", "buyerName", "email", "mobile"] as const;
/** The line's properties the view shows and its order is computed from (computeStored, lineView). */
const LINE = [
  "kind",
  "name",
  "shortName",
  "taxCode",
  "taxRate",
  "zeroRateKind",
  "spec",
  "unit",
  "quantity",
  "unitPrice",
  "amount",
] as const satisfies ReadonlyArray<keyof ReceiptCodeLineRow>;
/** A receipt line as the scan reads it. */
export type ScanLineRow = Pick<ReceiptCodeLineRow, (typeof LINE)[number]>;

/** A row of the scan: the code's columns, its organization, submission and lines. */
export type ScanRow = Pick<Row<typeof receiptCodes>, (typeof CODE)[number]> & {
  /**
   * Milliseconds since the epoch, and the types joined by commas: cheaper to decode than a
   * timestamp's and an array's text (BENCHMARKS.md "Scan"). getScanView makes them a Date and a list.
   */
  expiresAt: number | Date;
  invoiceTypes: string | string[];
} & Nullable<Prefixed<Pick<Row<typeof submissions>, (typeof SUBMISSION)[number]>, "submission">> & {
    /** As JSON (parsed by both drivers; a driver answering text is handled by the reader). */
    lines: ScanLineRow[] | string;
    /** How many receipts the code's submission invoiced (合并开票); 0 before a submit. */
    submissionReceipts: number;
  };

/** What the scan shows of the code's organization (org-views.ts keeps it per process). */
export type OrgViewRow = Prefixed<Pick<Row<typeof organizations>, (typeof SELLER)[number]>, "seller"> &
  Nullable<Prefixed<Pick<Row<typeof receiptCodeConfigs>, (typeof CONFIG)[number]>, "config">> & {
    /** The organization has its 公众号 configured (微信抬头) / a company-lookup provider. */
    wechatTitles: boolean | null;
    titleLookup: boolean | null;
  };

/**
 * A code's lines (`rc`) as JSON, as the scan reads them. Kept on the code as `view_lines` by the
 * triggers of drizzle/0036, which build the same object (the test compares them); aggregated here
 * only for codes written before that.
 */
export const SCAN_LINES_SQL = `(select coalesce(json_agg(${recordObjectSql(receiptCodeLines, "l", LINE)} order by l.position), '[]'::json)
   from receipt_code_lines l where l.receipt_code_id = rc.id)`;

const SCAN_VIEW_TEXT = `
select ${columnsSql(receiptCodes, "rc", CODE)},
  (extract(epoch from rc.expires_at) * 1000)::float8 as "expiresAt",
  array_to_string(rc.invoice_types, ',') as "invoiceTypes",
  ${columnsSql(submissions, "s", SUBMISSION, "submission")},
  coalesce(rc.view_lines, ${SCAN_LINES_SQL}) as lines,
  case when s.id is null then 0
    else (select count(*)::int from submission_codes sc where sc.submission_id = s.id) end as "submissionReceipts"
  from receipt_codes rc
  left join submissions s on s.receipt_code_id = rc.id
 where rc.token = $1`;

/**
 * The scan in one round trip: $1 the token. The hottest query of the product. The organization's
 * part (ORG_VIEW) is read once per process and kept until the organization changes (org-views.ts).
 */
export const SCAN_VIEW = hotStatement<[token: string], ScanRow>("scan-view", SCAN_VIEW_TEXT);

/** The organization ($1) as the scan shows it: seller, 开票设置, which title sources it has. */
export const ORG_VIEW = hotStatement<[orgId: string], OrgViewRow>(
  "org-view",
  `
select ${columnsSql(organizations, "o", SELLER, "seller")},
  ${columnsSql(receiptCodeConfigs, "c", CONFIG, "config")},
  (i.wechat_app_id is not null and i.wechat_secret_ciphertext is not null) as "wechatTitles",
  (i.title_provider is not null and i.title_provider_key_ciphertext is not null) as "titleLookup"
  from organizations o
  left join receipt_code_configs c on c.org_id = o.id
  left join org_integrations i on i.org_id = o.id
 where o.id = $1`,
);

/**
 * The scans a process counted in memory (scan-counts.ts), written together: $1 is a JSON array of
 * `{ id, scans, at }` (a code, its scans since the last write, the first one's time by this process's
 * clock, never before the code's creation by the database's). Each code's row
 * is locked in id order and skipped if another transaction holds it (a submit, a refund: its scans
 * wait for the next write instead of this one waiting or deadlocking); the ids written come back.
 *
 * Committed asynchronously (`synchronous_commit` off for this statement's transaction only,
 * set_config(…, true)): nothing waits for the WAL to reach the disk. A crash of PostgreSQL itself may
 * lose the counts of its last few hundred milliseconds (wal_writer_delay), never part of a write, and
 * nothing else is committed this way.
 */
export const WRITE_SCAN_COUNTS = hotStatement<[batch: string], { id: string }>(
  "write-scan-counts",
  `
with locked as (
  select rc.id, b.scans, b.at from receipt_codes rc
    join json_to_recordset($1::json) as b(id text, scans int, at timestamptz) on b.id = rc.id
   order by rc.id for no key update of rc skip locked)
update receipt_codes rc set scan_count = rc.scan_count + l.scans,
    first_scanned_at = coalesce(rc.first_scanned_at, greatest(l.at, rc.created_at))
  from locked l
 where rc.id = l.id and set_config('synchronous_commit', 'off', true) = 'off'
returning rc.id`,
);

/** Which of these codes ($1, ids) still exist: scans of a code deleted meanwhile are dropped. */
export const EXISTING_CODES = hotStatement<[ids: string[]], { id: string }>(
  "existing-codes",
  "select id from receipt_codes where id = any($1::text[])",
);

/**
 * The submit's write, one statement, so one round trip and atomic without a transaction: the code
 * ($1) is locked if it can still be submitted and still has the total the submit read ($6: a refund
 * committed meanwhile reduced or closed it, and the planned invoices would be wrong); the submission
 * ($2, unique per code) is inserted only then, and the code's row in submission_codes (keyed by the
 * code: a merged submit that took it meanwhile makes this statement fail whole), the code moved to
 * issuing, the audit entry ($3), the invoices ($4) and their lines ($5) only if that insert happened.
 * Rows as `recordsJson` parameters. A refund holds the code's row lock while it changes it, so the
 * two are decided by the database in whichever order they reach the row.
 */
export const SUBMIT_WRITE = hotStatement<
  [codeId: string, submission: string, audit: string, invoices: string, lines: string, total: string],
  { inserted: number }
>(
  "submit_write",
  `
with locked as (
  select id from receipt_codes
  where id = $1 and ${CODE_SUBMITTABLE_SQL} and total_amount = $6::numeric for update),
sub as (
  insert into submissions ${selectRecords(submissions, "$2", "locked")}
  on conflict (receipt_code_id) do nothing returning id),
codes as (insert into submission_codes (receipt_code_id, submission_id, position) select $1, id, 0 from sub),
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

/** The code's columns the submit reads (its checks, plan, rows, write and a merge's checks). */
const TARGET_CODE = [
  "id",
  "orgId",
  "token",
  "serialNo",
  "source",
  "taxAccountId",
  "invoiceTypes",
  "priceIncludesTax",
  "expiresAt",
  "status",
  "drawer",
  "payee",
  "reviewer",
  "remark",
  "totalAmount",
] as const satisfies ReadonlyArray<keyof Row<typeof receiptCodes>>;
/** An earlier submission: what a repeated submit compares (sameBuyerAgain). */
const TARGET_SUBMISSION = [
  "invoiceType",
  "buyerType",
  "buyerName",
  "buyerTaxId",
] as const satisfies ReadonlyArray<keyof Row<typeof submissions>>;
/** The configuration: the limit and its policy (planning, a merge's preview), 合并开票's switch and number. */
const TARGET_CONFIG = [
  "limitText",
  "limitAmount",
  "overLimitPolicy",
  "mergeEnabled",
  "mergeMaxReceipts",
] as const satisfies ReadonlyArray<keyof Row<typeof receiptCodeConfigs>>;
/** The organization and the tax account whole: issuing (IssueAttempt) takes their rows. */
const TARGET_ORG = allKeys(organizations);
const TARGET_ACCOUNT = allKeys(taxBureauAccounts);

function allKeys<T extends Table>(table: T): Array<keyof T["$inferSelect"] & string> {
  return Object.keys(getTableColumns(table)) as Array<keyof T["$inferSelect"] & string>;
}

/**
 * The submit's read: the code with its submission, configuration, organization, tax account,
 * lines (as the scan reads them) and the organization's 审核开票 rules. Every column is one the
 * submit or what it passes on reads.
 */
export interface Target {
  code: Pick<Row<typeof receiptCodes>, (typeof TARGET_CODE)[number]>;
  submission: Pick<Row<typeof submissions>, (typeof TARGET_SUBMISSION)[number]> | null;
  config: Pick<Row<typeof receiptCodeConfigs>, (typeof TARGET_CONFIG)[number]> | null;
  org: Row<typeof organizations> | null;
  account: Row<typeof taxBureauAccounts> | null;
  /** As JSON (parsed by both drivers). */
  lines: ScanLineRow[];
  reviewRules: ReviewRule[] | string;
}

/** The parts of the flat row, each column named `${prefix}${Property}` (columnsSql with a prefix). */
const TARGET_PARTS: ReadonlyArray<[part: keyof Target, keys: ReadonlyArray<string>, present: string]> = [
  ["code", TARGET_CODE, "id"],
  ["submission", TARGET_SUBMISSION, "invoiceType"],
  ["config", TARGET_CONFIG, "limitText"],
  ["org", TARGET_ORG, "id"],
  ["account", TARGET_ACCOUNT, "id"],
];

const prefixedName = (prefix: string, key: string) => `${prefix}${key[0]!.toUpperCase()}${key.slice(1)}`;

/** [part, [property, flat column name] …, the flat column that is null when a left join found nothing]. */
const TARGET_SHAPE = TARGET_PARTS.map(
  ([part, keys, present]) =>
    [
      part,
      keys.map((key): [string, string] => [key, prefixedName(part, key)]),
      prefixedName(part, present),
    ] as const,
);

const LINES_SQL = `(select coalesce(json_agg(${recordObjectSql(receiptCodeLines, "l", LINE)} order by l.position), '[]'::json)
   from receipt_code_lines l where l.receipt_code_id = rc.id)`;
const RULES_SQL = `(select coalesce(json_agg(json_build_object('source', r.source, 'invoiceType', r.invoice_type,
      'minAmount', r.min_amount::text, 'buyerType', r.buyer_type)), '[]'::json)
   from review_rules r where r.org_id = rc.org_id)`;

const TARGET_TEXT = `
select ${columnsSql(receiptCodes, "rc", TARGET_CODE, "code")},
  ${columnsSql(submissions, "s", TARGET_SUBMISSION, "submission")},
  ${columnsSql(receiptCodeConfigs, "c", TARGET_CONFIG, "config")},
  ${columnsSql(organizations, "o", TARGET_ORG, "org")},
  ${columnsSql(taxBureauAccounts, "a", TARGET_ACCOUNT, "account")},
  ${LINES_SQL} as lines,
  ${RULES_SQL} as "reviewRules"
  from receipt_codes rc
  left join submissions s on s.receipt_code_id = rc.id
  left join receipt_code_configs c on c.org_id = rc.org_id
  left join organizations o on o.id = rc.org_id
  left join tax_bureau_accounts a on a.id = rc.tax_account_id`;

/** The submit's read as PostgreSQL returns it: one flat row, made into a Target by `targetOf`. */
export type TargetRow = Prefixed<Target["code"], "code"> &
  Nullable<Prefixed<NonNullable<Target["submission"]>, "submission">> &
  Nullable<Prefixed<NonNullable<Target["config"]>, "config">> &
  Nullable<Prefixed<NonNullable<Target["org"]>, "org">> &
  Nullable<Prefixed<NonNullable<Target["account"]>, "account">> & {
    lines: ScanLineRow[];
    reviewRules: ReviewRule[] | string;
  };

/** The submit's read by the code's token ($1), one hot statement (the consumer's submit). */
export const SUBMIT_TARGET = hotStatement<[token: string], TargetRow>(
  "submit-target",
  `${TARGET_TEXT}
 where rc.token = $1`,
);

/**
 * The same read by the code's id, the code's row locked, inside a transaction (Drizzle, not
 * prepared: its rows are typed by its own parsers): a code created in the same transaction (an
 * order pushed with a 门店码 submission) is submitted before anything commits. The same columns.
 */
export async function submitTargetIn(tx: DbOrTx, codeId: string): Promise<Target | undefined> {
  const rc = alias(receiptCodes, "rc");
  const [row] = await tx
    .select({
      code: columnsOf(rc, TARGET_CODE),
      submission: columnsOf(submissions, TARGET_SUBMISSION),
      config: columnsOf(receiptCodeConfigs, TARGET_CONFIG),
      org: organizations,
      account: taxBureauAccounts,
      lines: sql<ScanLineRow[]>`${sql.raw(LINES_SQL)}`,
      reviewRules: sql<ReviewRule[] | string>`${sql.raw(RULES_SQL)}`,
    })
    .from(rc)
    .leftJoin(submissions, eq(submissions.receiptCodeId, rc.id))
    .leftJoin(receiptCodeConfigs, eq(receiptCodeConfigs.orgId, rc.orgId))
    .leftJoin(organizations, eq(organizations.id, rc.orgId))
    .leftJoin(taxBureauAccounts, eq(taxBureauAccounts.id, rc.taxAccountId))
    .where(eq(rc.id, codeId))
    .for("update", { of: rc });
  return row;
}

/** These columns of a table, for a Drizzle select of part of its row. */
function columnsOf<T extends Table, K extends keyof T["_"]["columns"] & string>(
  table: T,
  keys: ReadonlyArray<K>,
): Pick<T["_"]["columns"], K> {
  const columns = getTableColumns(table);
  return Object.fromEntries(keys.map((key) => [key, columns[key]])) as Pick<T["_"]["columns"], K>;
}

/** The flat row as the submit's Target: each part its own object, null when its join found nothing. */
export function targetOf(row: TargetRow): Target {
  const flat = row as unknown as Record<string, unknown>;
  const target: Record<string, unknown> = { lines: row.lines, reviewRules: row.reviewRules };
  for (const [part, names, present] of TARGET_SHAPE) {
    if (flat[present] === null || flat[present] === undefined) {
      target[part] = null;
      continue;
    }
    const value: Record<string, unknown> = {};
    for (const [key, name] of names) value[key] = flat[name];
    target[part] = value;
  }
  return target as unknown as Target;
}
