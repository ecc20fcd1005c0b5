/**
 * Splitting an invoice above the organization's limit into several, each ≤ limit (DOMAIN.md §5).
 *
 * In line order, greedily: a line (with its discount, if any — a "group") goes whole into the
 * current invoice when it fits; when it would fit an empty invoice it starts the next one; a group
 * larger than the limit is cut into pieces, the first filling what is left of the current invoice.
 *
 * Cutting works on a grid of positions 0…N along the group: by quantity in steps of the quantity's
 * own last decimal (10 × 2.5 kg splits in tenths), refined one decimal at a time (down to 13) only
 * when a single step does not fit an empty invoice; without a quantity, by cents of the amount. Each
 * member (the line, its discount) gets at position n the cumulative basis amount
 * round(amount × n / N) and from it, by the line formula, cumulative 金额 / 税额 / 价税合计; at N it
 * gets its own exact values. A piece is the difference of two cumulative positions, so the pieces of
 * a line add up exactly to it — no cent lost or created — and the discount is shared in proportion.
 * A piece whose discount share rounds to zero is a normal line. A cut that would make a piece or
 * the remainder that cannot stand as a valid line set (e.g. a discount share not smaller than its
 * line's, which rounding can cause on tiny pieces) is moved back, step by step.
 *
 * Every part keeps the invoice-level tax rule (DOMAIN.md §4, |Σ eᵢ| ≤ 1.27 over its lines) on its
 * own: a group or piece that would take the current part's Σ eᵢ beyond it starts the next part
 * instead. So an order whose whole Σ eᵢ is too large is split into parts that each keep the rule,
 * and an order that keeps it as a whole never yields a part that does not (its lines' errors can
 * cancel out over the whole and add up within one part).
 */
import { fail, issue, ok, type Result } from "./errors";
import { amountsFromBasis, identityOf, type LineAmounts, lineAmountsOf, makeLine } from "./lines";
import { Dec, formatAmount, PRICE_DECIMALS, toDec, ZERO } from "./money";
import {
  DERIVED_LINE_TAX_TOLERANCE,
  isWithinTaxTolerance,
  sumTotals,
  taxRoundingError,
  verifyComputedInvoice,
} from "./totals";
import type { ComputedInvoice, ComputedLine } from "./types";

/** More invoices than this for one order is refused: it is a wrong limit, not a purchase. */
export const MAX_SPLIT_INVOICES = 100;

export interface SplitInvoices {
  invoices: ComputedInvoice[];
  /** For each invoice, for each of its lines, the index of the original line it comes from. */
  sourceLineIndexes: number[][];
}

interface Member {
  basis: Dec;
  values: LineAmounts;
}

interface Group {
  index: number;
  line: ComputedLine;
  rate: Dec;
  main: Member;
  discount: Member | null;
  net: Dec;
}

interface Grid {
  /** Decimals of one quantity step; null for a grid by cents of the amount. */
  decimals: number | null;
  size: bigint;
}

interface Piece {
  lines: ComputedLine[];
  sources: number[];
  incl: Dec;
  /** Σ eᵢ of its lines (totals.ts, `taxRoundingError`). */
  err: Dec;
}

/** What is in the part being filled: its 价税合计 and its Σ eᵢ so far. */
interface Fill {
  incl: Dec;
  err: Dec;
}

function pieceFrom(lines: ComputedLine[], sources: number[], incl: Dec): Piece {
  return { lines, sources, incl, err: taxRoundingError(lines) };
}

const ZERO_AMOUNTS: LineAmounts = { excl: ZERO, tax: ZERO, incl: ZERO };

function minus(a: LineAmounts, b: LineAmounts): LineAmounts {
  return { excl: a.excl.minus(b.excl), tax: a.tax.minus(b.tax), incl: a.incl.minus(b.incl) };
}

function groupsOf(invoice: ComputedInvoice): Group[] {
  const groups: Group[] = [];
  const member = (line: ComputedLine): Member => {
    const values = lineAmountsOf(line);
    return { basis: invoice.priceIncludesTax ? values.incl : values.excl, values };
  };
  invoice.lines.forEach((line, index) => {
    if (line.kind === "discount") return;
    const next = invoice.lines[index + 1];
    const discount = line.kind === "discounted" && next?.kind === "discount" ? member(next) : null;
    const main = member(line);
    const net = main.values.incl.plus(discount ? discount.values.incl : ZERO);
    groups.push({ index, line, rate: toDec(line.taxRate), main, discount, net });
  });
  return groups;
}

