/**
 * 合并开票: several receipts of one seller on one invoice (or one split over the limit). Their
 * computed lines follow each other in the receipts' order (a discount line stays right after the
 * line it discounts) and the totals are their sums. Receipts must share the tax basis of their
 * prices (含税 or 不含税), which the invoice states once; the limit and the invoice-level tax rule
 * are then the plan's (limit.ts, `planInvoices`), as for one receipt.
 */
import { fail, issue, ok, type Result } from "./errors";
import { MAX_LINES, sumTotals } from "./totals";
import type { ComputedInvoice } from "./types";

export function mergeComputedInvoices(parts: readonly ComputedInvoice[]): Result<ComputedInvoice> {
  const [first] = parts;
  if (!first) return fail([issue("LINES_REQUIRED", "receipts", "至少要有一张小票")]);
  if (parts.some((p) => p.priceIncludesTax !== first.priceIncludesTax)) {
    return fail([
      issue("MERGE_PRICE_BASIS_MIXED", "receipts", "这些小票的计价方式（含税/不含税）不同，不能合并开票"),
    ]);
  }
  const lines = parts.flatMap((p) => p.lines);
  if (lines.length > MAX_LINES) {
    return fail([issue("LINES_TOO_MANY", "receipts", `合并后超过 ${MAX_LINES} 行，不能合并开票`)]);
  }
  return ok({ priceIncludesTax: first.priceIncludesTax, lines, totals: sumTotals(lines) });
}
