import { describe, expect, it } from "vitest";
import { checkLimit, type InvoicePlan, parseLimit, planInvoices } from "./limit";
import { Dec, sumAmounts } from "./money";
import { computed, item } from "./test-support";
import { checkTaxTolerance, sumTotals, taxRoundingError, verifyComputedInvoice } from "./totals";
import type { ComputedInvoice } from "./types";

describe("parseLimit (a positive decimal, ≤ 20 bytes as typed, ≤ 16 integer digits)", () => {
  it.each([
    ["99999.99", "99999.99"],
    ["100000", "100000.00"],
    ["0.01", "0.01"],
    ["9999999999999999.99", "9999999999999999.99"],
    ["0000000000000000001", "1.00"],
  ])("accepts %j as %j", (text, value) => {
    expect(parseLimit(text)).toEqual({ ok: true, value });
  });

  it.each([
    ["0", "NUMBER_NOT_POSITIVE"],
    ["0.00", "NUMBER_NOT_POSITIVE"],
    ["-1", "NUMBER_NOT_POSITIVE"],
    ["abc", "NUMBER_FORMAT_INVALID"],
    ["1e5", "NUMBER_FORMAT_INVALID"],
    [" 100", "NUMBER_FORMAT_INVALID"],
    ["10,000", "NUMBER_FORMAT_INVALID"],
    ["１００", "NUMBER_FORMAT_INVALID"],
    ["100.001", "NUMBER_TOO_MANY_DECIMALS"],
    ["", "FIELD_REQUIRED"],
    [undefined, "FIELD_REQUIRED"],
    [100000, "FIELD_TYPE_INVALID"],
    // Within 20 bytes but more than an amount holds (16 integer digits, numeric(18,2)).
    ["12345678901234567.89", "NUMBER_TOO_MANY_DIGITS"],
    ["99999999999999999999", "NUMBER_TOO_MANY_DIGITS"],
    ["123456789012345678901", "TEXT_TOO_LONG"],
    ["1234567890123456789.0", "TEXT_TOO_LONG"],
    ["一二三四五六七八九十一", "TEXT_TOO_LONG"],
  ])("refuses %j with %s at path limit", (text, code) => {
    const r = parseLimit(text);
    expect(r.ok ? [] : r.issues.map((i) => [i.code, i.path])).toEqual([[code, "limit"]]);
  });
});

describe("checkLimit", () => {
  it("allows a total equal to the limit and reports amount and limit above it", () => {
    expect(checkLimit("100000.00", "100000")).toBeNull();
    expect(checkLimit("100000.01", "100000")).toEqual({
      code: "AMOUNT_OVER_LIMIT",
      path: "limit",
      message: "开票金额 100000.01 元超过单张发票限额 100000.00 元",
      details: { amount: "100000.01", limit: "100000.00" },
    });
  });
});

