/**
 * Discount lines (折扣行), DOMAIN.md §3, and the two input shapes.
 *
 * Canonical input is a list of rows where a discount is its own row `{ kind: "discount", amount }`
 * right after the line it discounts (what the console builds). The open API's shorthand, a
 * `discount` field on a line (API.md 3.2.01), is expanded into such a row by `expandLineInputs`,
 * which remembers where each row came from so issues point at the caller's own field
 * (`lines[2].discount`), and by `toCanonicalLines` for storage.
 */
import { type DomainIssue, issue, lineLabel, linePath } from "./errors";
import { amountsFromBasis, type ItemDraft, type LineAmounts, type RowOrigin } from "./lines";
import { amountRule, Dec, formatAmount, isAbsent, readNumberField } from "./money";
import type { LineInput } from "./types";

export interface ExpandedRow {
  kind: "item" | "discount";
  input: Record<string, unknown>;
  origin: RowOrigin;
  /** The caller marked this item line `discounted`: a discount row must follow. */
  markedDiscounted: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function originOf(index: number): RowOrigin {
  return { index, at: linePath(index), label: lineLabel(index), field: (name) => linePath(index, name) };
}

function shorthandOrigin(index: number): RowOrigin {
  const at = linePath(index, "discount");
  return { index, at, label: `${lineLabel(index)}折扣`, field: () => at };
}

/** Expands `discount` fields into rows; reports rows that are not objects or have an unknown kind. */
export function expandLineInputs(lines: readonly unknown[], issues: DomainIssue[]): ExpandedRow[] {
  const rows: ExpandedRow[] = [];
  lines.forEach((raw, index) => {
    const origin = originOf(index);
    if (!isRecord(raw)) {
      issues.push(issue("FIELD_TYPE_INVALID", origin.at, `${origin.label}格式不正确`));
      return;
    }
    const kind = raw.kind;
    if (kind === "discount") {
      rows.push({ kind: "discount", input: raw, origin, markedDiscounted: false });
      if (!isAbsent(raw.discount)) {
        issues.push(
          issue("DISCOUNT_DUPLICATE", origin.field("discount"), `${origin.label}折扣行不能再带折扣`),
        );
      }
      return;
    }
    if (kind !== undefined && kind !== null && kind !== "normal" && kind !== "discounted") {
      issues.push(
        issue("LINE_KIND_INVALID", origin.field("kind"), `${origin.label}行类型应为 normal 或 discount`),
      );
      return;
    }
    const hasShorthand = !isAbsent(raw.discount);
    rows.push({ kind: "item", input: raw, origin, markedDiscounted: kind === "discounted" || hasShorthand });
    if (hasShorthand) {
      rows.push({
        kind: "discount",
        input: { amount: raw.discount },
        origin: shorthandOrigin(index),
        markedDiscounted: false,
      });
    }
  });
  return rows;
}

/**
 * The canonical row form of an input (discount shorthand expanded, `discount` fields removed), for
 * storing what will be recomputed later. Assumes shapes already checked by `computeInvoice`.
 */
export function toCanonicalLines(lines: readonly LineInput[]): LineInput[] {
  const out: LineInput[] = [];
  for (const line of lines) {
    if (line.kind === "discount") {
      out.push(line);
      continue;
    }
    const { discount, ...rest } = line;
    if (isAbsent(discount)) {
      out.push(rest);
    } else {
      out.push({ ...rest, kind: "discounted" }, { kind: "discount", amount: discount });
    }
  }
  return out;
}

const RESTATABLE: ReadonlyArray<{
  field: "name" | "shortName" | "taxCode" | "taxRate" | "zeroRateKind";
  label: string;
}> = [
  { field: "name", label: "项目名称" },
  { field: "shortName", label: "税收分类简称" },
  { field: "taxCode", label: "税收分类编码" },
  { field: "taxRate", label: "税率" },
  { field: "zeroRateKind", label: "零税率类型" },
];

function sameAsTarget(fieldName: string, value: unknown, target: ItemDraft): boolean {
  if (typeof value !== "string") return false;
  const v = value.trim();
  switch (fieldName) {
    case "name":
      return v === target.id.name || v === `*${target.id.shortName}*${target.id.name}`;
    case "shortName":
      return v === target.id.shortName;
    case "taxCode":
      return v === target.id.taxCode;
    case "taxRate":
      return /^\d+(\.\d+)?$/.test(v) && new Dec(v).eq(target.rate.rate);
    default:
      return v === target.id.zeroRateKind;
  }
}

/**
 * Reads a discount row placed right after `target` (null when the target line itself had issues:
 * the row's own fields are still checked). Returns its amounts, computed from its own amount by the
 * target's rate and the order's basis, or null.
 */
export function readDiscountRow(
  input: Record<string, unknown>,
  origin: RowOrigin,
  target: ItemDraft | null,
  targetLabel: string,
  priceIncludesTax: boolean,
  issues: DomainIssue[],
): LineAmounts | null {
  const before = issues.length;
  const { label } = origin;
  for (const name of ["quantity", "unitPrice"] as const) {
    if (!isAbsent(input[name])) {
      issues.push(issue("DISCOUNT_HAS_QUANTITY", origin.field(name), `${label}折扣行不能填写数量和单价`));
    }
  }
  const amount = readNumberField(
    input.amount,
    amountRule("negative"),
    origin.field("amount"),
    `${label}折扣金额`,
  );
  if (!amount.ok) issues.push(amount.issue);
  if (!target) return null;
  for (const { field, label: what } of RESTATABLE) {
    const value = input[field];
    if (isAbsent(value)) continue;
    if (!sameAsTarget(field, value, target)) {
      issues.push(
        issue(
          "DISCOUNT_MISMATCH",
          origin.field(field),
          `${label}折扣行的${what}须与${targetLabel}被折扣行相同`,
        ),
      );
    }
  }
  if (!amount.ok || issues.length > before) return null;

  const d = amount.value;
  const amounts = amountsFromBasis(d, target.rate.rate, priceIncludesTax);
  // A 100% (or larger) discount is refused (our choice); the net must stay positive both before and
  // after tax, so a discounted pair is never a zero or negative line once merged (red invoices).
  const tooLarge =
    d.abs().gte(target.basis) ||
    amounts.excl.abs().gte(target.amounts.excl) ||
    amounts.incl.abs().gte(target.amounts.incl);
  if (tooLarge) {
    issues.push(
      issue(
        "DISCOUNT_TOO_LARGE",
        origin.field("amount"),
        `${label}折扣金额 ${formatAmount(d)} 的绝对值须小于被折扣行金额 ${formatAmount(target.basis)}`,
      ),
    );
    return null;
  }
  return amounts;
}
