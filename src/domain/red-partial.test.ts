import { describe, expect, it } from "vitest";
import { amountInCapitals } from "./capitals";
import { sumAmounts } from "./money";
import { redInvoiceFrom } from "./red";
import {
  type EarlierRedLine,
  planReversal,
  type ReversalPlan,
  redStillFits,
  reversibleOf,
} from "./red-partial";
import { computed, item } from "./test-support";
import { lineTaxError, taxRoundingError } from "./totals";
import type { ComputedLine } from "./types";

/** A blue invoice: 1) 4 × 25.00 at 13 %, 2) 100.00 at 6 % with a −10.00 discount (row 3), 4) 35.00 at 9 %. */
const blue = computed([
  item({ quantity: "4", unitPrice: "25", amount: "100.00", taxRate: "0.13", unit: "份" }),
  item({ name: "咨询", shortName: "信息技术服务", amount: "100.00", taxRate: "0.06", discount: "-10.00" }),
  item({ quantity: "3", unitPrice: "11.6666666666667", amount: "35.00", taxRate: "0.09" }),
]).lines;

function planned(earlier: EarlierRedLine[], request: Parameters<typeof planReversal>[2]): ReversalPlan {
  const r = planReversal(blue, earlier, request);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

function issuesOf(earlier: EarlierRedLine[], request: Parameters<typeof planReversal>[2]): string[] {
  const r = planReversal(blue, earlier, request);
  if (r.ok) throw new Error("expected issues");
  return r.issues.map((i) => `${i.code}@${i.path}`);
}

const earlierOf = (plan: ReversalPlan): (EarlierRedLine & ComputedLine)[] =>
  plan.pieces.map((p) => ({ blueLineNo: p.blueLineNo, ...p.line }));

const amounts = (l: ComputedLine) => [l.quantity, l.amountExcludingTax, l.tax, l.amountIncludingTax];

describe("partial red: what to reverse", () => {
  it("a reason alone reverses the whole invoice exactly as the full reversal does", () => {
    const plan = planned([], { reason: "开票有误" });
    const full = redInvoiceFrom({ priceIncludesTax: true, lines: blue, totals: computedTotals() });
    expect(plan.whole).toBe(true);
    expect(plan.red.lines).toEqual(full.lines);
    expect(plan.red.totals).toEqual(full.totals);
    expect(plan.pieces.map((p) => p.blueLineNo)).toEqual([1, 2, 4]);
    expect(plan.exhausts).toBe(true);
    expect(plan.remainingAfter).toEqual({
      amountExcludingTax: "0.00",
      taxAmount: "0.00",
      totalAmount: "0.00",
    });
    expect(amountInCapitals(plan.red.totals.totalAmount)).toBe("（负数）贰佰贰拾伍圆整");
  });

  // Each row: request lines → red line (quantity, 金额, 税额, 价税合计) per DOMAIN.md §2 rounding.
  it.each([
    // 1 of 4 at 100.00 incl 13 %: 价税合计 25.00, 金额 round(25.00 / 1.13 = 22.1239) = 22.12, 税额 2.88.
    [[{ lineNo: 1, quantity: "1" }], [["-1", "-22.12", "-2.88", "-25.00"]]],
    // 3 of 4: 75.00, 金额 round(66.3717) = 66.37, 税额 8.63.
    [[{ lineNo: 1, quantity: "3" }], [["-3", "-66.37", "-8.63", "-75.00"]]],
    // A quantity with decimals: 0.5 of 4 → 12.50, 金额 round(11.0619) = 11.06.
    [[{ lineNo: 1, quantity: "0.5" }], [["-0.5", "-11.06", "-1.44", "-12.50"]]],
    // The discounted pair (row 2 with its discount row 3) is one line: net 90.00 = 84.91 + 5.09.
    [[{ lineNo: 2 }], [[null, "-84.91", "-5.09", "-90.00"]]],
    // Whole lines, named out of order: red lines follow the blue order.
    [
      [{ lineNo: 4 }, { lineNo: 1 }],
      [
        ["-4", "-88.50", "-11.50", "-100.00"],
        ["-3", "-32.11", "-2.89", "-35.00"],
      ],
    ],
    // 1 of 3 at 35.00 incl 9 %: round(35.00 / 3) = 11.67, 金额 round(11.67 / 1.09 = 10.7064) = 10.71.
    [[{ lineNo: 4, quantity: "1" }], [["-1", "-10.71", "-0.96", "-11.67"]]],
  ])("by lines %j", (lines, expected) => {
    const plan = planned([], { reason: "销货退回", lines });
    expect(plan.red.lines.map(amounts)).toEqual(expected);
    expect(plan.red.lines.every((l) => l.kind === "normal")).toBe(true);
    // Unit prices stay positive; tax per line within the derived-line tolerance of the formula.
    for (const l of plan.red.lines) if (l.unitPrice !== null) expect(l.unitPrice.startsWith("-")).toBe(false);
    expect(plan.exhausts).toBe(false);
  });

  it.each([
    // 销售折让 by amount on one line: 价税合计 given, 金额 from the line's share.
    [{ lines: [{ lineNo: 1, amount: "10.00" }] }, [[null, "-8.85", "-1.15", "-10.00"]]],
    // A top-level amount is shared by what remains of each line, in proportion (100 : 90 : 35 of 225).
    [
      { amount: "22.50" },
      [
        [null, "-8.85", "-1.15", "-10.00"],
        [null, "-8.49", "-0.51", "-9.00"],
        [null, "-3.21", "-0.29", "-3.50"],
      ],
    ],
    // One cent goes to one line only; the others get nothing and no line.
    [{ amount: "0.01" }, [[null, "-0.01", "0.00", "-0.01"]]],
  ])("销售折让 %j", (request, expected) => {
    const plan = planned([], { reason: "销售折让", ...request });
    expect(plan.red.lines.map(amounts)).toEqual(expected);
  });

  it("pieces of a line add up to exactly the blue line, however it is cut", () => {
    let earlier: (EarlierRedLine & ComputedLine)[] = [];
    const steps = [{ quantity: "1" }, { amount: "0.03" }, { quantity: "1" }, { amount: "7.77" }, {}];
    for (const step of steps) {
      const plan = planned(earlier, { reason: "销售折让", lines: [{ lineNo: 1, ...step }] });
      earlier = [...earlier, ...earlierOf(plan)];
    }
    const sum = (pick: (l: EarlierRedLine) => string) => sumAmounts(earlier.map(pick));
    expect(sum((l) => l.amountExcludingTax)).toBe("-88.50");
    expect(sum((l) => l.tax)).toBe("-11.50");
    expect(sum((l) => l.amountIncludingTax)).toBe("-100.00");
    // Each piece stays within a cent or two of round(金额 × 税率).
    for (const l of earlier) expect(lineTaxError(l).abs().lte("0.02")).toBe(true);
    const rest = reversibleOf(blue, earlier);
    expect(rest.lines[0]!.remaining).toEqual({
      quantity: "0",
      amountExcludingTax: "0.00",
      tax: "0.00",
      amountIncludingTax: "0.00",
    });
    expect(rest.lines[0]!.reversed).toMatchObject({ quantity: "4", amountIncludingTax: "100.00" });
  });

  it("a failed red retried fits only what the reds issued since have left of its blue lines", () => {
    const failed = earlierOf(planned([], { reason: "销货退回", lines: [{ lineNo: 1, quantity: "2" }] }));
    // Nothing else reversed line 1 meanwhile: it fits, also beside a red of another line.
    expect(redStillFits(blue, [], failed)).toBe(true);
    const other = earlierOf(planned([], { reason: "销货退回", lines: [{ lineNo: 2 }] }));
    expect(redStillFits(blue, other, failed)).toBe(true);
    // Two of line 1's four pieces were taken since: two remain, it still fits; three taken: not.
    const two = earlierOf(planned([], { reason: "销货退回", lines: [{ lineNo: 1, quantity: "2" }] }));
    expect(redStillFits(blue, two, failed)).toBe(true);
    const three = earlierOf(planned([], { reason: "销货退回", lines: [{ lineNo: 1, quantity: "3" }] }));
    expect(redStillFits(blue, three, failed)).toBe(false);
    // A 销售折让 amount taken from the whole invoice leaves line 1 less than the red asks.
    const allowance = earlierOf(planned([], { reason: "销售折让", lines: [{ lineNo: 1, amount: "60.00" }] }));
    expect(redStillFits(blue, allowance, failed)).toBe(false);
  });

  it("what remains, per line and in total, after earlier reversals", () => {
    const first = planned([], { reason: "销货退回", lines: [{ lineNo: 1, quantity: "1" }, { lineNo: 4 }] });
    expect(first.remainingAfter).toEqual({
      amountExcludingTax: "151.29",
      taxAmount: "13.71",
      totalAmount: "165.00",
    });
    const rest = reversibleOf(blue, earlierOf(first));
    expect(rest.exhausted).toBe(false);
    expect(rest.lines.map((l) => [l.lineNo, l.remaining.quantity, l.remaining.amountIncludingTax])).toEqual([
      [1, "3", "75.00"],
      [2, null, "90.00"],
      [4, "0", "0.00"],
    ]);
    // A reason alone now reverses what remains, and exhausts the invoice.
    const second = planned(earlierOf(first), { reason: "销货退回" });
    expect(second.red.lines.map(amounts)).toEqual([
      ["-3", "-66.38", "-8.62", "-75.00"],
      [null, "-84.91", "-5.09", "-90.00"],
    ]);
    expect(second.exhausts).toBe(true);
    expect(second.remainingAfter.totalAmount).toBe("0.00");
  });
});

describe("partial red: refused requests", () => {
  it.each([
    [{ reason: "退货" }, ["RED_REASON_INVALID@reason"]],
    [{ reason: "销售折让", lines: [{ lineNo: 1 }], amount: "1.00" }, ["RED_LINES_AND_AMOUNT@amount"]],
    [{ reason: "销货退回", lines: [] }, ["LINES_REQUIRED@lines"]],
    [{ reason: "销货退回", lines: {} }, ["FIELD_TYPE_INVALID@lines"]],
    [{ reason: "销货退回", lines: [7] }, ["FIELD_TYPE_INVALID@lines[0]"]],
    [{ reason: "销货退回", lines: [{ lineNo: "1" }] }, ["FIELD_TYPE_INVALID@lines[0].lineNo"]],
    [{ reason: "销货退回", lines: [{ lineNo: 9 }] }, ["RED_LINE_UNKNOWN@lines[0].lineNo"]],
    [{ reason: "销货退回", lines: [{ lineNo: 0 }] }, ["RED_LINE_UNKNOWN@lines[0].lineNo"]],
    [{ reason: "销货退回", lines: [{ lineNo: 3 }] }, ["RED_LINE_IS_DISCOUNT@lines[0].lineNo"]],
    [{ reason: "销货退回", lines: [{ lineNo: 1 }, { lineNo: 1 }] }, ["RED_LINE_DUPLICATE@lines[1].lineNo"]],
    [
      { reason: "销货退回", lines: [{ lineNo: 1, quantity: "5" }] },
      ["RED_EXCEEDS_REMAINING@lines[0].quantity"],
    ],
    [
      { reason: "销货退回", lines: [{ lineNo: 1, quantity: "-1" }] },
      ["NUMBER_NOT_POSITIVE@lines[0].quantity"],
    ],
    [
      { reason: "销货退回", lines: [{ lineNo: 1, quantity: "0" }] },
      ["NUMBER_NOT_POSITIVE@lines[0].quantity"],
    ],
    [{ reason: "销货退回", lines: [{ lineNo: 1, quantity: 1 }] }, ["FIELD_TYPE_INVALID@lines[0].quantity"]],
    [
      { reason: "销货退回", lines: [{ lineNo: 2, quantity: "1" }] },
      ["RED_LINE_NO_QUANTITY@lines[0].quantity"],
    ],
    [
      { reason: "销货退回", lines: [{ lineNo: 1, quantity: "0.0001" }] },
      ["RED_AMOUNT_TOO_SMALL@lines[0].quantity"],
    ],
    [
      { reason: "销售折让", lines: [{ lineNo: 1, quantity: "1", amount: "1.00" }] },
      ["RED_QUANTITY_AND_AMOUNT@lines[0]"],
    ],
    [
      { reason: "销货退回", lines: [{ lineNo: 1, amount: "1.00" }] },
      ["RED_AMOUNT_NEEDS_DISCOUNT_REASON@lines[0].amount"],
    ],
    [{ reason: "开票有误", amount: "1.00" }, ["RED_AMOUNT_NEEDS_DISCOUNT_REASON@amount"]],
    [{ reason: "销售折让", amount: "-1.00" }, ["NUMBER_NOT_POSITIVE@amount"]],
    [{ reason: "销售折让", amount: "1.001" }, ["NUMBER_TOO_MANY_DECIMALS@amount"]],
    [{ reason: "销售折让", amount: "225.01" }, ["RED_EXCEEDS_REMAINING@amount"]],
    [
      { reason: "销售折让", lines: [{ lineNo: 2, amount: "90.01" }] },
      ["RED_EXCEEDS_REMAINING@lines[0].amount"],
    ],
    // Every problem at once, not only the first.
    [
      { reason: "销货退回", lines: [{ lineNo: 9 }, { lineNo: 1, quantity: "4.5" }] },
      ["RED_LINE_UNKNOWN@lines[0].lineNo", "RED_EXCEEDS_REMAINING@lines[1].quantity"],
    ],
  ])("%j", (request, expected) => {
    expect(issuesOf([], request)).toEqual(expected);
  });

  it("says what remains when a request exceeds it, and refuses anything on an exhausted line or invoice", () => {
    const first = earlierOf(planned([], { reason: "销货退回", lines: [{ lineNo: 1, quantity: "3" }] }));
    const r = planReversal(blue, first, { reason: "销货退回", lines: [{ lineNo: 1, quantity: "2" }] });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues[0]).toMatchObject({
        code: "RED_EXCEEDS_REMAINING",
        message: "第1行红冲数量 2 超过可红冲的 1",
        details: { lineNo: "1", requested: "2", remaining: "1" },
      });
    }
    const all = [...first, ...earlierOf(planned(first, { reason: "销货退回" }))];
    expect(issuesOf(all, { reason: "销货退回" })).toEqual(["RED_NOTHING_LEFT@reason"]);
    expect(issuesOf(all, { reason: "销货退回", lines: [{ lineNo: 4 }] })).toEqual([
      "RED_NOTHING_LEFT@lines[0].lineNo",
    ]);
    expect(issuesOf(all, { reason: "销售折让", amount: "0.01" })).toEqual(["RED_EXCEEDS_REMAINING@amount"]);
  });
});

