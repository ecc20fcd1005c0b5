import { describe, expect, it } from "vitest";
import { computeInvoice } from "./invoice";
import { mergeComputedInvoices } from "./merge";
import type { ComputedInvoice } from "./types";

function receipt(amount: string, discount?: string, priceIncludesTax = true): ComputedInvoice {
  const result = computeInvoice({
    priceIncludesTax,
    lines: [
      {
        kind: discount ? "discounted" : "normal",
        name: "午餐",
        shortName: "餐饮服务",
        taxCode: "3070401000000000000",
        taxRate: "0.06",
        amount,
      },
      ...(discount ? [{ kind: "discount" as const, amount: discount }] : []),
    ],
  });
  if (!result.ok) throw new Error(result.issues[0]?.message);
  return result.value;
}

describe("合并开票", () => {
  it("puts the receipts' lines one after the other and adds up the totals", () => {
    const a = receipt("100.00", "-10.00");
    const b = receipt("36.00");
    const merged = mergeComputedInvoices([a, b]);
    if (!merged.ok) throw new Error("expected a merge");
    expect(merged.value.lines.map((l) => [l.kind, l.amountIncludingTax])).toEqual([
      ["discounted", "100.00"],
      ["discount", "-10.00"],
      ["normal", "36.00"],
    ]);
    expect(merged.value.totals.totalAmount).toBe("126.00");
    expect(merged.value.totals.taxAmount).toBe(
      (Number(a.totals.taxAmount) + Number(b.totals.taxAmount)).toFixed(2),
    );
  });

  it("refuses receipts with different price bases", () => {
    const merged = mergeComputedInvoices([receipt("100.00"), receipt("100.00", undefined, false)]);
    expect(merged.ok).toBe(false);
    if (!merged.ok) expect(merged.issues[0]?.code).toBe("MERGE_PRICE_BASIS_MIXED");
  });
});
