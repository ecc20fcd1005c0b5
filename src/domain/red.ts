/**
 * Red invoices (红字发票), DOMAIN.md §8: a full reversal of a blue invoice. Lines mirror the blue
 * ones with amounts, tax and quantity negative (the unit price stays positive, as printed on red
 * invoices); a discounted pair becomes one normal line with the net amounts, since a red invoice has
 * no discount lines. Totals are exactly the negated blue totals.
 */

import type { DomainIssue } from "./errors";
import { identityOf, lineAmountsOf, makeLine } from "./lines";
import { negateAmount as negate, toDec } from "./money";
import { sumTotals, verifyComputedInvoice } from "./totals";
import type { ComputedInvoice, ComputedLine } from "./types";

export const RED_REASONS = ["开票有误", "销货退回", "服务中止", "销售折让"] as const;
export type RedReason = (typeof RED_REASONS)[number];

export function isRedReason(value: unknown): value is RedReason {
  return typeof value === "string" && (RED_REASONS as readonly string[]).includes(value);
}

/**
 * Throws when the blue lines are malformed (a discount not right after a discounted line): they
 * come from an invoice we issued, so that is a programming error, not a user's.
 */
export function redLinesFrom(blueLines: readonly ComputedLine[]): ComputedLine[] {
  const red: ComputedLine[] = [];
  for (let i = 0; i < blueLines.length; i++) {
    const line = blueLines[i]!;
    if (line.kind === "discount") throw new Error(`line ${i}: discount line without its discounted line`);
    const a = lineAmountsOf(line);
    const next = blueLines[i + 1];
    if (line.kind === "discounted") {
      if (next?.kind !== "discount") throw new Error(`line ${i}: discounted line without its discount`);
      const d = lineAmountsOf(next);
      a.excl = a.excl.plus(d.excl);
      a.tax = a.tax.plus(d.tax);
      a.incl = a.incl.plus(d.incl);
      i++;
    }
    const quantity = line.quantity === null ? null : toDec(line.quantity).neg();
    red.push(
      makeLine(identityOf(line), "normal", quantity, {
        excl: a.excl.neg(),
        tax: a.tax.neg(),
        incl: a.incl.neg(),
      }),
    );
  }
  return red;
}

/** The red counterpart of a whole blue invoice; its totals are the negated blue totals. */
export function redInvoiceFrom(blue: ComputedInvoice): ComputedInvoice {
  const lines = redLinesFrom(blue.lines);
  return { priceIncludesTax: blue.priceIncludesTax, lines, totals: sumTotals(lines) };
}

/**
 * A red invoice's invariants: its negation must be a valid invoice without discount lines
 * (quantities negative, unit prices positive). The invoice-level tax rule is not applied: a red
 * invoice mirrors lines already issued (merging a discounted pair can move its Σ eᵢ by a cent), and
 * an invoice issued must stay reversible.
 */
export function verifyRedInvoice(red: ComputedInvoice): DomainIssue[] {
  const issues: DomainIssue[] = [];
  const mirrored = red.lines.map((line, i) => {
    if (line.kind !== "normal") {
      issues.push({
        code: "LINE_KIND_INVALID",
        path: `lines[${i}]`,
        message: `第${i + 1}行红字发票不能有折扣行`,
      });
    }
    const a = lineAmountsOf(line);
    const quantity = line.quantity === null ? null : toDec(line.quantity).neg();
    return makeLine(identityOf(line), line.kind, quantity, {
      excl: a.excl.neg(),
      tax: a.tax.neg(),
      incl: a.incl.neg(),
    });
  });
  const totals = {
    amountExcludingTax: negate(red.totals.amountExcludingTax),
    taxAmount: negate(red.totals.taxAmount),
    totalAmount: negate(red.totals.totalAmount),
  };
  return [
    ...issues,
    ...verifyComputedInvoice(
      { priceIncludesTax: red.priceIncludesTax, lines: mirrored, totals },
      { taxTolerance: false },
    ),
  ];
}