describe("partial red: the 1.27 rule (DOMAIN.md §4)", () => {
  // ¥1.00 at 13 % incl: 0.88 + 0.12, round(0.88 × 0.13) = 0.11 → eᵢ = −0.01 (+0.01 on its red line).
  const minus = item({ amount: "1.00", taxRate: "0.13" });
  // ¥1.00 at 13 % excl with the caller's own tax 0.12 (within 0.01 of 0.13) → eᵢ = +0.01.
  const plusOne = computed([item({ amount: "1.00", taxRate: "0.13", tax: "0.12" })], false).lines[0]!;

  it("accepts a partial red of lines within the rule (127 × −0.01)", () => {
    const lines = computed(Array.from({ length: 128 }, () => minus).slice(0, 127)).lines;
    expect(taxRoundingError(lines).toFixed(2)).toBe("-1.27");
    const all = planReversal(lines, [], {
      reason: "销货退回",
      lines: Array.from({ length: 127 }, (_, i) => ({ lineNo: i + 1 })),
    });
    expect(all.ok).toBe(true);
  });

  it("refuses a subset whose errors no longer cancel; a reason alone is not held to it", () => {
    expect(taxRoundingError([plusOne]).toFixed(2)).toBe("0.01");
    const blueLines = [
      ...computed(Array.from({ length: 150 }, () => minus)).lines,
      ...Array.from({ length: 150 }, () => plusOne),
    ];
    expect(taxRoundingError(blueLines).toFixed(2)).toBe("0.00");
    const subset = planReversal(blueLines, [], {
      reason: "销货退回",
      lines: Array.from({ length: 150 }, (_, i) => ({ lineNo: i + 1 })),
    });
    expect(subset.ok).toBe(false);
    if (!subset.ok) {
      expect(subset.issues).toHaveLength(1);
      expect(subset.issues[0]).toMatchObject({
        code: "TAX_TOTAL_OUT_OF_TOLERANCE",
        path: "lines",
        details: { difference: "1.50", tolerance: "1.27" },
      });
      expect(subset.issues[0]!.message).toContain("分几次红冲");
    }
    // Fewer lines at a time pass; a reason alone reverses the whole invoice (its errors cancel anyway).
    const part = planReversal(blueLines, [], {
      reason: "销货退回",
      lines: Array.from({ length: 127 }, (_, i) => ({ lineNo: i + 1 })),
    });
    expect(part.ok).toBe(true);
    if (!part.ok) return;
    const rest = planReversal(
      blueLines,
      part.value.pieces.map((p) => ({ blueLineNo: p.blueLineNo, ...p.line })),
      { reason: "销货退回" },
    );
    expect(rest.ok).toBe(true);
  });
});

function computedTotals() {
  const sum = (pick: (l: ComputedLine) => string) => sumAmounts(blue.map(pick));
  return {
    amountExcludingTax: sum((l) => l.amountExcludingTax),
    taxAmount: sum((l) => l.tax),
    totalAmount: sum((l) => l.amountIncludingTax),
  };
}
