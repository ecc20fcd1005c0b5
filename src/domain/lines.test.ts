import { describe, expect, it } from "vitest";
import { computeInvoice } from "./invoice";
import { computeLineAmounts } from "./lines";
import { OFFERED_TAX_RATES, taxRateLabel } from "./tax-rate";
import { computed, issuesOf, item } from "./test-support";

describe("line formula (DOMAIN.md §2 examples)", () => {
  it.each([
    // amount, rate, priceIncludesTax, excl, tax, incl
    ["100.00", "0.13", true, "88.50", "11.50", "100.00"],
    ["1000.00", "0.06", true, "943.40", "56.60", "1000.00"],
    ["35.00", "0.09", true, "32.11", "2.89", "35.00"],
    ["88.50", "0.13", false, "88.50", "11.51", "100.01"],
    // Edge cases: smallest amount, 1.5 %, half cents.
    ["0.01", "0.13", true, "0.01", "0.00", "0.01"],
    ["0.01", "0.13", false, "0.01", "0.00", "0.01"],
    ["0.04", "0.13", false, "0.04", "0.01", "0.05"],
    ["100.00", "0.015", true, "98.52", "1.48", "100.00"],
    ["100.00", "0.015", false, "100.00", "1.50", "101.50"],
    ["0.50", "0.01", false, "0.50", "0.01", "0.51"],
    ["0.49", "0.01", false, "0.49", "0.00", "0.49"],
    ["10.05", "0.05", true, "9.57", "0.48", "10.05"],
    ["50.00", "0.03", false, "50.00", "1.50", "51.50"],
    ["1.13", "0.13", true, "1.00", "0.13", "1.13"],
    [
      "9999999999999999.99",
      "0.13",
      true,
      "8849557522123893.80",
      "1150442477876106.19",
      "9999999999999999.99",
    ],
  ] as const)("%s at %s (incl=%s) → %s + %s = %s", (amount, rate, incl, e, t, i) => {
    const r = computeLineAmounts({ amount, taxRate: rate, priceIncludesTax: incl });
    expect(r).toEqual({ amountExcludingTax: e, tax: t, amountIncludingTax: i });
    const inv = computed([item({ amount, taxRate: rate })], incl);
    expect(inv.lines[0]).toMatchObject({ amountExcludingTax: e, tax: t, amountIncludingTax: i });
  });

  it("a half cent of tax rounds up (exclusive 88.50 × 13% = 11.505 → 11.51)", () => {
    expect(computeLineAmounts({ amount: "88.50", taxRate: "0.13", priceIncludesTax: false }).tax).toBe(
      "11.51",
    );
    // 0.125 of tax: 2.50 × 5% = 0.125 → 0.13.
    expect(computeLineAmounts({ amount: "2.50", taxRate: "0.05", priceIncludesTax: false }).tax).toBe("0.13");
  });
});

describe("tax basis", () => {
  it("is tax-inclusive when the order does not say", () => {
    const r = computeInvoice({ lines: [item({ amount: "100.00", taxRate: "0.13" })] });
    expect(r.ok && [r.value.priceIncludesTax, r.value.totals]).toEqual([
      true,
      { amountExcludingTax: "88.50", taxAmount: "11.50", totalAmount: "100.00" },
    ]);
  });
});