function plan(inv: ComputedInvoice, limit: string): InvoicePlan {
  const r = planInvoices(inv, { limit, policy: "split" });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

/** The split's promises, checked on every split below. */
function expectSound(original: ComputedInvoice, result: InvoicePlan, limit: string): void {
  for (const inv of result.invoices) {
    expect(verifyComputedInvoice(inv)).toEqual([]);
    expect(new Dec(inv.totals.totalAmount).lte(limit)).toBe(true);
  }
  expect(sumTotals(result.invoices.flatMap((inv) => inv.lines))).toEqual(original.totals);
  // Per original line (a discounted line with its discount): every amount adds up to the cent.
  original.lines.forEach((line, index) => {
    if (line.kind === "discount") return;
    const members = line.kind === "discounted" ? [index, index + 1] : [index];
    const pieces = result.invoices.flatMap((inv, k) =>
      inv.lines.filter((_, j) => members.includes(result.sourceLineIndexes[k]![j]!)),
    );
    const own = members.map((m) => original.lines[m]!);
    for (const key of ["amountExcludingTax", "tax", "amountIncludingTax"] as const) {
      expect(sumAmounts(pieces.map((p) => p[key])), `line ${index} ${key}`).toBe(
        sumAmounts(own.map((o) => o[key])),
      );
    }
  });
}

describe("planInvoices", () => {
  const big = computed([item({ amount: "60000.00" }), item({ amount: "50000.00" })]);

  it("gives one invoice at or under the limit", () => {
    const r = planInvoices(big, { limit: "110000", policy: "reject" });
    expect(r).toEqual({ ok: true, value: { split: false, invoices: [big], sourceLineIndexes: [[0, 1]] } });
  });

  it("rejects above the limit with the amount and the limit", () => {
    const r = planInvoices(big, { limit: "99999.99", policy: "reject" });
    expect(r.ok ? [] : r.issues).toEqual([
      expect.objectContaining({
        code: "AMOUNT_OVER_LIMIT",
        path: "limit",
        details: { amount: "110000.00", limit: "99999.99" },
      }),
    ]);
  });

  it("refuses an invoice within the limit that breaks the invoice-level tax rule, with a clear message", () => {
    const ones = computed(Array.from({ length: 128 }, () => item({ amount: "1.00", taxRate: "0.13" })));
    for (const policy of ["reject", "split"] as const) {
      const r = planInvoices(ones, { limit: "100000", policy });
      expect(r.ok ? [] : r.issues.map((i) => [i.code, i.path, i.details])).toEqual([
        ["TAX_TOTAL_OUT_OF_TOLERANCE", "lines", { difference: "-1.28", tolerance: "1.27" }],
      ]);
      expect(r.ok ? "" : r.issues[0]?.message).toMatch(/尾差合计 -1\.28 元，超过税务系统允许的 ±1\.27 元/);
    }
    const accepted = computed(Array.from({ length: 300 }, () => item({ amount: "5.96", taxRate: "0.13" })));
    expect(planInvoices(accepted, { limit: "100000", policy: "reject" }).ok).toBe(true);
  });

  it("returns the limit's own issues for a bad limit", () => {
    const r = planInvoices(big, { limit: "-1", policy: "split" });
    expect(r.ok ? [] : r.issues.map((i) => i.code)).toEqual(["NUMBER_NOT_POSITIVE"]);
  });
});

describe("splitting (DOMAIN.md §5)", () => {
  it("keeps lines whole, in order, starting a new invoice when the next line does not fit", () => {
    const inv = computed([
      item({ amount: "60000.00" }),
      item({ amount: "50000.00" }),
      item({ amount: "30000.00" }),
      item({ amount: "20000.00" }),
    ]);
    const r = plan(inv, "100000");
    expect(r.split).toBe(true);
    expect(r.sourceLineIndexes).toEqual([[0], [1, 2, 3]]);
    expect(r.invoices.map((i) => i.totals.totalAmount)).toEqual(["60000.00", "100000.00"]);
    expect(r.invoices[1]!.lines).toEqual(inv.lines.slice(1));
    expectSound(inv, r, "100000");
  });

  it("splits a line larger than the limit by quantity, keeping the unit price", () => {
    const inv = computed([
      item({ quantity: "10", unitPrice: "25000", amount: "250000.00", taxRate: "0.13" }),
    ]);
    const r = plan(inv, "100000");
    expect(
      r.invoices.map((i) => i.lines.map((l) => [l.quantity, l.unitPriceIncludingTax, l.amountIncludingTax])),
    ).toEqual([[["4", "25000", "100000.00"]], [["4", "25000", "100000.00"]], [["2", "25000", "50000.00"]]]);
    expectSound(inv, r, "100000");
  });

  it("fills what is left of the current invoice with the first piece", () => {
    const inv = computed([
      item({ amount: "30000.00" }),
      item({ quantity: "9", unitPrice: "25000", amount: "225000.00" }),
      item({ amount: "10.00" }),
    ]);
    const r = plan(inv, "100000");
    expect(r.invoices.map((i) => i.lines.map((l) => l.quantity ?? l.amountIncludingTax))).toEqual([
      ["30000.00", "2"],
      ["4"],
      ["3", "10.00"],
    ]);
    expect(r.sourceLineIndexes).toEqual([[0, 1], [1], [1, 2]]);
    expectSound(inv, r, "100000");
  });

  it("splits by amount when the line has no quantity", () => {
    const inv = computed([item({ amount: "250000.00", taxRate: "0.09" })]);
    const r = plan(inv, "100000");
    expect(r.invoices.map((i) => i.lines.map((l) => [l.quantity, l.amountIncludingTax]))).toEqual([
      [[null, "100000.00"]],
      [[null, "100000.00"]],
      [[null, "50000.00"]],
    ]);
    expectSound(inv, r, "100000");
  });

  it("goes to tenths when one unit alone exceeds the limit", () => {
    const inv = computed([item({ quantity: "1", unitPrice: "250000", amount: "250000.00" })]);
    const r = plan(inv, "100000");
    expect(r.invoices.map((i) => i.lines[0]!.quantity)).toEqual(["0.4", "0.4", "0.2"]);
    expectSound(inv, r, "100000");
  });

  it("keeps the quantity's own decimals as the step (2.5 kg splits in tenths)", () => {
    const inv = computed([item({ quantity: "2.5", unitPrice: "100000", amount: "250000.00" })]);
    expect(plan(inv, "100000").invoices.map((i) => i.lines[0]!.quantity)).toEqual(["1", "1", "0.5"]);
  });

  it("shares a discount in proportion when its line is split", () => {
    const inv = computed([
      item({
        quantity: "10",
        unitPrice: "25000",
        amount: "250000.00",
        taxRate: "0.13",
        discount: "-50000.00",
      }),
    ]);
    const r = plan(inv, "100000");
    expect(
      r.invoices.map((i) => i.lines.map((l) => `${l.kind} ${l.quantity ?? "-"} ${l.amountIncludingTax}`)),
    ).toEqual([
      ["discounted 5 125000.00", "discount - -25000.00"],
      ["discounted 5 125000.00", "discount - -25000.00"],
    ]);
    expectSound(inv, r, "100000");
  });

  it("prints a piece whose discount share rounds to zero as a normal line", () => {
    const inv = computed([
      item({ quantity: "10", unitPrice: "25000", amount: "250000.00", discount: "-0.01" }),
    ]);
    const r = plan(inv, "100000");
    expect(r.invoices.map((i) => i.lines.map((l) => `${l.kind} ${l.amountIncludingTax}`))).toEqual([
      ["normal 100000.00"],
      ["discounted 100000.00", "discount -0.01"],
      ["normal 50000.00"],
    ]);
    expectSound(inv, r, "100000");
  });

  it("applies the limit to 价税合计 in a tax-exclusive order", () => {
    const inv = computed(
      [item({ quantity: "3", unitPrice: "50000", amount: "150000.00", taxRate: "0.13" })],
      false,
    );
    const r = plan(inv, "100000");
    expect(
      r.invoices.map((i) => [i.lines[0]!.quantity, i.totals.amountExcludingTax, i.totals.totalAmount]),
    ).toEqual([
      ["1", "50000.00", "56500.00"],
      ["1", "50000.00", "56500.00"],
      ["1", "50000.00", "56500.00"],
    ]);
    expectSound(inv, r, "100000");
  });

  it("conserves every cent where rounding does not divide evenly (1.5 %, thirds, odd cents)", () => {
    const inv = computed([
      item({ quantity: "3", unitPrice: "33333.3366666666667", amount: "100000.01", taxRate: "0.015" }),
      item({ amount: "0.01", taxRate: "0.13" }),
      item({
        quantity: "7",
        unitPrice: "14285.7142857142857",
        amount: "100000.00",
        taxRate: "0.06",
        discount: "-0.07",
      }),
      item({ amount: "33333.33", taxRate: "0", zeroRateKind: "export" }),
    ]);
    for (const limit of ["33333.34", "50000", "99999.99", "12345.67"])
      expectSound(inv, plan(inv, limit), limit);
  });

  it("splits an order that breaks the tax rule as a whole into parts that each keep it", () => {
    // 200 × ¥1.00 at 13 %: Σe = −2.00 for the whole, so a part holds at most 127 of them.
    const inv = computed(Array.from({ length: 200 }, () => item({ amount: "1.00", taxRate: "0.13" })));
    expect(planInvoices(inv, { limit: "200", policy: "split" }).ok).toBe(false);
    const r = plan(inv, "150");
    expect(r.invoices.map((i) => [i.lines.length, i.totals.totalAmount])).toEqual([
      [127, "127.00"],
      [73, "73.00"],
    ]);
    expect(r.invoices.map((i) => taxRoundingError(i.lines).toFixed(2))).toEqual(["-1.27", "-0.73"]);
    expectSound(inv, r, "150");
  });

  it("never makes a part that breaks the tax rule from an order that keeps it as a whole", () => {
    // 200 × ¥0.56 (e = +0.01 each) then 200 × ¥1.00 (e = −0.01 each): Σe = 0 for the whole, but
    // the first 112.00 alone would be +2.00.
    const inv = computed([
      ...Array.from({ length: 200 }, () => item({ amount: "0.56", taxRate: "0.13" })),
      ...Array.from({ length: 200 }, () => item({ amount: "1.00", taxRate: "0.13" })),
    ]);
    expect(checkTaxTolerance(inv.lines)).toEqual([]);
    const r = plan(inv, "112");
    for (const part of r.invoices) {
      expect(taxRoundingError(part.lines).abs().lte("1.27")).toBe(true);
    }
    expect(r.invoices[0]!.lines).toHaveLength(127);
    expectSound(inv, r, "112");
  });

  it("refuses a split into more than 100 invoices", () => {
    const inv = computed([item({ amount: "100001.00" })]);
    const r = planInvoices(inv, { limit: "1000", policy: "split" });
    expect(r.ok ? [] : r.issues.map((i) => [i.code, i.details])).toEqual([
      ["SPLIT_IMPOSSIBLE", { amount: "100001.00", limit: "1000.00" }],
    ]);
    expect(plan(inv, "1000.01").invoices).toHaveLength(100);
  });
});
