/**
 * One item line: reading it from caller input (collecting every issue), the tax formula of
 * DOMAIN.md §2, and building the printed line.
 */
import { type DomainIssue, issue } from "./errors";
import { checkBytes, readText, TEXT_LIMITS } from "./gbk";
import {
  amountRule,
  type Dec,
  formatAmount,
  formatPrice,
  isAbsent,
  QUANTITY_RULE,
  readNumberField,
  round2,
  toDec,
  UNIT_PRICE_RULE,
} from "./money";
import { type ParsedRate, parseTaxRate, taxRateLabel, type ZeroRateKind } from "./tax-rate";
import type { ComputedLine, LineKind } from "./types";

export interface LineAmounts {
  excl: Dec;
  tax: Dec;
  incl: Dec;
}

/**
 * DOMAIN.md §2. `basis` is the amount in the order's tax basis.
 * Inclusive: excl = round(incl / (1 + rate)), tax = incl − excl.
 * Exclusive: tax = round(excl × rate), incl = excl + tax.
 * Half-up rounds ties away from zero, so a negative amount gives exactly the negated result.
 */
export function amountsFromBasis(basis: Dec, rate: Dec, priceIncludesTax: boolean): LineAmounts {
  if (priceIncludesTax) {
    const excl = round2(basis.div(rate.plus(1)));
    return { excl, tax: basis.minus(excl), incl: basis };
  }
  const tax = round2(basis.times(rate));
  return { excl: basis, tax, incl: basis.plus(tax) };
}

/** String form of the formula, for a console preview of one row. Inputs must be valid decimals. */
export function computeLineAmounts(input: { amount: string; taxRate: string; priceIncludesTax: boolean }): {
  amountExcludingTax: string;
  tax: string;
  amountIncludingTax: string;
} {
  const a = amountsFromBasis(toDec(input.amount), toDec(input.taxRate), input.priceIncludesTax);
  return {
    amountExcludingTax: formatAmount(a.excl),
    tax: formatAmount(a.tax),
    amountIncludingTax: formatAmount(a.incl),
  };
}

/** What a line is about, shared by a discounted line, its discount and any piece of them. */
export interface LineIdentity {
  name: string;
  shortName: string;
  taxCode: string;
  spec: string;
  unit: string;
  taxRate: string;
  zeroRateKind: ZeroRateKind | null;
}

export function printedItemName(shortName: string, name: string): string {
  return `*${shortName}*${name}`;
}

/**
 * Builds the printed line. Unit prices are derived (amount / quantity, half-up to 13 decimals) and
 * always shown positive: on a red line the quantity carries the sign.
 */
export function makeLine(
  id: LineIdentity,
  kind: LineKind,
  quantity: Dec | null,
  a: LineAmounts,
): ComputedLine {
  const hasQuantity = quantity !== null && !quantity.isZero();
  return {
    kind,
    itemName: printedItemName(id.shortName, id.name),
    name: id.name,
    shortName: id.shortName,
    taxCode: id.taxCode,
    spec: id.spec,
    unit: id.unit,
    quantity: hasQuantity ? formatPrice(quantity) : null,
    unitPrice: hasQuantity ? formatPrice(a.excl.abs().div(quantity.abs())) : null,
    unitPriceIncludingTax: hasQuantity ? formatPrice(a.incl.abs().div(quantity.abs())) : null,
    amountExcludingTax: formatAmount(a.excl),
    taxRate: id.taxRate,
    taxRateLabel: taxRateLabel(id.taxRate, id.zeroRateKind),
    zeroRateKind: id.zeroRateKind,
    tax: formatAmount(a.tax),
    amountIncludingTax: formatAmount(a.incl),
  };
}

/** Amounts of a computed line back as decimals. */
export function lineAmountsOf(line: ComputedLine): LineAmounts {
  return { excl: toDec(line.amountExcludingTax), tax: toDec(line.tax), incl: toDec(line.amountIncludingTax) };
}

export function identityOf(line: ComputedLine): LineIdentity {
  return {
    name: line.name,
    shortName: line.shortName,
    taxCode: line.taxCode,
    spec: line.spec,
    unit: line.unit,
    taxRate: line.taxRate,
    zeroRateKind: line.zeroRateKind,
  };
}

/**
 * Where a row came from in the caller's input: its path prefix, a human label, and the path of each
 * field (a discount given as the `discount` field of a line points every field at that field).
 */
export interface RowOrigin {
  index: number;
  at: string;
  label: string;
  field: (name: string) => string;
}

/** An item line read and computed, or null where it had issues. */
export interface ItemDraft {
  id: LineIdentity;
  rate: ParsedRate;
  quantity: Dec | null;
  /** Amount in the order's tax basis. */
  basis: Dec;
  amounts: LineAmounts;
}

const TAX_CODE = /^\d{19}$/;

function field(input: Record<string, unknown>, name: string): unknown {
  return input[name];
}

