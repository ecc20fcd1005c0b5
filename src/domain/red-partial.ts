/**
 * Partial red invoices (部分红冲), DOMAIN.md §8: chosen lines and quantities, or — for 销售折让 —
 * an amount, reversed from a blue invoice; what remains reversible is always known, and the
 * reversals of one blue invoice never add up to more than it.
 *
 * Blue lines are numbered as printed (`lineNo`, 1-based, discount rows counted). A discounted pair is
 * one reversible line under the discounted row's number, with the net amounts (§3: a red invoice has
 * no discount lines); the discount row's own number is refused and points at its line.
 *
 * Money of a piece: its 价税合计 is the request's amount, or round(net 价税合计 × q / Q) for a
 * quantity q of Q; its 金额 = round(价税合计 / (1 + rate)) and 税额 = 价税合计 − 金额 (§2, half-up),
 * except that the line's reversed 金额 is kept within a cent of its share of the blue 金额, so
 * rounding cannot drift over many pieces. The piece that takes what remains of a line takes it
 * exactly, so the pieces of a line add up to its 金额, 税额 and 价税合计.
 */

import { type DomainIssue, fail, issue, ok, type Result } from "./errors";
import { identityOf, type LineAmounts, lineAmountsOf, makeLine } from "./lines";
import {
  amountRule,
  type Dec,
  formatAmount,
  formatPrice,
  QUANTITY_RULE,
  readNumberField,
  round2,
  toDec,
  ZERO,
} from "./money";
import { isRedReason, RED_REASONS, verifyRedInvoice } from "./red";
import { checkTaxTolerance, sumTotals, TAX_TOTAL_TOLERANCE } from "./totals";
import type { ComputedInvoice, ComputedLine, InvoiceTotals } from "./types";

/** A line of an earlier red invoice of the same blue one, with the blue line it reversed. */
export interface EarlierRedLine {
  /** The blue line's number (see above). */
  blueLineNo: number;
  /** Negative (or null), as stored on the red invoice. */
  quantity: string | null;
  amountExcludingTax: string;
  tax: string;
  amountIncludingTax: string;
}

/** Quantities and amounts, positive. */
export interface ReversibleAmounts {
  /** Null when the line has no quantity. */
  quantity: string | null;
  amountExcludingTax: string;
  tax: string;
  amountIncludingTax: string;
}

/** One reversible line of a blue invoice: what it was (net), what is reversed and what remains. */
export interface ReversibleLine {
  lineNo: number;
  /** The blue line as one normal line (a discounted pair merged), positive. */
  line: ComputedLine;
  reversed: ReversibleAmounts;
  remaining: ReversibleAmounts;
}

export interface Reversible {
  lines: ReversibleLine[];
  /** What remains of the whole invoice, positive. */
  remaining: InvoiceTotals;
  /** True when nothing remains (the blue invoice is fully reversed). */
  exhausted: boolean;
}

interface NetLine {
  lineNo: number;
  line: ComputedLine;
  a: LineAmounts;
  quantity: Dec | null;
}

/**
 * The blue lines as reversible lines (discounted pairs merged), numbered as printed. Throws on
 * malformed blue lines: they come from an invoice we issued, so that is a programming error.
 */
function netLinesOf(blueLines: readonly ComputedLine[]): NetLine[] {
  const out: NetLine[] = [];
  for (let i = 0; i < blueLines.length; i++) {
    const line = blueLines[i]!;
    if (line.kind === "discount") throw new Error(`line ${i}: discount line without its discounted line`);
    const a = lineAmountsOf(line);
    const lineNo = i + 1;
    if (line.kind === "discounted") {
      const next = blueLines[i + 1];
      if (next?.kind !== "discount") throw new Error(`line ${i}: discounted line without its discount`);
      const d = lineAmountsOf(next);
      a.excl = a.excl.plus(d.excl);
      a.tax = a.tax.plus(d.tax);
      a.incl = a.incl.plus(d.incl);
      i++;
    }
    const quantity = line.quantity === null ? null : toDec(line.quantity);
    out.push({ lineNo, a, quantity, line: makeLine(identityOf(line), "normal", quantity, a) });
  }
  return out;
}

function amountsText(quantity: Dec | null, a: LineAmounts): ReversibleAmounts {
  return {
    quantity: quantity === null ? null : formatPrice(quantity),
    amountExcludingTax: formatAmount(a.excl),
    tax: formatAmount(a.tax),
    amountIncludingTax: formatAmount(a.incl),
  };
}