describe("printed line", () => {
  it("prints the item name as *简称*名称 and the rate as a label", () => {
    const [line] = computed([
      item({ name: "纯牛奶", shortName: "乳制品", taxRate: "0.09", spec: "1L", unit: "盒" }),
    ]).lines;
    expect(line).toMatchObject({
      kind: "normal",
      itemName: "*乳制品*纯牛奶",
      name: "纯牛奶",
      shortName: "乳制品",
      spec: "1L",
      unit: "盒",
      taxRate: "0.09",
      taxRateLabel: "9%",
      zeroRateKind: null,
      quantity: null,
      unitPrice: null,
    });
  });

  it("does not print the prefix twice when the caller sends the printed name", () => {
    expect(computed([item({ name: "*餐饮服务*午餐" })]).lines[0]?.itemName).toBe("*餐饮服务*午餐");
  });

  it("trims texts and prints absent spec and unit as empty", () => {
    const [line] = computed([item({ name: "  午餐 ", spec: null, unit: "  " })]).lines;
    expect(line).toMatchObject({ name: "午餐", itemName: "*餐饮服务*午餐", spec: "", unit: "" });
  });

  it.each([
    ["0.13", null, "13%"],
    ["0.015", null, "1.5%"],
    ["0.01", null, "1%"],
    ["0.17", null, "17%"],
    ["0", "exempt", "免税"],
    ["0", "not_taxable", "不征税"],
    ["0", "ordinary_zero", "0%"],
    ["0", "export", "0%"],
  ] as const)("rate %s (%s) prints %s", (rate, kind, label) => {
    expect(taxRateLabel(rate, kind)).toBe(label);
  });

  it.each(["exempt", "not_taxable", "ordinary_zero", "export"] as const)(
    "zero-rate kind %s has no tax",
    (kind) => {
      for (const incl of [true, false]) {
        const [line] = computed([item({ taxRate: "0", zeroRateKind: kind, amount: "123.45" })], incl).lines;
        expect(line).toMatchObject({
          amountExcludingTax: "123.45",
          tax: "0.00",
          amountIncludingTax: "123.45",
          taxRate: "0",
          zeroRateKind: kind,
        });
      }
    },
  );

  it("normalises the rate text", () => {
    expect(computed([item({ taxRate: "0.130" })]).lines[0]?.taxRate).toBe("0.13");
    expect(computed([item({ taxRate: "0.00", zeroRateKind: "exempt" })]).lines[0]?.taxRate).toBe("0");
  });

  it("offers exactly the rates of DOMAIN.md §1", () => {
    expect(OFFERED_TAX_RATES).toEqual(["0.13", "0.09", "0.06", "0.05", "0.03", "0.015", "0.01", "0"]);
  });
});

describe("quantity and unit price", () => {
  it("prints the tax-exclusive unit price (amountExcl / quantity, ≤ 13 decimals, no trailing zeros)", () => {
    const [line] = computed([
      item({ quantity: "2", unitPrice: "12.50", amount: "25.00", taxRate: "0.13" }),
    ]).lines;
    expect(line).toMatchObject({
      quantity: "2",
      amountExcludingTax: "22.12",
      unitPrice: "11.06",
      unitPriceIncludingTax: "12.5",
    });
    const [thirds] = computed([
      item({ quantity: "3", unitPrice: "33.33", amount: "100.00", taxRate: "0.06" }),
    ]).lines;
    expect(thirds?.unitPrice).toBe("31.4466666666667");
  });

  it("keeps the given price in a tax-exclusive order", () => {
    const [line] = computed(
      [item({ quantity: "3", unitPrice: "10", amount: "30.00", taxRate: "0.13" })],
      false,
    ).lines;
    expect(line).toMatchObject({
      unitPrice: "10",
      amountExcludingTax: "30.00",
      tax: "3.90",
      unitPriceIncludingTax: "11.3",
    });
  });

  it("computes the amount from quantity × price when the amount is left out", () => {
    const [line] = computed([item({ quantity: "3", unitPrice: "3.335", amount: undefined })]).lines;
    expect(line?.amountIncludingTax).toBe("10.01");
  });

  it("reports only the bad quantity when the amount is to come from it, and wants an amount otherwise", () => {
    expect(issuesOf([item({ quantity: "x", unitPrice: "3", amount: undefined })])).toEqual([
      "NUMBER_FORMAT_INVALID@lines[0].quantity",
    ]);
    expect(issuesOf([item({ quantity: "0.001", unitPrice: "0.001", amount: undefined })])).toEqual([
      "NUMBER_NOT_POSITIVE@lines[0].amount",
    ]);
    expect(issuesOf([item({ amount: undefined })])).toEqual(["FIELD_REQUIRED@lines[0].amount"]);
  });

  it("handles large quantities with 13-decimal prices exactly", () => {
    const [line] = computed([
      item({
        quantity: "1234567890.123",
        unitPrice: "0.1234567890123",
        amount: "152415787.53",
        taxRate: "0.13",
      }),
    ]).lines;
    expect(line).toMatchObject({
      quantity: "1234567890.123",
      amountExcludingTax: "134881227.90",
      tax: "17534559.63",
    });
    // 1234567890.123 × 0.1234567890123 = 152415787.53227…: .54 is within a cent, .55 is not.
    expect(
      computeInvoice({
        lines: [item({ quantity: "1234567890.123", unitPrice: "0.1234567890123", amount: "152415787.54" })],
      }).ok,
    ).toBe(true);
    expect(
      issuesOf([item({ quantity: "1234567890.123", unitPrice: "0.1234567890123", amount: "152415787.55" })]),
    ).toEqual(["QUANTITY_PRICE_MISMATCH@lines[0].amount"]);
  });

  it.each([
    ["2", "12.50", "25.01", true],
    ["2", "12.50", "24.99", true],
    ["2", "12.50", "25.02", false],
    ["3", "3.333", "10.00", true],
    ["3", "3.33", "10.00", true],
    ["3", "3.33", "10.01", false],
  ])("|%s × %s − %s| ≤ 0.01 is %s", (quantity, unitPrice, amount, good) => {
    const r = computeInvoice({ lines: [item({ quantity, unitPrice, amount })] });
    expect(r.ok).toBe(good);
    if (!r.ok) expect(r.issues.map((i) => i.code)).toEqual(["QUANTITY_PRICE_MISMATCH"]);
  });

  it("wants both or neither", () => {
    expect(issuesOf([item({ quantity: "2" })])).toEqual(["QUANTITY_PRICE_INCOMPLETE@lines[0].unitPrice"]);
    expect(issuesOf([item({ unitPrice: "2" })])).toEqual(["QUANTITY_PRICE_INCOMPLETE@lines[0].quantity"]);
  });

  it("wants them positive", () => {
    expect(issuesOf([item({ quantity: "-1", unitPrice: "-100", amount: "100.00" })])).toEqual([
      "NUMBER_NOT_POSITIVE@lines[0].quantity",
      "NUMBER_NOT_POSITIVE@lines[0].unitPrice",
    ]);
    expect(issuesOf([item({ quantity: "0", unitPrice: "1", amount: "100.00" })])).toEqual([
      "NUMBER_NOT_POSITIVE@lines[0].quantity",
    ]);
  });
});

