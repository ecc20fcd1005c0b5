/**
 * Errors as data. Every rule violation is a `DomainIssue`: a stable machine code, a Chinese message
 * for people and the path of the offending field (`lines[2].amount`, `buyer.taxId`, `limit`).
 * Validation collects all issues instead of stopping at the first, so an API can return them together.
 */

/** Stable codes. Renaming one breaks merchants' systems (API.md): add new codes, never rename. */
export const ISSUE_CODES = [
  // Generic field problems; the path says which field.
  "FIELD_REQUIRED",
  "FIELD_TYPE_INVALID",
  "NUMBER_FORMAT_INVALID",
  "NUMBER_TOO_MANY_DECIMALS",
  "NUMBER_TOO_MANY_DIGITS",
  "NUMBER_NOT_POSITIVE",
  "NUMBER_NOT_NEGATIVE",
  "TEXT_TOO_LONG",
  "TEXT_INVALID_CHARACTER",
  // Lines.
  "LINES_REQUIRED",
  "LINES_TOO_MANY",
  "LINE_KIND_INVALID",
  "SHORT_NAME_INVALID",
  "TAX_CODE_INVALID",
  "TAX_RATE_NOT_OFFERED",
  "ZERO_RATE_KIND_REQUIRED",
  "ZERO_RATE_KIND_UNEXPECTED",
  "ZERO_RATE_KIND_INVALID",
  "QUANTITY_PRICE_INCOMPLETE",
  "QUANTITY_PRICE_MISMATCH",
  "TAX_NOT_ALLOWED",
  "TAX_OUT_OF_TOLERANCE",
  // Discounts.
  "DISCOUNT_WITHOUT_LINE",
  "DISCOUNT_DUPLICATE",
  "DISCOUNT_MISSING",
  "DISCOUNT_MISMATCH",
  "DISCOUNT_HAS_QUANTITY",
  "DISCOUNT_TOO_LARGE",
  // Totals.
  "TAX_TOTAL_OUT_OF_TOLERANCE",
  "TOTAL_TOO_LARGE",
  "TOTALS_MISMATCH",
  "LINE_ARITHMETIC_INVALID",
  // Red invoices (部分红冲).
  "RED_REASON_INVALID",
  "RED_LINES_AND_AMOUNT",
  "RED_AMOUNT_NEEDS_DISCOUNT_REASON",
  "RED_LINE_UNKNOWN",
  "RED_LINE_DUPLICATE",
  "RED_LINE_IS_DISCOUNT",
  "RED_LINE_NO_QUANTITY",
  "RED_QUANTITY_AND_AMOUNT",
  "RED_AMOUNT_TOO_SMALL",
  "RED_EXCEEDS_REMAINING",
  "RED_NOTHING_LEFT",
  // Limit.
  "AMOUNT_OVER_LIMIT",
  "SPLIT_IMPOSSIBLE",
  // Buyer and delivery.
  "INVOICE_TYPE_INVALID",
  "INVOICE_TYPE_NOT_ALLOWED",
  "BUYER_TYPE_INVALID",
  "TAX_ID_FORMAT_INVALID",
  "TAX_ID_CHECK_FAILED",
  "ID_CARD_INVALID",
  "EMAIL_INVALID",
  "MOBILE_INVALID",
  "CONTACT_REQUIRED",
  // 合并开票.
  "MERGE_PRICE_BASIS_MIXED",
] as const;

export type IssueCode = (typeof ISSUE_CODES)[number];

export interface DomainIssue {
  code: IssueCode;
  /** Chinese, for people; may name the line (第3行) and the field. */
  message: string;
  /** Field path in the caller's input, e.g. `lines[2].amount`; `lines` or `limit` for whole-set rules. */
  path: string;
  /** Machine-readable facts for some codes, e.g. `{ amount, limit }` for AMOUNT_OVER_LIMIT. */
  details?: Record<string, string>;
}

export type Result<T> = { ok: true; value: T } | { ok: false; issues: DomainIssue[] };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(issues: DomainIssue[]): Result<T> {
  return { ok: false, issues };
}

export function issue(
  code: IssueCode,
  path: string,
  message: string,
  details?: Record<string, string>,
): DomainIssue {
  return details ? { code, path, message, details } : { code, path, message };
}

/** `lines[2].amount` style path. */
export function linePath(index: number, field?: string): string {
  return field ? `lines[${index}].${field}` : `lines[${index}]`;
}

/** Human prefix naming a line the way people count (第3行). */
export function lineLabel(index: number): string {
  return `第${index + 1}行`;
}

/**
 * The `details.fields` map of an error response (API.md): path → message, several messages for one
 * path joined with "；", in the order found.
 */
export function issuesToFields(issues: readonly DomainIssue[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const i of issues) fields[i.path] = fields[i.path] ? `${fields[i.path]}；${i.message}` : i.message;
  return fields;
}