interface Tally {
  net: NetLine;
  quantity: Dec;
  a: LineAmounts;
}

function tally(blueLines: readonly ComputedLine[], earlier: readonly EarlierRedLine[]): Tally[] {
  const tallies = netLinesOf(blueLines).map((net) => ({
    net,
    quantity: ZERO,
    a: { excl: ZERO, tax: ZERO, incl: ZERO },
  }));
  const byNo = new Map(tallies.map((t) => [t.net.lineNo, t]));
  for (const r of earlier) {
    const t = byNo.get(r.blueLineNo);
    if (!t) throw new Error(`red line reverses unknown blue line ${r.blueLineNo}`);
    if (r.quantity !== null) t.quantity = t.quantity.plus(toDec(r.quantity).neg());
    t.a.excl = t.a.excl.plus(toDec(r.amountExcludingTax).neg());
    t.a.tax = t.a.tax.plus(toDec(r.tax).neg());
    t.a.incl = t.a.incl.plus(toDec(r.amountIncludingTax).neg());
  }
  return tallies;
}

function remainingOf(t: Tally): { quantity: Dec | null; a: LineAmounts } {
  return {
    quantity: t.net.quantity === null ? null : Dec0(t.net.quantity.minus(t.quantity)),
    a: {
      excl: t.net.a.excl.minus(t.a.excl),
      tax: t.net.a.tax.minus(t.a.tax),
      incl: t.net.a.incl.minus(t.a.incl),
    },
  };
}

/** Never below zero (an amount reversal can take a line's money while its quantity remains). */
function Dec0(d: Dec): Dec {
  return d.lt(0) ? ZERO : d;
}

/** What a blue invoice has left to reverse, given the lines of its earlier (not failed) red invoices. */
export function reversibleOf(
  blueLines: readonly ComputedLine[],
  earlier: readonly EarlierRedLine[],
): Reversible {
  const lines = tally(blueLines, earlier).map((t) => {
    const rest = remainingOf(t);
    return {
      lineNo: t.net.lineNo,
      line: t.net.line,
      reversed: amountsText(t.net.quantity === null ? null : t.quantity, t.a),
      remaining: amountsText(rest.quantity, rest.a),
    };
  });
  const sum = (pick: (l: ReversibleLine) => string) =>
    formatAmount(lines.reduce((s, l) => s.plus(toDec(pick(l))), ZERO));
  const remaining = {
    amountExcludingTax: sum((l) => l.remaining.amountExcludingTax),
    taxAmount: sum((l) => l.remaining.tax),
    totalAmount: sum((l) => l.remaining.amountIncludingTax),
  };
  return { lines, remaining, exhausted: lines.every((l) => toDec(l.remaining.amountIncludingTax).isZero()) };
}

/**
 * Whether a red invoice's own lines still fit what its blue invoice has left, given the other (not
 * failed) red invoices — for a failed red retried after other reds took part of the blue meanwhile.
 * Compared per blue line, tax included, and by quantity where the line has one.
 */
export function redStillFits(
  blueLines: readonly ComputedLine[],
  others: readonly EarlierRedLine[],
  own: readonly EarlierRedLine[],
): boolean {
  const left = new Map(reversibleOf(blueLines, others).lines.map((l) => [l.lineNo, l.remaining]));
  const wanted = new Map<number, { amount: Dec; quantity: Dec | null }>();
  for (const r of own) {
    const w = wanted.get(r.blueLineNo) ?? { amount: ZERO, quantity: null };
    w.amount = w.amount.plus(toDec(r.amountIncludingTax).abs());
    if (r.quantity !== null) w.quantity = (w.quantity ?? ZERO).plus(toDec(r.quantity).abs());
    wanted.set(r.blueLineNo, w);
  }
  for (const [lineNo, w] of wanted) {
    const rest = left.get(lineNo);
    if (!rest || w.amount.gt(toDec(rest.amountIncludingTax))) return false;
    if (w.quantity !== null && rest.quantity !== null && w.quantity.gt(toDec(rest.quantity))) return false;
  }
  return true;
}

/** A reversal request as the open API or the console sends it (read defensively). */
export interface ReversalRequest {
  reason: unknown;
  lines?: unknown;
  amount?: unknown;
}

/** One red line and the blue line it reverses. */
export interface RedPiece {
  blueLineNo: number;
  line: ComputedLine;
}