describe("line validation collects every issue with its path", () => {
  it("reports all fields of all lines at once", () => {
    const issues = issuesOf([
      item(),
      item({
        name: "",
        shortName: "餐*饮",
        taxCode: "307040100",
        taxRate: "0.2",
        amount: "1e3",
        spec: "规".repeat(21),
        unit: "u".repeat(21),
      }),
      item({ amount: "-5.00", taxRate: "0", zeroRateKind: undefined }),
      item({ taxRate: "0.13", zeroRateKind: "exempt" }),
      item({ taxRate: "0", zeroRateKind: "free" }),
    ]);
    expect(issues).toEqual([
      "FIELD_REQUIRED@lines[1].name",
      "SHORT_NAME_INVALID@lines[1].shortName",
      "TAX_CODE_INVALID@lines[1].taxCode",
      "TAX_RATE_NOT_OFFERED@lines[1].taxRate",
      "TEXT_TOO_LONG@lines[1].spec",
      "TEXT_TOO_LONG@lines[1].unit",
      "NUMBER_FORMAT_INVALID@lines[1].amount",
      "ZERO_RATE_KIND_REQUIRED@lines[2].zeroRateKind",
      "NUMBER_NOT_POSITIVE@lines[2].amount",
      "ZERO_RATE_KIND_UNEXPECTED@lines[3].zeroRateKind",
      "ZERO_RATE_KIND_INVALID@lines[4].zeroRateKind",
    ]);
  });

  it("names the line in the message, counting from 1", () => {
    const r = computeInvoice({ lines: [item(), item(), item({ amount: "1.001" })] });
    expect(r.ok ? [] : r.issues).toEqual([
      { code: "NUMBER_TOO_MANY_DECIMALS", path: "lines[2].amount", message: "第3行金额最多2位小数" },
    ]);
  });

  it("refuses historical rates on a new invoice and rates as percentages", () => {
    expect(issuesOf([item({ taxRate: "0.17" })])).toEqual(["TAX_RATE_NOT_OFFERED@lines[0].taxRate"]);
    expect(issuesOf([item({ taxRate: "13%" })])).toEqual(["NUMBER_FORMAT_INVALID@lines[0].taxRate"]);
    expect(issuesOf([item({ taxRate: "" })])).toEqual(["FIELD_REQUIRED@lines[0].taxRate"]);
  });

  it("limits the printed item name to 100 GBK bytes, *简称* included", () => {
    // *餐饮服务* is 10 bytes; 45 Chinese characters make 100.
    expect(computeInvoice({ lines: [item({ name: "汉".repeat(45) })] }).ok).toBe(true);
    expect(issuesOf([item({ name: "汉".repeat(46) })])).toEqual(["TEXT_TOO_LONG@lines[0].name"]);
    expect(issuesOf([item({ name: "a".repeat(91) })])).toEqual(["TEXT_TOO_LONG@lines[0].name"]);
  });

  it("limits spec to 40 and unit to 20 bytes", () => {
    expect(computeInvoice({ lines: [item({ spec: "规".repeat(20), unit: "位".repeat(10) })] }).ok).toBe(true);
    expect(issuesOf([item({ spec: `${"规".repeat(20)}x`, unit: `${"位".repeat(10)}x` })])).toEqual([
      "TEXT_TOO_LONG@lines[0].spec",
      "TEXT_TOO_LONG@lines[0].unit",
    ]);
  });

  it("refuses control characters in texts", () => {
    expect(issuesOf([item({ name: "午\n餐" })])).toEqual(["TEXT_INVALID_CHARACTER@lines[0].name"]);
  });

  it("reports wrong JSON types instead of crashing", () => {
    expect(issuesOf([item({ amount: 100, name: 5 }), "x"])).toEqual([
      "FIELD_TYPE_INVALID@lines[1]",
      "FIELD_TYPE_INVALID@lines[0].name",
      "FIELD_TYPE_INVALID@lines[0].amount",
    ]);
    const notAnOrder = computeInvoice(null as never);
    expect(notAnOrder.ok).toBe(false);
    const badFlag = computeInvoice({ priceIncludesTax: "yes", lines: [item()] } as never);
    expect(badFlag.ok ? [] : badFlag.issues.map((i) => i.path)).toEqual(["priceIncludesTax"]);
  });

  it("refuses a 0.00 line and an unknown kind", () => {
    expect(issuesOf([item({ amount: "0.00" })])).toEqual(["NUMBER_NOT_POSITIVE@lines[0].amount"]);
    expect(issuesOf([item({ kind: "gift" })])).toEqual(["LINE_KIND_INVALID@lines[0].kind"]);
  });
});

