import { describe, expect, it } from "vitest";
import { planInvoices } from "./limit";
import { mergeComputedInvoices } from "./merge";
import { mergedPiecesOf, planShareReversal } from "./merge-share";
import { sumAmounts } from "./money";
import { computed, item } from "./test-support";
import type { ComputedInvoice, ComputedLine } from "./types";

const dinner = computed([
  item({ kind: "discounted", amount: "100.00" }),
  { kind: "discount", amount: "-10.00" },
  item({ name: "茶", taxRate: "0.13", taxCode: "1030307020000000000", amount: "36.00" }),
]);
const boxes = computed([
  item({
    name: "蛋糕",
    taxRate: "0.13",
    taxCode: "1030201000000000000",
    quantity: "5",
    unitPrice: "300",
    amount: "1500.00",
  }),
]);

/** The receipts merged and planned under `limit` (split): each invoice's lines. */
function invoicesOf(receipts: ComputedInvoice[], limit: string): ComputedLine[][] {
  const merged = mergeComputedInvoices(receipts);
  if (!merged.ok) throw new Error("expected a merge");
  const plan = planInvoices(merged.value, { limit, policy: "split" });
  if (!plan.ok) throw new Error(`expected a plan: ${plan.issues[0]?.message}`);
  return plan.value.invoices.map((i) => i.lines);
}

describe("a receipt's share of a merged invoice", () => {
  it("finds each receipt line on one invoice, a discounted pair under its discounted row", () => {
    const invoices = invoicesOf([dinner, boxes], "10000");
    expect(mergedPiecesOf([dinner.lines, boxes.lines], invoices)).toEqual([
      [
        { invoice: 0, lineNo: 1, receiptLineNo: 1 },
        { invoice: 0, lineNo: 3, receiptLineNo: 3 },
      ],
      [{ invoice: 0, lineNo: 4, receiptLineNo: 1 }],
    ]);
  });

  it("follows a line cut over the limit onto every invoice that carries a piece, the pieces adding up to it", () => {
    const invoices = invoicesOf([dinner, boxes], "1000");
    const pieces = mergedPiecesOf([dinner.lines, boxes.lines], invoices)!;
    const boxPieces = pieces[1]!;
    expect(boxPieces.length).toBeGreaterThan(1);
    expect(boxPieces.every((p) => p.receiptLineNo === 1)).toBe(true);
    const amounts = boxPieces.map((p) => invoices[p.invoice]![p.lineNo - 1]!.amountIncludingTax);
    expect(sumAmounts(amounts)).toBe("1500.00");
  });

  it("gives null when the invoices are not the receipts' lines", () => {
    const invoices = invoicesOf([dinner, boxes], "10000");
    expect(mergedPiecesOf([dinner.lines], invoices)).toBeNull();
    expect(mergedPiecesOf([boxes.lines, dinner.lines], invoices)).toBeNull();
    const other = invoicesOf([dinner, computed([item({ amount: "1500.00" })])], "10000");
    expect(mergedPiecesOf([dinner.lines, boxes.lines], other)).toBeNull();
  });

  it("plans a refund on the receipt's lines only: whole, by amount, by quantity over a cut line", () => {
    const invoices = invoicesOf([dinner, boxes], "1000").map((lines) => ({ lines, earlier: [] }));
    const pieces = mergedPiecesOf(
      [dinner.lines, boxes.lines],
      invoices.map((i) => i.lines),
    )!;
    // The dinner's whole: its two lines, 126.00, on the first invoice which also holds boxes.
    const whole = planShareReversal(invoices, pieces[0]!, { reason: "销货退回" });
    if (!whole.ok) throw new Error(whole.issues[0]?.message);
    expect(whole.value.plan.red.totals.totalAmount).toBe("-126.00");
    expect(whole.value.requests).toEqual([
      { invoice: 0, whole: false, lines: [{ lineNo: 1 }, { lineNo: 3 }] },
    ]);
    // 4 boxes, as many from each piece in order as it has.
    const four = planShareReversal(invoices, pieces[1]!, {
      reason: "销货退回",
      lines: [{ lineNo: 1, quantity: "4" }],
    });
    if (!four.ok) throw new Error(four.issues[0]?.message);
    expect(four.value.plan.red.totals.totalAmount).toBe("-1200.00");
    const taken = four.value.requests.flatMap((r) => r.lines.map((l) => l.quantity ?? "all"));
    expect(taken.length).toBeGreaterThan(1);
    // Beyond the receipt's boxes, or a line it does not have: refused.
    const six = planShareReversal(invoices, pieces[1]!, {
      reason: "销货退回",
      lines: [{ lineNo: 1, quantity: "6" }],
    });
    expect(six.ok ? [] : six.issues.map((i) => i.code)).toEqual(["RED_EXCEEDS_REMAINING"]);
    const unknown = planShareReversal(invoices, pieces[1]!, { reason: "销货退回", lines: [{ lineNo: 2 }] });
    expect(unknown.ok ? [] : unknown.issues.map((i) => i.code)).toEqual(["RED_LINE_UNKNOWN"]);
    // An amount is shared over the receipt's own lines: the dinner's 90 : 36.
    const amount = planShareReversal(invoices, pieces[0]!, { reason: "销售折让", amount: "12.60" });
    if (!amount.ok) throw new Error(amount.issues[0]?.message);
    expect(amount.value.requests).toEqual([
      {
        invoice: 0,
        whole: false,
        lines: [
          { lineNo: 1, amount: "9.00" },
          { lineNo: 3, amount: "3.60" },
        ],
      },
    ]);
  });

  it("asks for a full red invoice when the refund takes all an invoice has left", () => {
    const invoices = invoicesOf([dinner, boxes], "10000").map((lines) => ({ lines, earlier: [] }));
    const pieces = mergedPiecesOf(
      [dinner.lines, boxes.lines],
      invoices.map((i) => i.lines),
    )!;
    const dinnerBack = planShareReversal(invoices, pieces[0]!, { reason: "销货退回" });
    if (!dinnerBack.ok) throw new Error("expected a plan");
    // Once the dinner is reversed (its lines are the invoice's first: the same numbers), the boxes are all the invoice has left.
    const earlier = dinnerBack.value.plan.pieces.map((p) => ({
      blueLineNo: p.blueLineNo,
      quantity: p.line.quantity,
      amountExcludingTax: p.line.amountExcludingTax,
      tax: p.line.tax,
      amountIncludingTax: p.line.amountIncludingTax,
    }));
    const after = [{ lines: invoices[0]!.lines, earlier }];
    const boxesBack = planShareReversal(after, pieces[1]!, { reason: "销货退回" });
    if (!boxesBack.ok) throw new Error(boxesBack.issues[0]?.message);
    expect(boxesBack.value.requests).toEqual([{ invoice: 0, whole: true, lines: [{ lineNo: 4 }] }]);
  });
});
