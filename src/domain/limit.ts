/**
 * The organization's limit (限额, DOMAIN.md §5): the largest 价税合计 of one invoice. Above it the
 * receipt-code config either rejects the order or splits it (split.ts).
 */
import { type DomainIssue, fail, issue, ok, type Result } from "./errors";
import { gbkByteLength, TEXT_LIMITS } from "./gbk";
import { AMOUNT_DECIMALS, formatAmount, MAX_INTEGER_DIGITS, numberIssue, readDecimal, toDec } from "./money";
import { splitInvoice } from "./split";
import { checkTaxTolerance } from "./totals";
import type { ComputedInvoice, OverLimitPolicy } from "./types";

export const OVER_LIMIT_POLICIES: readonly OverLimitPolicy[] = ["reject", "split"];

// An amount like any other: 16 integer digits at most, what numeric(18,2) stores.
const LIMIT_RULE = {
  maxDecimals: AMOUNT_DECIMALS,
  maxIntegerDigits: MAX_INTEGER_DIGITS,
  sign: "positive",
} as const;

/**
 * A limit as typed: a positive decimal with at most 2 decimals and 16 integer digits, at most 20
 * bytes, no sign, spaces, exponent or separators. Returns it with 2 decimals ("100000" → "100000.00").
 */
export function parseLimit(text: unknown, path = "limit"): Result<string> {
  if (typeof text === "string" && gbkByteLength(text) > TEXT_LIMITS.limit) {
    return fail([
      issue("TEXT_TOO_LONG", path, `限额最多 ${TEXT_LIMITS.limit} 个字符`, {
        bytes: String(gbkByteLength(text)),
        maxBytes: String(TEXT_LIMITS.limit),
      }),
    ]);
  }
  const read = readDecimal(text, LIMIT_RULE);
  if (!read.ok) return fail([numberIssue(read.problem, path, "限额", LIMIT_RULE)]);
  return ok(read.value.toFixed(AMOUNT_DECIMALS));
}

/** AMOUNT_OVER_LIMIT when the 价税合计 exceeds the limit (equal is allowed); null otherwise. */
export function checkLimit(totalAmount: string, limit: string): DomainIssue | null {
  if (toDec(totalAmount).lte(toDec(limit))) return null;
  const amount = formatAmount(totalAmount);
  const max = formatAmount(limit);
  return issue("AMOUNT_OVER_LIMIT", "limit", `开票金额 ${amount} 元超过单张发票限额 ${max} 元`, {
    amount,
    limit: max,
  });
}

export interface InvoicePlan {
  /** True when the order was split into several invoices. */
  split: boolean;
  /** One invoice, or the N invoices of a split, each ≤ limit; the consumer sees their count. */
  invoices: ComputedInvoice[];
  /** For each invoice, for each of its lines, the index of the line of the original it came from. */
  sourceLineIndexes: number[][];
}

/**
 * What will be issued for a computed order under the limit and policy. `limit` is a limit text as
 * stored (validated by `parseLimit`; an invalid one yields its issues). Every planned invoice keeps
 * the invoice-level tax rule (DOMAIN.md §4): an order within the limit is refused when it breaks it
 * (`TAX_TOTAL_OUT_OF_TOLERANCE`); a split makes parts that each keep it, whether or not the whole does.
 */
export function planInvoices(
  computed: ComputedInvoice,
  options: { limit: string; policy: OverLimitPolicy },
): Result<InvoicePlan> {
  const limit = parseLimit(options.limit);
  if (!limit.ok) return limit;
  const over = checkLimit(computed.totals.totalAmount, limit.value);
  if (!over) {
    const tolerance = checkTaxTolerance(computed.lines);
    if (tolerance.length) return fail(tolerance);
    return ok({ split: false, invoices: [computed], sourceLineIndexes: [computed.lines.map((_, i) => i)] });
  }
  if (options.policy !== "split") return fail([over]);
  const parts = splitInvoice(computed, toDec(limit.value));
  if (!parts.ok) return parts;
  return ok({ split: true, ...parts.value });
}
