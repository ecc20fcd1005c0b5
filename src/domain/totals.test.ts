import { describe, expect, it } from "vitest";
import { computeInvoice } from "./invoice";
import { computed, issuesOf, item } from "./test-support";
import { checkTaxTolerance, sumTotals, verifyComputedInvoice } from "./totals";
import type { ComputedInvoice } from "./types";

describe("totals (DOMAIN.md §4)", () => {
  it("sums 金额, 税额 and 价税合计 over all lines, discounts included", () => {
    const inv = computed([
      item({ amount: "100.00", taxRate: "0.13" }),
      item({ amount: "1000.00", taxRate: "0.06", discount: "-100.00" }),
      item({ amount: "35.00", taxRate: "0.09" }),
      item({ amount: "20.00", taxRate: "0", zeroRateKind: "exempt" }),
    ]);
    // 88.50 + 943.40 − 94.34 + 32.11 + 20.00 ; 11.50 + 56.60 − 5.66 + 2.89 + 0
    expect(inv.totals).toEqual({ amountExcludingTax: "989.67", taxAmount: "65.33", totalAmount: "1055.00" });
    expect(sumTotals(inv.lines)).toEqual(inv.totals);
  });

  it("accepts 2000 lines, discount lines included, and refuses 2001", () => {
    const pairs = Array.from({ length: 1000 }, () => item({ amount: "10.00", discount: "-1.00" }));
    const inv = computeInvoice({ lines: pairs });
    expect(inv.ok && inv.value.lines.length).toBe(2000);
    const r = computeInvoice({ lines: [...pairs, item()] });
    expect(r.ok ? [] : r.issues.map((i) => [i.code, i.path, i.details])).toEqual([
      ["LINES_TOO_MANY", "lines", { count: "2001", max: "2000" }],
    ]);
  });

  it("wants at least one line", () => {
    expect(issuesOf([])).toEqual(["LINES_REQUIRED@lines"]);
    expect(computeInvoice({} as never).ok).toBe(false);
  });
});

describe("per-rate tolerance |Σ tax − round(Σ excl × rate)| ≤ 1.27", () => {
  // Each 1.00 at 13% inclusive is 0.88 + 0.12, while 0.88 × 13% = 0.1144: 0.0056 too much tax per line.
  const ones = (n: number) => Array.from({ length: n }, () => item({ amount: "1.00", taxRate: "0.13" }));

  it("passes at exactly 1.27 (227 lines: 27.24 against 25.97)", () => {
    const inv = computed(ones(227));
    expect(inv.totals).toMatchObject({ amountExcludingTax: "199.76", taxAmount: "27.24" });
  });

  it("fails at 1.28 (228 lines: 27.36 against 26.08), with the rate in the details", () => {
    const r = computeInvoice({ lines: ones(228) });
    expect(r.ok ? [] : r.issues).toEqual([
      expect.objectContaining({
        code: "TAX_TOTAL_OUT_OF_TOLERANCE",
        path: "lines",
        details: { taxRate: "0.13", taxAmount: "27.36", expected: "26.08" },
      }),
    ]);
  });

  it("checks each rate on its own", () => {
    const inv = computed([
      ...ones(200),
      ...Array.from({ length: 200 }, () => item({ amount: "1.00", taxRate: "0.09" })),
    ]);
    expect(checkTaxTolerance(inv.lines)).toEqual([]);
    const tampered = inv.lines.map((l, i) =>
      i === 0 ? { ...l, tax: "1.42", amountIncludingTax: "2.30" } : l,
    );
    expect(checkTaxTolerance(tampered).map((i) => i.details?.taxRate)).toEqual(["0.13"]);
  });
});

describe("verifyComputedInvoice", () => {
  const base = computed([
    item({ quantity: "2", unitPrice: "50", amount: "100.00", discount: "-10.00" }),
    item(),
  ]);
  const withLines = (edit: (inv: ComputedInvoice) => void): ComputedInvoice => {
    const copy = structuredClone(base);
    edit(copy);
    return copy;
  };
  const codes = (inv: ComputedInvoice) => verifyComputedInvoice(inv).map((i) => `${i.code}@${i.path}`);

  it("accepts what computeInvoice produced", () => {
    expect(codes(base)).toEqual([]);
  });

  it.each<[string, (inv: ComputedInvoice) => void, string[]]>([
    [
      "broken arithmetic",
      (inv) => {
        inv.lines[2]!.tax = "5.67";
      },
      ["LINE_ARITHMETIC_INVALID@lines[2]", "TOTALS_MISMATCH@totals"],
    ],
    [
      "totals not the sums",
      (inv) => {
        inv.totals.totalAmount = "190.01";
      },
      ["TOTALS_MISMATCH@totals"],
    ],
    [
      "a discount without its line",
      (inv) => {
        inv.lines[0]!.kind = "normal";
      },
      ["DISCOUNT_WITHOUT_LINE@lines[1]"],
    ],
    [
      "a discounted line without discount",
      (inv) => void inv.lines.splice(1, 1, inv.lines[2]!),
      ["DISCOUNT_MISSING@lines[0]", "TOTALS_MISMATCH@totals"],
    ],
    [
      "three decimals",
      (inv) => {
        inv.lines[2]!.tax = "5.660";
      },
      ["LINE_ARITHMETIC_INVALID@lines[2]"],
    ],
    [
      "a wrong unit price",
      (inv) => {
        inv.lines[0]!.unitPrice = "47";
      },
      ["LINE_ARITHMETIC_INVALID@lines[0]"],
    ],
    ["no lines", (inv) => void inv.lines.splice(0), ["LINES_REQUIRED@lines", "TOTALS_MISMATCH@totals"]],
  ])("finds %s", (_, edit, expected) => {
    expect(codes(withLines(edit))).toEqual(expected);
  });
});