export interface ReversalPlan {
  /** Only a reason: the whole invoice, or all that remains of it. */
  whole: boolean;
  /** The red invoice (negative amounts and quantities, no discount lines). */
  red: ComputedInvoice;
  pieces: RedPiece[];
  /** What remains after this reversal, positive. */
  remainingAfter: InvoiceTotals;
  /** True when this reversal leaves nothing. */
  exhausts: boolean;
}

/** Issues about the request that exceed what remains (a conflict, not a malformed request). */
export const EXCEEDS_CODES = ["RED_EXCEEDS_REMAINING", "RED_NOTHING_LEFT"] as const;

/**
 * Plans a red invoice: validates the request against the blue lines and what earlier red invoices
 * took, and computes the red lines. All issues are collected; nothing is planned when there is one.
 */
export function planReversal(
  blueLines: readonly ComputedLine[],
  earlier: readonly EarlierRedLine[],
  request: ReversalRequest,
): Result<ReversalPlan> {
  const issues: DomainIssue[] = [];
  if (!isRedReason(request.reason)) {
    issues.push(issue("RED_REASON_INVALID", "reason", `红冲原因须为：${RED_REASONS.join("、")}`));
  }
  const hasLines = request.lines !== undefined && request.lines !== null;
  const hasAmount = request.amount !== undefined && request.amount !== null;
  if (hasLines && hasAmount) {
    issues.push(
      issue(
        "RED_LINES_AND_AMOUNT",
        "amount",
        "按明细红冲和按金额红冲只能选一种：lines 与 amount 不能同时填写",
      ),
    );
    return fail(issues);
  }
  const tallies = tally(blueLines, earlier);
  const byNo = new Map(tallies.map((t) => [t.net.lineNo, t]));
  const pieces: RedPiece[] = [];
  const discountRows = new Map<number, number>();
  blueLines.forEach((l, i) => {
    if (l.kind === "discount") discountRows.set(i + 1, i);
  });
  const needsDiscountReason = (path: string) => {
    if (isRedReason(request.reason) && request.reason !== "销售折让") {
      issues.push(
        issue(
          "RED_AMOUNT_NEEDS_DISCOUNT_REASON",
          path,
          "按金额红冲仅用于销售折让，请选择红冲原因「销售折让」或按数量红冲",
        ),
      );
    }
  };

  if (hasAmount) {
    needsDiscountReason("amount");
    const read = readNumberField(request.amount, amountRule("positive"), "amount", "红冲金额");
    if (!read.ok) issues.push(read.issue);
    else {
      const remainingTotal = tallies.reduce((s, t) => s.plus(remainingOf(t).a.incl), ZERO);
      if (read.value.gt(remainingTotal)) {
        issues.push(
          issue(
            "RED_EXCEEDS_REMAINING",
            "amount",
            `红冲金额 ${formatAmount(read.value)} 超过可红冲的 ${formatAmount(remainingTotal)}`,
            {
              requested: formatAmount(read.value),
              remaining: formatAmount(remainingTotal),
            },
          ),
        );
      } else {
        // Shared by what remains of each line, rounded cumulatively so the shares add up exactly.
        let before = ZERO;
        let cumulative = ZERO;
        for (const t of tallies) {
          const rest = remainingOf(t).a.incl;
          if (rest.isZero()) continue;
          cumulative = cumulative.plus(rest);
          const upTo = cumulative.eq(remainingTotal)
            ? read.value
            : round2(read.value.times(cumulative).div(remainingTotal));
          const share = upTo.minus(before);
          before = upTo;
          if (share.gt(0)) pieces.push(pieceOf(t, null, share));
        }
      }
    }
  } else if (hasLines) {
    if (!Array.isArray(request.lines)) {
      issues.push(
        issue("FIELD_TYPE_INVALID", "lines", 'lines 应为数组，如 [{ "lineNo": 1, "quantity": "1" }]'),
      );
    } else if (request.lines.length === 0) {
      issues.push(issue("LINES_REQUIRED", "lines", "请至少选择一行红冲；整张红冲时不填 lines"));
    } else {
      const seen = new Set<number>();
      request.lines.forEach((raw: unknown, i: number) => {
        const path = `lines[${i}]`;
        if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
          issues.push(issue("FIELD_TYPE_INVALID", path, `第${i + 1}项应为 { lineNo, quantity?, amount? }`));
          return;
        }
        const entry = raw as { lineNo?: unknown; quantity?: unknown; amount?: unknown };
        const lineNo = entry.lineNo;
        if (typeof lineNo !== "number" || !Number.isInteger(lineNo)) {
          issues.push(issue("FIELD_TYPE_INVALID", `${path}.lineNo`, `第${i + 1}项的行号 lineNo 应为整数`));
          return;
        }
        const discountIndex = discountRows.get(lineNo);
        if (discountIndex !== undefined) {
          issues.push(
            issue(
              "RED_LINE_IS_DISCOUNT",
              `${path}.lineNo`,
              `第${lineNo}行是折扣行，随第${lineNo - 1}行一起红冲（按折后净额），请选择第${lineNo - 1}行`,
            ),
          );
          return;
        }
        const t = byNo.get(lineNo);
        if (!t) {
          issues.push(
            issue("RED_LINE_UNKNOWN", `${path}.lineNo`, `没有第${lineNo}行（共${blueLines.length}行）`),
          );
          return;
        }
        if (seen.has(lineNo)) {
          issues.push(issue("RED_LINE_DUPLICATE", `${path}.lineNo`, `第${lineNo}行重复选择`));
          return;
        }
        seen.add(lineNo);
        const hasQuantity = entry.quantity !== undefined && entry.quantity !== null;
        const hasLineAmount = entry.amount !== undefined && entry.amount !== null;
        if (hasQuantity && hasLineAmount) {
          issues.push(issue("RED_QUANTITY_AND_AMOUNT", path, `第${lineNo}行：数量与金额只能填一个`));
          return;
        }
        const rest = remainingOf(t);
        const exceeds = (field: string, what: string, requested: string, remaining: string) =>
          issues.push(
            issue(
              "RED_EXCEEDS_REMAINING",
              `${path}.${field}`,
              `第${lineNo}行${what} ${requested} 超过可红冲的 ${remaining}`,
              {
                lineNo: String(lineNo),
                requested,
                remaining,
              },
            ),
          );
        if (rest.a.incl.isZero()) {
          issues.push(
            issue("RED_NOTHING_LEFT", `${path}.lineNo`, `第${lineNo}行已全部红冲`, {
              lineNo: String(lineNo),
            }),
          );
          return;
        }
        if (hasQuantity) {
          if (t.net.quantity === null) {
            issues.push(
              issue(
                "RED_LINE_NO_QUANTITY",
                `${path}.quantity`,
                `第${lineNo}行没有数量，请按金额红冲或整行红冲`,
              ),
            );
            return;
          }
          const read = readNumberField(
            entry.quantity,
            QUANTITY_RULE,
            `${path}.quantity`,
            `第${lineNo}行红冲数量`,
          );
          if (!read.ok) {
            issues.push(read.issue);
            return;
          }
          const q = read.value;
          const restQ = rest.quantity ?? ZERO;
          if (q.gt(restQ)) {
            exceeds("quantity", "红冲数量", formatPrice(q), formatPrice(restQ));
            return;
          }
          if (q.eq(restQ)) {
            pieces.push(pieceOf(t, q, rest.a.incl));
            return;
          }
          const incl = round2(t.net.a.incl.times(q).div(t.net.quantity));
          if (incl.isZero()) {
            issues.push(
              issue(
                "RED_AMOUNT_TOO_SMALL",
                `${path}.quantity`,
                `第${lineNo}行红冲数量 ${formatPrice(q)} 对应金额不足 0.01`,
              ),
            );
            return;
          }
          if (incl.gt(rest.a.incl)) {
            exceeds("quantity", "红冲金额", formatAmount(incl), formatAmount(rest.a.incl));
            return;
          }
          pieces.push(pieceOf(t, q, incl));
          return;
        }
        if (hasLineAmount) {
          needsDiscountReason(`${path}.amount`);
          const read = readNumberField(
            entry.amount,
            amountRule("positive"),
            `${path}.amount`,
            `第${lineNo}行红冲金额`,
          );
          if (!read.ok) {
            issues.push(read.issue);
            return;
          }
          if (read.value.gt(rest.a.incl)) {
            exceeds("amount", "红冲金额", formatAmount(read.value), formatAmount(rest.a.incl));
            return;
          }
          pieces.push(pieceOf(t, null, read.value));
          return;
        }
        // Neither: all that remains of the line.
        pieces.push(pieceOf(t, rest.quantity, rest.a.incl));
      });
    }
  } else {
    for (const t of tallies) {
      const rest = remainingOf(t);
      if (!rest.a.incl.isZero()) pieces.push(pieceOf(t, rest.quantity, rest.a.incl));
    }
    if (pieces.length === 0 && issues.length === 0) {
      issues.push(issue("RED_NOTHING_LEFT", "reason", "这张发票已全部红冲，没有可红冲的金额"));
    }
  }
  if (issues.length > 0) return fail(issues);

  // Lines in the blue invoice's order, whatever order the request named them in.
  pieces.sort((x, y) => x.blueLineNo - y.blueLineNo);
  const lines = pieces.map((p) => p.line);
  const red: ComputedInvoice = { priceIncludesTax: true, lines, totals: sumTotals(lines) };
  const whole = !hasLines && !hasAmount;
  const checks = verifyRedInvoice(red);
  // A partial red is a new invoice the issuer holds to the invoice-level rule (§4); reversing the
  // whole of what remains is not, so that an issued invoice always stays reversible.
  if (!whole) {
    for (const found of checkTaxTolerance(lines)) {
      checks.push({
        ...found,
        message: `所选明细按“金额×税率”计算的税额尾差合计 ${found.details?.difference} 元，超过税务系统允许的 ±${TAX_TOTAL_TOLERANCE} 元；请少选几行，分几次红冲`,
      });
    }
  }
  if (checks.length > 0) return fail(checks);

  const after = reversibleOf(blueLines, [
    ...earlier,
    ...pieces.map((p) => ({ blueLineNo: p.blueLineNo, ...p.line })),
  ]);
  return ok({ whole, red, pieces, remainingAfter: after.remaining, exhausts: after.exhausted });
}

