import { describe, expect, it } from "vitest";
import { amountInCapitals } from "./capitals";
import { isRedReason, RED_REASONS, redInvoiceFrom, redLinesFrom, verifyRedInvoice } from "./red";
import { computed, item } from "./test-support";
import type { ComputedLine } from "./types";

describe("red invoice lines", () => {
  it("negates amounts, tax and quantity, keeps the unit price positive", () => {
    const blue = computed([
      item({ quantity: "2", unitPrice: "50", amount: "100.00", taxRate: "0.13", unit: "份" }),
    ]);
    const [line] = redLinesFrom(blue.lines);
    expect(line).toMatchObject({
      kind: "normal",
      itemName: "*餐饮服务*午餐",
      unit: "份",
      quantity: "-2",
      unitPrice: "44.25",
      unitPriceIncludingTax: "50",
      amountExcludingTax: "-88.50",
      tax: "-11.50",
      amountIncludingTax: "-100.00",
      taxRate: "0.13",
      taxRateLabel: "13%",
    });
  });

  it("merges a discounted pair into one normal line with the net amounts", () => {
    const blue = computed([
      item({ quantity: "2", unitPrice: "50", amount: "100.00", taxRate: "0.13", discount: "-10.00" }),
      item({ amount: "35.00", taxRate: "0.09" }),
    ]);
    // Blue: 88.50 + 11.50 and −8.85 − 1.15; net 79.65 + 10.35 = 90.00.
    const red = redLinesFrom(blue.lines);
    expect(red).toHaveLength(2);
    expect(red[0]).toMatchObject({
      kind: "normal",
      quantity: "-2",
      unitPrice: "39.825",
      amountExcludingTax: "-79.65",
      tax: "-10.35",
      amountIncludingTax: "-90.00",
    });
    expect(red[1]).toMatchObject({
      amountExcludingTax: "-32.11",
      tax: "-2.89",
      amountIncludingTax: "-35.00",
    });
    expect(red.some((l) => l.kind !== "normal")).toBe(false);
  });

  it("gives totals that are exactly the negated blue totals, and （负数） in capitals", () => {
    const blue = computed([
      item({ amount: "1000.00", discount: "-0.01" }),
      item({ amount: "0.01", taxRate: "0.13" }),
      item({ amount: "20.00", taxRate: "0", zeroRateKind: "not_taxable" }),
    ]);
    const red = redInvoiceFrom(blue);
    expect(red.totals).toEqual({
      amountExcludingTax: `-${blue.totals.amountExcludingTax}`,
      taxAmount: `-${blue.totals.taxAmount}`,
      totalAmount: `-${blue.totals.totalAmount}`,
    });
    expect(red.lines[2]).toMatchObject({ taxRateLabel: "不征税", tax: "0.00", amountIncludingTax: "-20.00" });
    expect(amountInCapitals(red.totals.totalAmount)).toBe("（负数）壹仟零贰拾圆整");
    expect(verifyRedInvoice(red)).toEqual([]);
  });

  it("reverses old invoices with historical rates", () => {
    const old: ComputedLine = {
      ...computed([item({ amount: "117.00", taxRate: "0.13" })]).lines[0]!,
      taxRate: "0.17",
      taxRateLabel: "17%",
      amountExcludingTax: "100.00",
      tax: "17.00",
    };
    expect(redLinesFrom([old])[0]).toMatchObject({
      taxRateLabel: "17%",
      tax: "-17.00",
      amountExcludingTax: "-100.00",
    });
  });

  it("throws on malformed blue lines (a programming error)", () => {
    const blue = computed([item({ discount: "-1.00" })]);
    expect(() => redLinesFrom([blue.lines[1]!])).toThrow();
    expect(() => redLinesFrom([blue.lines[0]!])).toThrow();
  });

  it("verifyRedInvoice finds discount lines and sign errors", () => {
    const blue = computed([item({ discount: "-1.00" })]);
    const notRed = { ...blue, lines: blue.lines };
    expect(verifyRedInvoice(notRed).map((i) => i.code)).toContain("LINE_KIND_INVALID");
  });
});

describe("red reasons", () => {
  it("are the four of DOMAIN.md §8", () => {
    expect(RED_REASONS).toEqual(["开票有误", "销货退回", "服务中止", "销售折让"]);
    expect(isRedReason("销货退回")).toBe(true);
    expect(isRedReason("不想要了")).toBe(false);
  });
});
