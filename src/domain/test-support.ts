/**
 * Factories for the domain's tests (not exported from index.ts): a valid line with overrides.
 */

import { computeInvoice } from "./invoice";
import type { ComputedInvoice, InvoiceInput, ItemLineInput, LineInput } from "./types";

export function item(overrides: Partial<Record<keyof ItemLineInput, unknown>> = {}): ItemLineInput {
  return {
    name: "午餐",
    shortName: "餐饮服务",
    taxCode: "3070401000000000000",
    taxRate: "0.06",
    amount: "100.00",
    ...overrides,
  } as ItemLineInput;
}

export function order(lines: readonly unknown[], priceIncludesTax = true): InvoiceInput {
  return { priceIncludesTax, lines: lines as LineInput[] };
}

/** computeInvoice that must succeed. */
export function computed(lines: readonly unknown[], priceIncludesTax = true): ComputedInvoice {
  const r = computeInvoice(order(lines, priceIncludesTax));
  if (!r.ok) throw new Error(`expected a valid order: ${JSON.stringify(r.issues)}`);
  return r.value;
}

/** The issues of an order that must fail, as `code@path` strings for compact assertions. */
export function issuesOf(lines: readonly unknown[], priceIncludesTax = true): string[] {
  const r = computeInvoice(order(lines, priceIncludesTax));
  if (r.ok) throw new Error("expected issues, got a valid invoice");
  return r.issues.map((i) => `${i.code}@${i.path}`);
}
