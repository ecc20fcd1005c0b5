/**
 * Totals and tolerances (DOMAIN.md §4), and `verifyComputedInvoice`, the invariants every invoice
 * we produce must satisfy (computed, split or red), checked again before anything is issued.
 */
import { type DomainIssue, issue, lineLabel, linePath } from "./errors";
import { Dec, formatAmount, MAX_INTEGER_DIGITS, round2, toDec, ZERO } from "./money";
import type { ComputedInvoice, ComputedLine, InvoiceTotals } from "./types";

export const MAX_LINES = 2000;

/**
 * The invoice-level rule, as issuers compute it (DOMAIN.md §4): over all lines, discount lines
 * included and all rates together, |Σ (round(amountExcl × rate, 2) − tax)| may not exceed this.
 */
export const TAX_TOTAL_TOLERANCE = "1.27";
/** A caller's own per-line tax may differ from round(amountExcl × rate) by at most this. */
export const CALLER_LINE_TAX_TOLERANCE = "0.01";
/**
 * A line we derived (a split piece, a merged red line) is held to the tax system's own per-line
 * tolerance: its parts were each rounded once, so it can be a cent or two off the formula.
 */
export const DERIVED_LINE_TAX_TOLERANCE = "0.06";

export function sumTotals(lines: readonly ComputedLine[]): InvoiceTotals {
  let excl = ZERO;
  let tax = ZERO;
  let incl = ZERO;
  for (const line of lines) {
    excl = excl.plus(toDec(line.amountExcludingTax));
    tax = tax.plus(toDec(line.tax));
    incl = incl.plus(toDec(line.amountIncludingTax));
  }
  return {
    amountExcludingTax: formatAmount(excl),
    taxAmount: formatAmount(tax),
    totalAmount: formatAmount(incl),
  };
}

/** eᵢ of one line: round(amountExcl × rate, 2) − tax (DOMAIN.md §4). */
export function lineTaxError(line: Pick<ComputedLine, "amountExcludingTax" | "taxRate" | "tax">): Dec {
  return round2(toDec(line.amountExcludingTax).times(toDec(line.taxRate))).minus(toDec(line.tax));
}

/** Σ eᵢ over the lines: what the invoice-level rule bounds. */
export function taxRoundingError(lines: readonly ComputedLine[]): Dec {
  let sum = ZERO;
  for (const line of lines) sum = sum.plus(lineTaxError(line));
  return sum;
}

export function isWithinTaxTolerance(error: Dec): boolean {
  return error.abs().lte(TAX_TOTAL_TOLERANCE);
}

/**
 * The invoice-level rule; one issue (path `lines`) when the lines break it. Tax-inclusive lines each
 * carry up to about a cent of rounding, so it is many small lines at one price that break it (128 ×
 * ¥1.00 at 13 %: −0.01 each).
 */
export function checkTaxTolerance(lines: readonly ComputedLine[]): DomainIssue[] {
  const error = taxRoundingError(lines);
  if (isWithinTaxTolerance(error)) return [];
  const difference = formatAmount(error);
  return [
    issue(
      "TAX_TOTAL_OUT_OF_TOLERANCE",
      "lines",
      `各行按“金额×税率”计算的税额与实际税额的尾差合计 ${difference} 元，超过税务系统允许的 ±${TAX_TOTAL_TOLERANCE} 元（小额含税商品行很多时会出现）；请合并相同的商品行，或分成几张发票开具`,
      { difference, tolerance: TAX_TOTAL_TOLERANCE },
    ),
  ];
}

export function checkTotalSize(totals: InvoiceTotals): DomainIssue[] {
  const integerDigits = toDec(totals.totalAmount).abs().trunc().toFixed().replace(/^0$/, "").length;
  if (integerDigits <= MAX_INTEGER_DIGITS) return [];
  return [issue("TOTAL_TOO_LARGE", "lines", `价税合计整数部分超过${MAX_INTEGER_DIGITS}位`)];
}

const AMOUNT_TEXT = /^-?\d+\.\d{2}$/;

/**
 * Checks a blue invoice's invariants: 1–2000 lines; amounts with 2 decimals; incl = excl + tax;
 * item lines positive; each discount right after its discounted line, same name/code/rate, negative,
 * smaller than it, no quantity; tax within the derived-line tolerance; the invoice-level rule (unless
 * `taxTolerance: false`); totals equal the sums. Returns all issues (none for a valid invoice). A red
 * invoice is checked by negating it.
 */
