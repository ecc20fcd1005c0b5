/**
 * A receipt's share of a merged invoice (合并开票, merge.ts): which lines of the submission's
 * invoice(s) came from which receipt line, and a refund of one receipt as red requests on those
 * invoices (DOMAIN.md §8).
 *
 * The merged order is the receipts' computed lines one after the other; its invoices (one, or a
 * split, split.ts) hold them in that order, a line cut over the limit as consecutive pieces that add
 * up exactly to it. So walking the invoices' lines in order and taking each receipt line's 价税合计
 * (a discounted pair: its net) until it is used up finds every piece of every receipt line — for
 * invoices issued before anything recorded the link, too. Pieces that do not add up (the invoices are
 * not this submission's lines) give null: the refund is then left to an operator.
 */
import { type DomainIssue, fail, issue, ok, type Result } from "./errors";
import { lineAmountsOf } from "./lines";
import { amountRule, type Dec, formatPrice, QUANTITY_RULE, readNumberField, toDec, ZERO } from "./money";
import { type EarlierRedLine, planReversal, type ReversalPlan, reversibleOf } from "./red-partial";
import type { ComputedLine } from "./types";

/** One piece of a receipt line on one of the merged invoices. */
export interface MergedPiece {
  /** The invoice's index in the submission's invoices (by seq). */
  invoice: number;
  /** The invoice line's number as printed (a discounted pair: the discounted row's). */
  lineNo: number;
  /** The receipt line it comes from, numbered as printed on the receipt's computed lines. */
  receiptLineNo: number;
}

interface Group {
  owner: number;
  lineNo: number;
  line: ComputedLine;
  incl: Dec;
}

/** Lines as reversible groups: each line with its discount (a discounted pair), its net 价税合计. */
function groupsOf(owner: number, lines: readonly ComputedLine[]): Group[] {
  const out: Group[] = [];
  lines.forEach((line, i) => {
    if (line.kind === "discount") return;
    let incl = lineAmountsOf(line).incl;
    const next = lines[i + 1];
    if (line.kind === "discounted" && next?.kind === "discount") incl = incl.plus(lineAmountsOf(next).incl);
    out.push({ owner, lineNo: i + 1, line, incl });
  });
  return out;
}

/**
 * For each receipt (in the submission's order), the pieces of its lines on the invoices (in seq
 * order); null when the invoices' lines are not the receipts' lines in order.
 */
export function mergedPiecesOf(
  receipts: readonly (readonly ComputedLine[])[],
  invoices: readonly (readonly ComputedLine[])[],
): MergedPiece[][] | null {
  const sources = receipts.flatMap((lines, r) => groupsOf(r, lines));
  const out: MergedPiece[][] = receipts.map(() => []);
  let at = 0;
  let rest = sources[0]?.incl ?? ZERO;
  for (const group of invoices.flatMap((lines, k) => groupsOf(k, lines))) {
    const source = sources[at];
    if (!source) return null;
    if (
      source.line.taxCode !== group.line.taxCode ||
      !toDec(source.line.taxRate).eq(toDec(group.line.taxRate))
    )
      return null;
    rest = rest.minus(group.incl);
    if (rest.lt(0)) return null;
    out[source.owner]!.push({ invoice: group.owner, lineNo: group.lineNo, receiptLineNo: source.lineNo });
    if (rest.isZero()) {
      at++;
      rest = sources[at]?.incl ?? ZERO;
    }
  }
  return at === sources.length ? out : null;
}

/** One merged invoice as a refund of a receipt reverses it. */
export interface ShareInvoice {
  lines: readonly ComputedLine[];
  /** What its earlier (not failed) red invoices took. */
  earlier: readonly EarlierRedLine[];
}

/** The red request for one invoice: the whole of what remains of it, or lines of it. */
export interface ShareRedRequest {
  invoice: number;
  /** True when the refund takes all that remains of the invoice (a full red invoice). */
  whole: boolean;
  lines: Array<{ lineNo: number; quantity?: string; amount?: string }>;
}

export interface ShareReversal {
  /** The refund as one red invoice over the receipt's lines only (its totals are what it takes). */
  plan: ReversalPlan;
  requests: ShareRedRequest[];
}

/**
 * A refund of one receipt of a merged submission: the request (lines numbered as the receipt's,
 * quantities or amounts; a top-level amount, shared over the receipt's lines; or nothing, all of it)
 * planned as a red invoice of the receipt's lines alone — so it never takes another receipt's — and
 * then as the red requests on each invoice carrying them. A receipt line cut over several invoices
 * gives its quantity or amount to its pieces in order, each up to what remains of it.
 */
