import { describe, expect, it } from "vitest";
import { computeInvoice } from "./invoice";
import { redInvoiceFrom, verifyRedInvoice } from "./red";
import { computed, issuesOf, item } from "./test-support";
import {
  checkTaxTolerance,
  lineTaxError,
  sumTotals,
  taxRoundingError,
  verifyComputedInvoice,
} from "./totals";
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

describe("the invoice-level rule |Σ (round(excl × rate) − tax)| ≤ 1.27, as issuers compute it", () => {
  const lines = (n: number, amount: string, taxRate = "0.13") =>
    Array.from({ length: n }, () => item({ amount, taxRate }));
  const tolerance = (inv: ComputedInvoice) => checkTaxTolerance(inv.lines);

  it("refuses 128 × ¥1.00 at 13 % incl. (each 0.88 + 0.12, and round(0.88 × 13 %) = 0.11: Σe = −1.28)", () => {
    const inv = computed(lines(128, "1.00"));
    expect(taxRoundingError(inv.lines).toFixed(2)).toBe("-1.28");
    expect(tolerance(inv)).toEqual([
      expect.objectContaining({
        code: "TAX_TOTAL_OUT_OF_TOLERANCE",
        path: "lines",
        details: { difference: "-1.28", tolerance: "1.27" },
      }),
    ]);
    expect(tolerance(inv)[0]?.message).toContain("-1.28");
    expect(verifyComputedInvoice(inv).map((i) => i.code)).toEqual(["TAX_TOTAL_OUT_OF_TOLERANCE"]);
  });

  it("accepts 127 × ¥1.00 (Σe = −1.27, the bound itself)", () => {
    expect(tolerance(computed(lines(127, "1.00")))).toEqual([]);
  });

  it("accepts 300 × ¥5.96 at 13 % incl. (5.27 + 0.69 each, and round(5.27 × 13 %) = 0.69: every e = 0)", () => {
    const inv = computed(lines(300, "5.96"));
    expect(inv.totals).toMatchObject({ amountExcludingTax: "1581.00", taxAmount: "207.00" });
    // From the unrounded sums (round(1581.00 × 13 %) = 205.53) it would be 1.47 off: not the rule.
    expect(taxRoundingError(inv.lines).toFixed(2)).toBe("0.00");
    expect(tolerance(inv)).toEqual([]);
  });

  it("adds up all rates together, not per rate", () => {
    // 1.00 at 13 % and 0.09 at 6 % each have e = −0.01: 64 + 64 lines break the rule together.
    const mixed = computed([...lines(64, "1.00"), ...lines(64, "0.09", "0.06")]);
    expect(taxRoundingError(mixed.lines).toFixed(2)).toBe("-1.28");
    expect(tolerance(mixed).map((i) => i.code)).toEqual(["TAX_TOTAL_OUT_OF_TOLERANCE"]);
    // 0.26 at 6 % has e = +0.01: errors of opposite signs cancel, whatever the rates.
    const cancelling = computed([...lines(200, "1.00"), ...lines(200, "0.26", "0.06")]);
    expect(taxRoundingError(cancelling.lines).toFixed(2)).toBe("0.00");
    expect(tolerance(cancelling)).toEqual([]);
  });

  it("counts discount lines", () => {
    // 10.00 − 9.00 at 13 %: the line has e = 0, its discount (−7.96 − 1.04, round(−7.96 × 13 %) =
    // −1.03) e = +0.01.
    const inv = computed([item({ amount: "10.00", taxRate: "0.13", discount: "-9.00" })]);
    expect(inv.lines.map((l) => lineTaxError(l).toFixed(2))).toEqual(["0.00", "0.01"]);
    expect(taxRoundingError(inv.lines).toFixed(2)).toBe("0.01");
  });

  it("is left to planInvoices by computeInvoice, and not applied to a red invoice (it mirrors one issued)", () => {
    const r = computeInvoice({ lines: lines(128, "1.00") });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(verifyRedInvoice(redInvoiceFrom(r.value))).toEqual([]);
    expect(verifyComputedInvoice(r.value, { taxTolerance: false })).toEqual([]);
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