/**
 * The red line taking `incl` (价税合计, positive) and `quantity` (positive or null) of a blue line.
 * 金额 from the cumulative share: round(net 金额 × reversed 价税合计 / net 价税合计), exact at the end.
 */
function pieceOf(t: Tally, quantity: Dec | null, incl: Dec): RedPiece {
  const { net } = t;
  const cumulativeIncl = t.a.incl.plus(incl);
  let cumulativeExcl: Dec;
  if (cumulativeIncl.eq(net.a.incl)) cumulativeExcl = net.a.excl;
  else {
    // The piece's own 金额 by the tax-inclusive formula (§2), kept within a cent of the line's
    // cumulative share so that rounding never drifts, however many pieces a line is cut into.
    const share = round2(net.a.excl.times(cumulativeIncl).div(net.a.incl));
    const byFormula = t.a.excl.plus(round2(incl.div(toDec(net.line.taxRate).plus(1))));
    const low = share.minus(CENT);
    const high = share.plus(CENT);
    cumulativeExcl = byFormula.lt(low) ? low : byFormula.gt(high) ? high : byFormula;
  }
  const excl = cumulativeExcl.minus(t.a.excl);
  const line = makeLine(
    identityOf(net.line),
    "normal",
    quantity === null || quantity.isZero() ? null : quantity.neg(),
    { excl: excl.neg(), tax: incl.minus(excl).neg(), incl: incl.neg() },
  );
  return { blueLineNo: net.lineNo, line };
}

