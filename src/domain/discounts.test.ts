import { describe, expect, it } from "vitest";
import { toCanonicalLines } from "./discounts";
import { computeInvoice } from "./invoice";
import { computed, issuesOf, item } from "./test-support";
import type { LineInput } from "./types";

const milk = item({ name: "纯牛奶", shortName: "乳制品", taxCode: "1030201000000000000", taxRate: "0.09" });

describe("discount lines: the two input shapes give the same invoice", () => {
  const shorthand = [
    { ...milk, quantity: "2", unitPrice: "12.50", amount: "25.00", discount: "-5.00" },
    item(),
  ];
  const rows = [
    { ...milk, quantity: "2", unitPrice: "12.50", amount: "25.00" },
    { kind: "discount", amount: "-5.00" },
    item(),
  ];

  it("computes a discounted line and its discount right after it", () => {
    const a = computed(shorthand);
    expect(a).toEqual(computed(rows));
    expect(a.lines.map((l) => l.kind)).toEqual(["discounted", "discount", "normal"]);
    expect(a.lines[0]).toMatchObject({
      amountExcludingTax: "22.94",
      tax: "2.06",
      amountIncludingTax: "25.00",
    });
    // The discount: same name, code and rate, no quantity or price, its own tax by the same formula.
    expect(a.lines[1]).toMatchObject({
      kind: "discount",
      itemName: "*乳制品*纯牛奶",
      taxCode: "1030201000000000000",
      taxRate: "0.09",
      taxRateLabel: "9%",
      quantity: null,
      unitPrice: null,
      amountExcludingTax: "-4.59",
      tax: "-0.41",
      amountIncludingTax: "-5.00",
    });
    expect(a.totals).toEqual({ amountExcludingTax: "112.69", taxAmount: "7.31", totalAmount: "120.00" });
  });

  it("computes a discount in a tax-exclusive order from its exclusive amount", () => {
    const inv = computed([item({ amount: "100.00", taxRate: "0.13", discount: "-10.50" })], false);
    expect(inv.lines[1]).toMatchObject({
      amountExcludingTax: "-10.50",
      tax: "-1.37",
      amountIncludingTax: "-11.87",
    });
  });

  it("converts the shorthand to canonical rows for storage", () => {
    const canonical = toCanonicalLines(shorthand as LineInput[]);
    expect(canonical).toEqual([
      { ...milk, kind: "discounted", quantity: "2", unitPrice: "12.50", amount: "25.00" },
      { kind: "discount", amount: "-5.00" },
      item(),
    ]);
    expect(computed(canonical)).toEqual(computed(shorthand));
  });

  it("accepts a discount row that restates the same name, code and rate", () => {
    const inv = computed([
      milk,
      {
        kind: "discount",
        amount: "-1.00",
        name: "纯牛奶",
        shortName: "乳制品",
        taxCode: "1030201000000000000",
        taxRate: "0.090",
      },
    ]);
    expect(inv.lines[1]?.kind).toBe("discount");
  });
});

describe("discount rules (DOMAIN.md §3), each error naming the offending line", () => {
  it.each([
    [
      "a discount as the first row",
      [{ kind: "discount", amount: "-1.00" }, item()],
      ["DISCOUNT_WITHOUT_LINE@lines[0]"],
    ],
    [
      "two discounts for one line",
      [item(), { kind: "discount", amount: "-1.00" }, { kind: "discount", amount: "-1.00" }],
      ["DISCOUNT_DUPLICATE@lines[2]"],
    ],
    [
      "a shorthand discount and a discount row",
      [item({ discount: "-1.00" }), { kind: "discount", amount: "-1.00" }],
      ["DISCOUNT_DUPLICATE@lines[1]"],
    ],
    [
      "a line marked discounted without a discount",
      [item({ kind: "discounted" }), item()],
      ["DISCOUNT_MISSING@lines[0]"],
    ],
    [
      "a positive discount",
      [item(), { kind: "discount", amount: "5.00" }],
      ["NUMBER_NOT_NEGATIVE@lines[1].amount"],
    ],
    ["a zero discount", [item({ discount: "0.00" })], ["NUMBER_NOT_NEGATIVE@lines[0].discount"]],
    ["a 100% discount", [item({ discount: "-100.00" })], ["DISCOUNT_TOO_LARGE@lines[0].discount"]],
    [
      "more than 100%",
      [item(), { kind: "discount", amount: "-100.01" }],
      ["DISCOUNT_TOO_LARGE@lines[1].amount"],
    ],
    ["three decimals", [item({ discount: "-1.005" })], ["NUMBER_TOO_MANY_DECIMALS@lines[0].discount"]],
    [
      "a quantity on a discount",
      [item(), { kind: "discount", amount: "-1.00", quantity: "1", unitPrice: "1" }],
      ["DISCOUNT_HAS_QUANTITY@lines[1].quantity", "DISCOUNT_HAS_QUANTITY@lines[1].unitPrice"],
    ],
    [
      "another name, code or rate",
      [
        item(),
        { kind: "discount", amount: "-1.00", name: "晚餐", taxCode: "3070401000000000001", taxRate: "0.13" },
      ],
      [
        "DISCOUNT_MISMATCH@lines[1].name",
        "DISCOUNT_MISMATCH@lines[1].taxCode",
        "DISCOUNT_MISMATCH@lines[1].taxRate",
      ],
    ],
  ])("refuses %s", (_, lines, expected) => {
    expect(issuesOf(lines)).toEqual(expected);
  });

  it("refuses a discount that leaves nothing before tax (1.00 − 0.99 at 13% is 0.00 excl)", () => {
    // 1.00 / 1.13 = 0.885 → 0.88 and 0.99 / 1.13 = 0.876 → 0.88: the net would be 0.00 + 0.01 tax.
    expect(issuesOf([item({ amount: "1.00", taxRate: "0.13", discount: "-0.99" })])).toEqual([
      "DISCOUNT_TOO_LARGE@lines[0].discount",
    ]);
    expect(computeInvoice({ lines: [item({ amount: "1.00", taxRate: "0.13", discount: "-0.98" })] }).ok).toBe(
      true,
    );
  });

  it("says which line in the message", () => {
    const r = computeInvoice({ lines: [item(), item(), { kind: "discount", amount: "-200.00" }] });
    expect(r.ok ? [] : r.issues).toEqual([
      {
        code: "DISCOUNT_TOO_LARGE",
        path: "lines[2].amount",
        message: "第3行折扣金额 -200.00 的绝对值须小于被折扣行金额 100.00",
      },
    ]);
  });

  it("still checks a misplaced discount row's own fields", () => {
    expect(issuesOf([{ kind: "discount", amount: "abc" }, item()])).toEqual([
      "DISCOUNT_WITHOUT_LINE@lines[0]",
      "NUMBER_FORMAT_INVALID@lines[0].amount",
    ]);
  });

  it("reports the discount and its line's own issues together", () => {
    expect(issuesOf([item({ amount: "x", discount: "-1" }), item({ taxCode: "1" })])).toEqual([
      "NUMBER_FORMAT_INVALID@lines[0].amount",
      "TAX_CODE_INVALID@lines[1].taxCode",
    ]);
  });

  it("allows a 99.98% discount", () => {
    const inv = computed([item({ amount: "100.00", discount: "-99.98", taxRate: "0.06" })]);
    expect(inv.totals.totalAmount).toBe("0.02");
  });
});