describe("a caller's own tax (tax-exclusive orders only)", () => {
  it("is accepted within 0.01 of round(amount × rate) and used as given", () => {
    const [line] = computed([item({ amount: "88.50", taxRate: "0.13", tax: "11.50" })], false).lines;
    expect(line).toMatchObject({ tax: "11.50", amountIncludingTax: "100.00" });
    expect(computed([item({ amount: "88.50", taxRate: "0.13", tax: "11.52" })], false).lines[0]?.tax).toBe(
      "11.52",
    );
  });

  it("is refused beyond 0.01, on a zero rate unless 0, and on tax-inclusive orders", () => {
    expect(issuesOf([item({ amount: "88.50", taxRate: "0.13", tax: "11.53" })], false)).toEqual([
      "TAX_OUT_OF_TOLERANCE@lines[0].tax",
    ]);
    expect(issuesOf([item({ amount: "88.50", taxRate: "0.13", tax: "11.49" })], false)).toEqual([
      "TAX_OUT_OF_TOLERANCE@lines[0].tax",
    ]);
    expect(issuesOf([item({ taxRate: "0", zeroRateKind: "exempt", tax: "0.01" })], false)).toEqual([
      "TAX_OUT_OF_TOLERANCE@lines[0].tax",
    ]);
    expect(issuesOf([item({ tax: "5.66" })], true)).toEqual(["TAX_NOT_ALLOWED@lines[0].tax"]);
  });
});