function cumulative(m: Member, g: Group, pit: boolean, n: bigint, size: bigint): LineAmounts {
  if (n === 0n) return ZERO_AMOUNTS;
  if (n === size) return m.values;
  const basis = m.basis.times(n.toString()).div(size.toString()).toDecimalPlaces(2, Dec.ROUND_HALF_UP);
  return amountsFromBasis(basis, g.rate, pit);
}

function isItemValid(a: LineAmounts, rate: Dec): boolean {
  const off = a.excl.times(rate).toDecimalPlaces(2, Dec.ROUND_HALF_UP).minus(a.tax).abs();
  return a.excl.gt(0) && a.incl.gt(0) && a.tax.gte(0) && off.lte(DERIVED_LINE_TAX_TOLERANCE);
}

/** The printed lines of the piece between grid positions n0 and n1, or null if they would not be valid. */
function pieceOf(g: Group, grid: Grid, pit: boolean, n0: bigint, n1: bigint): Piece | null {
  const la = minus(cumulative(g.main, g, pit, n1, grid.size), cumulative(g.main, g, pit, n0, grid.size));
  const quantity =
    grid.decimals === null ? null : new Dec((n1 - n0).toString()).div(new Dec(10).pow(grid.decimals));
  const id = identityOf(g.line);
  const da = g.discount
    ? minus(cumulative(g.discount, g, pit, n1, grid.size), cumulative(g.discount, g, pit, n0, grid.size))
    : ZERO_AMOUNTS;
  if (da.excl.isZero() && da.tax.isZero() && da.incl.isZero()) {
    return isItemValid(la, g.rate)
      ? pieceFrom([makeLine(id, "normal", quantity, la)], [g.index], la.incl)
      : null;
  }
  const pairOk =
    isItemValid(la, g.rate) &&
    da.excl.lt(0) &&
    da.incl.lt(0) &&
    da.tax.lte(0) &&
    da.excl.abs().lt(la.excl) &&
    da.incl.abs().lt(la.incl);
  if (!pairOk) return null;
  return pieceFrom(
    [makeLine(id, "discounted", quantity, la), makeLine(id, "discount", null, da)],
    [g.index, g.index + 1],
    la.incl.plus(da.incl),
  );
}

function initialGrid(g: Group): Grid {
  if (g.line.quantity === null) return { decimals: null, size: BigInt(g.main.basis.times(100).toFixed(0)) };
  const decimals = g.line.quantity.split(".")[1]?.length ?? 0;
  return { decimals, size: BigInt(toDec(g.line.quantity).times(new Dec(10).pow(decimals)).toFixed(0)) };
}

/** How many steps back from the largest fitting cut we try before giving up on a capacity. */
const BACKOFF_STEPS = 64n;

/** Whether a piece can join the part being filled under `limit`: amount and tax rule both. */
function fits(piece: Piece, fill: Fill, limit: Dec): boolean {
  return fill.incl.plus(piece.incl).lte(limit) && isWithinTaxTolerance(fill.err.plus(piece.err));
}

/**
 * The farthest position m > n0 whose piece fits the part being filled and stands, leaving a
 * remainder that stands too; null when there is none.
 */
function cut(
  g: Group,
  grid: Grid,
  pit: boolean,
  n0: bigint,
  fill: Fill,
  limit: Dec,
): { m: bigint; piece: Piece } | null {
  const capacity = limit.minus(fill.incl);
  const whole = pieceOf(g, grid, pit, n0, grid.size);
  if (whole && fits(whole, fill, limit)) return { m: grid.size, piece: whole };
  const inclAt = (n: bigint) => {
    const main = cumulative(g.main, g, pit, n, grid.size).incl;
    return g.discount ? main.plus(cumulative(g.discount, g, pit, n, grid.size).incl) : main;
  };
  const start = inclAt(n0);
  let lo = n0;
  let hi = grid.size;
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (inclAt(mid).minus(start).lte(capacity)) lo = mid;
    else hi = mid;
  }
  for (let m = lo; m > n0 && lo - m < BACKOFF_STEPS; m--) {
    const piece = pieceOf(g, grid, pit, n0, m);
    if (piece && fits(piece, fill, limit) && pieceOf(g, grid, pit, m, grid.size)) return { m, piece };
  }
  return null;
}