export function verifyComputedInvoice(
  invoice: ComputedInvoice,
  options: { taxTolerance?: boolean } = {},
): DomainIssue[] {
  const issues: DomainIssue[] = [];
  const { lines } = invoice;
  if (lines.length === 0) issues.push(issue("LINES_REQUIRED", "lines", "发票至少要有一行"));
  if (lines.length > MAX_LINES) issues.push(issue("LINES_TOO_MANY", "lines", `发票最多 ${MAX_LINES} 行`));
  const broken = (index: number, what: string) =>
    issues.push(issue("LINE_ARITHMETIC_INVALID", linePath(index), `${lineLabel(index)}${what}`));

  lines.forEach((line, i) => {
    const texts = [line.amountExcludingTax, line.tax, line.amountIncludingTax];
    if (!texts.every((t) => AMOUNT_TEXT.test(t))) {
      broken(i, "金额须为两位小数");
      return;
    }
    const [excl, tax, incl] = texts.map(toDec) as [Dec, Dec, Dec];
    const rate = toDec(line.taxRate);
    if (!excl.plus(tax).eq(incl)) broken(i, "价税合计不等于金额加税额");
    if (rate.isZero() !== (line.zeroRateKind !== null)) broken(i, "零税率类型与税率不符");
    if (round2(excl.times(rate)).minus(tax).abs().gt(DERIVED_LINE_TAX_TOLERANCE))
      broken(i, "税额与金额×税率不符");
    if (line.quantity !== null) {
      const q = toDec(line.quantity);
      // The printed price is rounded to 13 decimals, so allow that rounding times the quantity.
      const slack = new Dec("0.01").plus(q.abs().times("0.5e-13"));
      if (line.unitPrice === null || q.times(toDec(line.unitPrice)).minus(excl).abs().gt(slack)) {
        broken(i, "数量×单价与金额不符");
      }
      if (q.lte(0)) broken(i, "数量必须大于0");
    }
    if (line.kind === "discount") {
      checkDiscountPlacement(lines, i, issues);
    } else {
      if (excl.lte(0) || incl.lte(0) || tax.lt(0)) broken(i, "金额必须大于0");
      const next = lines[i + 1];
      if (line.kind === "discounted" && next?.kind !== "discount") {
        issues.push(issue("DISCOUNT_MISSING", linePath(i), `${lineLabel(i)}被折扣行后须紧跟一个折扣行`));
      }
    }
  });

  const totals = invoice.totals;
  const sums = sumTotals(lines);
  if (
    sums.amountExcludingTax !== totals.amountExcludingTax ||
    sums.taxAmount !== totals.taxAmount ||
    sums.totalAmount !== totals.totalAmount
  ) {
    issues.push(issue("TOTALS_MISMATCH", "totals", "合计与各行之和不符"));
  }
  if (options.taxTolerance !== false) issues.push(...checkTaxTolerance(lines));
  issues.push(...checkTotalSize(sums));
  return issues;
}

function checkDiscountPlacement(lines: readonly ComputedLine[], i: number, issues: DomainIssue[]): void {
  const line = lines[i]!;
  const target = lines[i - 1];
  if (target?.kind !== "discounted") {
    issues.push(issue("DISCOUNT_WITHOUT_LINE", linePath(i), `${lineLabel(i)}折扣行须紧跟在被折扣行之后`));
    return;
  }
  if (target.name !== line.name || target.taxCode !== line.taxCode || target.taxRate !== line.taxRate) {
    issues.push(
      issue("DISCOUNT_MISMATCH", linePath(i), `${lineLabel(i)}折扣行须与被折扣行名称、编码、税率相同`),
    );
  }
  if (line.quantity !== null || line.unitPrice !== null) {
    issues.push(issue("DISCOUNT_HAS_QUANTITY", linePath(i), `${lineLabel(i)}折扣行不能有数量和单价`));
  }
  const d = { excl: toDec(line.amountExcludingTax), incl: toDec(line.amountIncludingTax) };
  const t = { excl: toDec(target.amountExcludingTax), incl: toDec(target.amountIncludingTax) };
  if (d.excl.gte(0) || d.incl.gte(0)) {
    issues.push(issue("NUMBER_NOT_NEGATIVE", linePath(i, "amount"), `${lineLabel(i)}折扣金额必须小于0`));
  } else if (d.excl.abs().gte(t.excl) || d.incl.abs().gte(t.incl)) {
    issues.push(
      issue("DISCOUNT_TOO_LARGE", linePath(i, "amount"), `${lineLabel(i)}折扣金额须小于被折扣行金额`),
    );
  }
}