export function readItemLine(
  input: Record<string, unknown>,
  origin: RowOrigin,
  priceIncludesTax: boolean,
  issues: DomainIssue[],
): ItemDraft | null {
  const before = issues.length;
  const { label } = origin;
  const at = origin.field;

  let name = readText(
    field(input, "name"),
    { path: at("name"), label: `${label}项目名称`, required: true },
    issues,
  );
  const shortName = readText(
    field(input, "shortName"),
    { path: at("shortName"), label: `${label}税收分类简称`, required: true },
    issues,
  );
  if (shortName?.includes("*")) {
    issues.push(issue("SHORT_NAME_INVALID", at("shortName"), `${label}税收分类简称不能包含“*”`));
  }
  if (name !== null && shortName !== null) {
    // Callers sometimes send the printed form; do not print the prefix twice.
    const prefix = printedItemName(shortName, "");
    if (name.startsWith(prefix) && name.length > prefix.length) name = name.slice(prefix.length);
    checkBytes(
      printedItemName(shortName, name),
      TEXT_LIMITS.itemName,
      at("name"),
      `${label}项目名称（含*简称*）`,
      issues,
    );
  }
  const taxCode = readText(
    field(input, "taxCode"),
    { path: at("taxCode"), label: `${label}税收分类编码`, required: true },
    issues,
  );
  if (taxCode !== null && !TAX_CODE.test(taxCode)) {
    issues.push(issue("TAX_CODE_INVALID", at("taxCode"), `${label}税收分类编码应为19位数字`));
  }
  const rate = parseTaxRate(field(input, "taxRate"), field(input, "zeroRateKind"), origin.at, label);
  if (!rate.ok) issues.push(...rate.issues);
  const spec = readText(
    field(input, "spec"),
    { path: at("spec"), label: `${label}规格型号`, required: false, maxBytes: TEXT_LIMITS.spec },
    issues,
  );
  const unit = readText(
    field(input, "unit"),
    { path: at("unit"), label: `${label}单位`, required: false, maxBytes: TEXT_LIMITS.unit },
    issues,
  );

  const quantityText = field(input, "quantity");
  const priceText = field(input, "unitPrice");
  let quantity: Dec | null = null;
  let price: Dec | null = null;
  if (isAbsent(quantityText) !== isAbsent(priceText)) {
    const missing = isAbsent(quantityText) ? "quantity" : "unitPrice";
    issues.push(issue("QUANTITY_PRICE_INCOMPLETE", at(missing), `${label}数量和单价须同时填写或同时不填`));
  } else if (!isAbsent(quantityText)) {
    const q = readNumberField(quantityText, QUANTITY_RULE, at("quantity"), `${label}数量`);
    const p = readNumberField(priceText, UNIT_PRICE_RULE, at("unitPrice"), `${label}单价`);
    if (q.ok) quantity = q.value;
    else issues.push(q.issue);
    if (p.ok) price = p.value;
    else issues.push(p.issue);
  }

  let basis: Dec | null = null;
  const amountText = field(input, "amount");
  const amountFromQuantity = isAbsent(amountText) && !isAbsent(quantityText) && !isAbsent(priceText);
  if (amountFromQuantity && quantity && price) {
    basis = round2(quantity.times(price));
    if (basis.lte(0))
      issues.push(issue("NUMBER_NOT_POSITIVE", at("amount"), `${label}金额（数量×单价）必须大于0`));
  } else if (!amountFromQuantity) {
    // (When the amount is to come from a bad quantity or price, their own issues say enough.)
    const a = readNumberField(amountText, amountRule("positive"), at("amount"), `${label}金额`);
    if (a.ok) basis = a.value;
    else issues.push(a.issue);
  }
  if (basis && quantity && price && quantity.times(price).minus(basis).abs().gt("0.01")) {
    issues.push(
      issue(
        "QUANTITY_PRICE_MISMATCH",
        at("amount"),
        `${label}数量×单价（${formatPrice(quantity.times(price))}）与金额 ${formatAmount(basis)} 相差超过0.01`,
      ),
    );
  }

  let amounts: LineAmounts | null = null;
  if (basis && rate.ok) {
    amounts = amountsFromBasis(basis, rate.value.rate, priceIncludesTax);
    const given = readCallerTax(field(input, "tax"), amounts, rate.value, origin, priceIncludesTax, issues);
    if (given) amounts = { excl: amounts.excl, tax: given, incl: amounts.excl.plus(given) };
  }

  if (
    issues.length > before ||
    !amounts ||
    !basis ||
    !rate.ok ||
    name === null ||
    shortName === null ||
    taxCode === null
  ) {
    return null;
  }
  return {
    id: {
      name,
      shortName,
      taxCode,
      spec: spec ?? "",
      unit: unit ?? "",
      taxRate: rate.value.text,
      zeroRateKind: rate.value.zeroRateKind,
    },
    rate: rate.value,
    quantity,
    basis,
    amounts,
  };
}

/**
 * A caller's own tax (DOMAIN.md §4): only meaningful when the caller gives tax-exclusive amounts;
 * it must lie within 0.01 of round(amountExcl × rate). Returns it when acceptable.
 */
function readCallerTax(
  value: unknown,
  computed: LineAmounts,
  rate: ParsedRate,
  origin: RowOrigin,
  priceIncludesTax: boolean,
  issues: DomainIssue[],
): Dec | null {
  if (isAbsent(value)) return null;
  const path = origin.field("tax");
  if (priceIncludesTax) {
    issues.push(issue("TAX_NOT_ALLOWED", path, `${origin.label}含税价订单不应填写税额，税额由系统计算`));
    return null;
  }
  const t = readNumberField(value, amountRule("nonnegative"), path, `${origin.label}税额`);
  if (!t.ok) {
    issues.push(t.issue);
    return null;
  }
  const tolerance = rate.rate.isZero() ? "0" : "0.01";
  if (t.value.minus(computed.tax).abs().gt(tolerance)) {
    issues.push(
      issue(
        "TAX_OUT_OF_TOLERANCE",
        path,
        `${origin.label}税额 ${formatAmount(t.value)} 与 金额×税率 ${formatAmount(computed.tax)}（税率 ${rate.text}）相差超过${tolerance}`,
      ),
    );
    return null;
  }
  return t.value;
}
