/**
 * Property tests: for random valid orders, the computed invoice is internally consistent, a split
 * preserves every amount to the cent (per line and overall) with each invoice valid and within the
 * limit, and the red invoice mirrors the blue one exactly.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeInvoice } from "./invoice";
import { planInvoices } from "./limit";
import { Dec, formatAmount, formatPrice, round2, sumAmounts } from "./money";
import { redInvoiceFrom, verifyRedInvoice } from "./red";
import { OFFERED_TAX_RATES, ZERO_RATE_KINDS } from "./tax-rate";
import { sumTotals, verifyComputedInvoice } from "./totals";
import type { ComputedInvoice, InvoiceInput, ItemLineInput } from "./types";

const cents = (n: bigint) => formatAmount(new Dec(n.toString()).div(100));

/** A valid item line: amount in cents, optional quantity with a consistent price, optional discount. */
const lineArb = fc
  .record({
    rate: fc.constantFrom(...OFFERED_TAX_RATES),
    zeroKind: fc.constantFrom(...ZERO_RATE_KINDS),
    // Mostly everyday amounts, sometimes large ones.
    amountCents: fc.oneof(
      { weight: 4, arbitrary: fc.bigInt({ min: 1n, max: 100_000_00n }) },
      { weight: 1, arbitrary: fc.bigInt({ min: 1n, max: 10_000_000_000_00n }) },
    ),
    quantity: fc.option(
      fc.oneof(
        fc.integer({ min: 1, max: 1000 }).map(String),
        fc
          .tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1, max: 999 }))
          .map(([i, f]) => `${i}.${f}`),
      ),
      { nil: undefined },
    ),
    // Discount as a share of what the line can take: |d| ≤ amount − 0.02 keeps 金额 strictly above it.
    discountPermille: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
  })
  .map(({ rate, zeroKind, amountCents, quantity, discountPermille }): ItemLineInput => {
    const amount = cents(amountCents);
    const line: ItemLineInput = {
      name: "商品",
      shortName: "日用杂品",
      taxCode: "1090511990000000000",
      taxRate: rate,
      amount,
      ...(rate === "0" ? { zeroRateKind: zeroKind } : {}),
    };
    if (quantity) {
      line.quantity = quantity;
      line.unitPrice = formatPrice(new Dec(amount).div(quantity));
    }
    if (discountPermille !== undefined && amountCents >= 3n) {
      const d = ((amountCents - 2n) * BigInt(discountPermille)) / 1000n;
      if (d > 0n) line.discount = cents(-d);
    }
    return line;
  });

const orderArb = fc.record({
  priceIncludesTax: fc.boolean(),
  lines: fc.array(lineArb, { minLength: 1, maxLength: 12 }),
});

function mustCompute(order: InvoiceInput): ComputedInvoice {
  const r = computeInvoice(order);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

describe("random valid orders", () => {
  it("compute to internally consistent invoices", () => {
    fc.assert(
      fc.property(orderArb, (order) => {
        const inv = mustCompute(order);
        expect(verifyComputedInvoice(inv)).toEqual([]);
        expect(inv.totals).toEqual(sumTotals(inv.lines));
        const expectedRows = order.lines.reduce((n, l) => n + ("discount" in l && l.discount ? 2 : 1), 0);
        expect(inv.lines).toHaveLength(expectedRows);
        for (const line of inv.lines) {
          const [excl, tax, incl] = [line.amountExcludingTax, line.tax, line.amountIncludingTax].map(
            (t) => new Dec(t),
          );
          const rate = new Dec(line.taxRate);
          expect(excl!.plus(tax!).eq(incl!)).toBe(true);
          // The formula of DOMAIN.md §2, in the order's basis.
          if (order.priceIncludesTax) expect(round2(incl!.div(rate.plus(1))).eq(excl!)).toBe(true);
          else expect(round2(excl!.times(rate)).eq(tax!)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("split into invoices within the limit that add up to the cent, per line and overall", () => {
    fc.assert(
      fc.property(orderArb, fc.integer({ min: 5, max: 100 }), (order, percent) => {
        const inv = mustCompute(order);
        // A limit between 5 % and 100 % of the total, at least 1.00.
        const total = new Dec(inv.totals.totalAmount);
        const limit = formatAmount(Dec.max(total.times(percent).div(100), "1.00"));
        const r = planInvoices(inv, { limit, policy: "split" });
        if (!r.ok) throw new Error(JSON.stringify(r.issues));
        const { invoices, sourceLineIndexes } = r.value;
        expect(r.value.split).toBe(total.gt(limit));
        expect(invoices.length).toBeGreaterThanOrEqual(total.div(limit).ceil().toNumber());
        for (const part of invoices) {
          expect(verifyComputedInvoice(part)).toEqual([]);
          expect(new Dec(part.totals.totalAmount).lte(limit)).toBe(true);
        }
        const all = invoices.flatMap((p) => p.lines);
        expect(sumTotals(all)).toEqual(inv.totals);
        const sources = sourceLineIndexes.flat();
        expect(sources).toHaveLength(all.length);
        // Every original line's 金额, 税额 and 价税合计 are conserved by its pieces.
        inv.lines.forEach((line, index) => {
          const pieces = all.filter((_, k) => sources[k] === index);
          for (const key of ["amountExcludingTax", "tax", "amountIncludingTax"] as const) {
            expect(sumAmounts(pieces.map((p) => p[key]))).toBe(line[key]);
          }
        });
        // Line order is kept: pieces follow their original lines' order (a discount goes with its line).
        const groups = sources.map((s) => (inv.lines[s]?.kind === "discount" ? s - 1 : s));
        expect(groups).toEqual([...groups].sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });

  it("reverse to red invoices that mirror them exactly", () => {
    fc.assert(
      fc.property(orderArb, (order) => {
        const blue = mustCompute(order);
        const red = redInvoiceFrom(blue);
        expect(verifyRedInvoice(red)).toEqual([]);
        expect(red.totals).toEqual({
          amountExcludingTax: formatAmount(new Dec(blue.totals.amountExcludingTax).neg()),
          taxAmount: formatAmount(new Dec(blue.totals.taxAmount).neg()),
          totalAmount: formatAmount(new Dec(blue.totals.totalAmount).neg()),
        });
        expect(red.lines).toHaveLength(blue.lines.filter((l) => l.kind !== "discount").length);
      }),
      { numRuns: 300 },
    );
  });
});