export function planShareReversal(
  invoices: readonly ShareInvoice[],
  pieces: readonly MergedPiece[],
  request: { reason: unknown; lines?: unknown; amount?: unknown },
): Result<ShareReversal> {
  // The receipt's pieces as one invoice: each with its discount row, numbered as printed.
  const virtual: ComputedLine[] = [];
  const placed: Array<{ piece: MergedPiece; lineNo: number }> = [];
  for (const piece of pieces) {
    const lines = invoices[piece.invoice]!.lines;
    const line = lines[piece.lineNo - 1]!;
    placed.push({ piece, lineNo: virtual.length + 1 });
    virtual.push(line);
    const next = lines[piece.lineNo];
    if (line.kind === "discounted" && next?.kind === "discount") virtual.push(next);
  }
  const virtualNo = new Map(placed.map((p) => [`${p.piece.invoice}:${p.piece.lineNo}`, p.lineNo]));
  const earlier = invoices.flatMap((inv, k) =>
    inv.earlier.flatMap((e) => {
      const no = virtualNo.get(`${k}:${e.blueLineNo}`);
      return no === undefined ? [] : [{ ...e, blueLineNo: no }];
    }),
  );
  const translated = translateLines(request.lines, placed, reversibleOf(virtual, earlier));
  if (!translated.ok) return translated;
  const planned = planReversal(virtual, earlier, { ...request, lines: translated.value });
  if (!planned.ok) return planned;
  const plan = planned.value;

  const remaining = new Map(reversibleOf(virtual, earlier).lines.map((l) => [l.lineNo, l.remaining]));
  const byInvoice = new Map<number, ShareRedRequest["lines"]>();
  for (const red of plan.pieces) {
    const { piece } = placed.find((p) => p.lineNo === red.blueLineNo)!;
    const rest = remaining.get(red.blueLineNo)!;
    const takes = toDec(red.line.amountIncludingTax).abs();
    const entry: ShareRedRequest["lines"][number] = { lineNo: piece.lineNo };
    if (!takes.eq(toDec(rest.amountIncludingTax))) {
      if (red.line.quantity !== null) entry.quantity = formatPrice(toDec(red.line.quantity).abs());
      else entry.amount = takes.toFixed(2);
    }
    byInvoice.set(piece.invoice, [...(byInvoice.get(piece.invoice) ?? []), entry]);
  }
  const requests = [...byInvoice.entries()]
    .sort(([a], [b]) => a - b)
    .map(([invoice, lines]): ShareRedRequest => {
      const inv = invoices[invoice]!;
      const alone = planReversal(inv.lines, inv.earlier, { reason: request.reason, lines });
      return { invoice, whole: alone.ok && alone.value.exhausts, lines };
    });
  return ok({ plan, requests });
}

type Placed = { piece: MergedPiece; lineNo: number };

/**
 * Request lines named by the receipt's line numbers → the same on the receipt's pieces; a line cut
 * into several pieces has its quantity or amount given to them in order, each up to what remains
 * (any excess stays on the last, which planReversal then refuses as exceeding it).
 */
function translateLines(
  lines: unknown,
  placed: readonly Placed[],
  reversible: ReturnType<typeof reversibleOf>,
): Result<unknown> {
  if (!Array.isArray(lines)) return ok(lines);
  const issues: DomainIssue[] = [];
  const rest = new Map(reversible.lines.map((l) => [l.lineNo, l.remaining]));
  const out: unknown[] = [];
  lines.forEach((raw: unknown, i) => {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      out.push(raw);
      return;
    }
    const entry = raw as { lineNo?: unknown; quantity?: unknown; amount?: unknown };
    const mine = placed.filter((p) => p.piece.receiptLineNo === entry.lineNo);
    if (typeof entry.lineNo === "number" && mine.length === 0) {
      issues.push(
        issue(
          "RED_LINE_UNKNOWN",
          `lines[${i}].lineNo`,
          `小票没有可退的第${entry.lineNo}行（折扣行随其商品行一起退）`,
        ),
      );
      return;
    }
    if (mine.length <= 1) {
      out.push(mine[0] ? { ...entry, lineNo: mine[0].lineNo } : entry);
      return;
    }
    const field = entry.quantity !== undefined && entry.quantity !== null ? "quantity" : "amount";
    const given = entry[field];
    if (given === undefined || given === null) {
      for (const p of mine) out.push({ lineNo: p.lineNo });
      return;
    }
    const read = readNumberField(
      given,
      field === "quantity" ? QUANTITY_RULE : amountRule("positive"),
      "",
      "",
    );
    if (!read.ok) {
      out.push({ ...entry, lineNo: mine[0]!.lineNo });
      return;
    }
    let left = read.value;
    mine.forEach((p, k) => {
      if (left.lte(0)) return;
      const r = rest.get(p.lineNo);
      const available = toDec((field === "quantity" ? r?.quantity : r?.amountIncludingTax) ?? "0");
      const take = k === mine.length - 1 || left.lte(available) ? left : available;
      if (take.lte(0)) return;
      out.push({ lineNo: p.lineNo, [field]: field === "quantity" ? formatPrice(take) : take.toFixed(2) });
      left = left.minus(take);
    });
  });
  return issues.length > 0 ? fail(issues) : ok(out);
}