function impossible(g: Group, why: string): Result<SplitInvoices> {
  return fail([
    issue("SPLIT_IMPOSSIBLE", "limit", `第${g.index + 1}行无法按限额拆分：${why}`, {
      line: String(g.index),
      amount: formatAmount(g.net),
    }),
  ]);
}

/** Splits `invoice` (already valid, total above `limit`) by the rules above. */
export function splitInvoice(invoice: ComputedInvoice, limit: Dec): Result<SplitInvoices> {
  const pit = invoice.priceIncludesTax;
  const total = toDec(invoice.totals.totalAmount);
  if (total.div(limit).ceil().gt(MAX_SPLIT_INVOICES)) {
    return fail([
      issue(
        "SPLIT_IMPOSSIBLE",
        "limit",
        `金额 ${invoice.totals.totalAmount} 按限额 ${formatAmount(limit)} 需拆成超过 ${MAX_SPLIT_INVOICES} 张发票`,
        { amount: invoice.totals.totalAmount, limit: formatAmount(limit) },
      ),
    ]);
  }
  const parts: Piece[][] = [];
  let current: Piece[] = [];
  let fill: Fill = { incl: ZERO, err: ZERO };
  const flush = () => {
    if (current.length) parts.push(current);
    current = [];
    fill = { incl: ZERO, err: ZERO };
  };
  const add = (p: Piece) => {
    current.push(p);
    fill = { incl: fill.incl.plus(p.incl), err: fill.err.plus(p.err) };
  };
  const empty: Fill = { incl: ZERO, err: ZERO };

  for (const g of groupsOf(invoice)) {
    const lines = g.discount ? invoice.lines.slice(g.index, g.index + 2) : [g.line];
    const whole = pieceFrom(
      lines,
      lines.map((_, k) => g.index + k),
      g.net,
    );
    if (fits(whole, fill, limit)) {
      add(whole);
      continue;
    }
    // A group never breaks the tax rule alone (a line carries about a cent of it), so a group that
    // fits an empty part under the limit starts the next one.
    if (fits(whole, empty, limit)) {
      flush();
      add(whole);
      continue;
    }
    const grid = initialGrid(g);
    let n = 0n;
    while (n < grid.size) {
      const found = cut(g, grid, pit, n, fill, limit);
      if (found) {
        add(found.piece);
        n = found.m;
        if (n < grid.size) flush();
      } else if (current.length) {
        flush();
      } else if (grid.decimals !== null && grid.decimals < PRICE_DECIMALS) {
        grid.decimals++;
        grid.size *= 10n;
        n *= 10n;
      } else {
        return impossible(g, "在限额内拆不出有效的发票行（限额过小）");
      }
      if (parts.length > MAX_SPLIT_INVOICES) return impossible(g, `需拆成超过 ${MAX_SPLIT_INVOICES} 张发票`);
    }
  }
  flush();
  if (parts.length > MAX_SPLIT_INVOICES) {
    return fail([issue("SPLIT_IMPOSSIBLE", "limit", `需拆成超过 ${MAX_SPLIT_INVOICES} 张发票`)]);
  }

  const invoices = parts.map((pieces): ComputedInvoice => {
    const lines = pieces.flatMap((p) => p.lines);
    return { priceIncludesTax: pit, lines, totals: sumTotals(lines) };
  });
  const issues = invoices.flatMap((inv, k) =>
    verifyComputedInvoice(inv).map((i) => ({ ...i, path: `invoices[${k}].${i.path}` })),
  );
  if (issues.length) return fail(issues);
  assertConserved(invoice, invoices, limit);
  return ok({ invoices, sourceLineIndexes: parts.map((pieces) => pieces.flatMap((p) => p.sources)) });
}

/** The split's own guarantee; breaking it is a bug in this file, so it throws. */
function assertConserved(original: ComputedInvoice, invoices: ComputedInvoice[], limit: Dec): void {
  const sums = sumTotals(invoices.flatMap((inv) => inv.lines));
  const t = original.totals;
  if (
    sums.amountExcludingTax !== t.amountExcludingTax ||
    sums.taxAmount !== t.taxAmount ||
    sums.totalAmount !== t.totalAmount ||
    invoices.some((inv) => toDec(inv.totals.totalAmount).gt(limit))
  ) {
    throw new Error("split did not conserve the totals or exceeded the limit");
  }
}