const CENT = toDec("0.01");

/** A line that remains of a purchase after refunds, positive, under its number as first given. */
export interface RemainingLine {
  lineNo: number;
  line: ComputedLine;
}

/**
 * What is left of a purchase not yet invoiced after refunds that took pieces of it as a red invoice
 * would (the pieces of planReversal, as EarlierRedLine): each line with something left, in order, a
 * discounted pair as its net line. A line whose quantity is all refunded but not its money keeps no
 * quantity.
 */
export function remainingLinesOf(
  lines: readonly ComputedLine[],
  taken: readonly EarlierRedLine[],
): RemainingLine[] {
  return reversibleOf(lines, taken)
    .lines.filter((l) => !toDec(l.remaining.amountIncludingTax).isZero())
    .map((l) => {
      const q = l.remaining.quantity === null ? null : toDec(l.remaining.quantity);
      return {
        lineNo: l.lineNo,
        line: makeLine(identityOf(l.line), "normal", q, {
          excl: toDec(l.remaining.amountExcludingTax),
          tax: toDec(l.remaining.tax),
          incl: toDec(l.remaining.amountIncludingTax),
        }),
      };
    });
}

/** A red piece as the EarlierRedLine later plans count it. */
export function takenBy(plan: Pick<ReversalPlan, "pieces">): EarlierRedLine[] {
  return plan.pieces.map((p) => ({
    blueLineNo: p.blueLineNo,
    quantity: p.line.quantity,
    amountExcludingTax: p.line.amountExcludingTax,
    tax: p.line.tax,
    amountIncludingTax: p.line.amountIncludingTax,
  }));
}
