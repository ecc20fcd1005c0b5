/**
 * Decimal money. Amounts (金额, 税额, 价税合计) have 2 decimals; quantities and unit prices up to 13.
 * Strings in, strings out at the edges; `Decimal` (decimal.js) inside. Never a JS `number`.
 *
 * The accepted number text is deliberately narrow (DOMAIN-NOTES.md "Number text"): an optional `-`,
 * digits, optionally `.` and digits. No exponent, no `+`, no spaces, no `NaN`/`Infinity`, no
 * thousands separators. At most 16 integer digits (leading zeros not counted).
 */
import { Decimal } from "decimal.js";
import { type DomainIssue, fail, issue, ok, type Result } from "./errors";

/**
 * Our own Decimal constructor, so a global `Decimal.set` elsewhere cannot change our rounding.
 * 64 significant digits hold any product of a 16+13-digit quantity and a 16+13-digit price exactly.
 * ROUND_HALF_UP in decimal.js rounds ties away from zero: 2.675 → 2.68, −0.125 → −0.13 (四舍五入).
 */
export const Dec = Decimal.clone({
  precision: 64,
  rounding: Decimal.ROUND_HALF_UP,
  toExpNeg: -64,
  toExpPos: 64,
});
export type Dec = Decimal;

export const AMOUNT_DECIMALS = 2;
export const PRICE_DECIMALS = 13;
export const MAX_INTEGER_DIGITS = 16;

export const ZERO = new Dec(0);

export type Sign = "positive" | "negative" | "nonnegative" | "any";

export interface NumberRule {
  maxDecimals: number;
  maxIntegerDigits: number;
  sign: Sign;
}

export type NumberProblem = "required" | "type" | "format" | "decimals" | "digits" | "sign";

const NUMBER_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Absent means `undefined`, `null` or the empty string: the caller decides whether that is allowed. */
export function isAbsent(value: unknown): value is undefined | null | "" {
  return value === undefined || value === null || value === "";
}

/** Reads a number text by a rule; reports the first problem found (one field, one issue). */
export function readDecimal(
  value: unknown,
  rule: NumberRule,
): { ok: true; value: Dec } | { ok: false; problem: NumberProblem } {
  if (isAbsent(value)) return { ok: false, problem: "required" };
  if (typeof value !== "string") return { ok: false, problem: "type" };
  const match = NUMBER_TEXT.exec(value);
  if (!match) return { ok: false, problem: "format" };
  const integerDigits = (match[2] ?? "").replace(/^0+(?=\d)/, "");
  const fraction = match[3] ?? "";
  if (fraction.length > rule.maxDecimals) return { ok: false, problem: "decimals" };
  if (integerDigits.length > rule.maxIntegerDigits) return { ok: false, problem: "digits" };
  const parsed = new Dec(value);
  // "-0" and "-0.00" are zero, not negative.
  const d = parsed.isZero() ? ZERO : parsed;
  const signOk =
    rule.sign === "any" ||
    (rule.sign === "positive" && d.gt(0)) ||
    (rule.sign === "negative" && d.lt(0)) ||
    (rule.sign === "nonnegative" && d.gte(0));
  if (!signOk) return { ok: false, problem: "sign" };
  return { ok: true, value: d };
}

/** The issue for a number problem; `label` names the field for people, e.g. `第3行金额`. */
export function numberIssue(
  problem: NumberProblem,
  path: string,
  label: string,
  rule: NumberRule,
): DomainIssue {
  switch (problem) {
    case "required":
      return issue("FIELD_REQUIRED", path, `${label}不能为空`);
    case "type":
      return issue("FIELD_TYPE_INVALID", path, `${label}应为字符串形式的数字，如 "100.00"`);
    case "format":
      return issue("NUMBER_FORMAT_INVALID", path, `${label}格式不正确，应为如 "100.00" 的十进制数字`);
    case "decimals":
      return issue("NUMBER_TOO_MANY_DECIMALS", path, `${label}最多${rule.maxDecimals}位小数`);
    case "digits":
      return issue("NUMBER_TOO_MANY_DIGITS", path, `${label}整数部分最多${rule.maxIntegerDigits}位`);
    case "sign":
      if (rule.sign === "negative") return issue("NUMBER_NOT_NEGATIVE", path, `${label}必须小于0`);
      if (rule.sign === "nonnegative") return issue("NUMBER_NOT_POSITIVE", path, `${label}不能为负数`);
      return issue("NUMBER_NOT_POSITIVE", path, `${label}必须大于0`);
  }
}

export function amountRule(sign: Sign): NumberRule {
  return { maxDecimals: AMOUNT_DECIMALS, maxIntegerDigits: MAX_INTEGER_DIGITS, sign };
}

export const QUANTITY_RULE: NumberRule = {
  maxDecimals: PRICE_DECIMALS,
  maxIntegerDigits: MAX_INTEGER_DIGITS,
  sign: "positive",
};
export const UNIT_PRICE_RULE: NumberRule = QUANTITY_RULE;

/** Reads a decimal and turns a problem into an issue. */
export function readNumberField(
  value: unknown,
  rule: NumberRule,
  path: string,
  label: string,
): { ok: true; value: Dec } | { ok: false; issue: DomainIssue } {
  const read = readDecimal(value, rule);
  return read.ok ? read : { ok: false, issue: numberIssue(read.problem, path, label, rule) };
}

/** Half-up to 2 decimals. */
export function round2(d: Dec): Dec {
  const r = d.toDecimalPlaces(AMOUNT_DECIMALS, Dec.ROUND_HALF_UP);
  return r.isZero() ? ZERO : r;
}

/** An amount as printed: exactly 2 decimals, `-` for negative, never `-0.00`. */
export function formatAmount(value: Dec | string): string {
  return round2(new Dec(value)).toFixed(AMOUNT_DECIMALS);
}

/** A quantity or unit price as printed: half-up to 13 decimals, no trailing zeros, no exponent. */
export function formatPrice(value: Dec | string): string {
  const r = new Dec(value).toDecimalPlaces(PRICE_DECIMALS, Dec.ROUND_HALF_UP);
  return (r.isZero() ? ZERO : r).toFixed();
}

/**
 * A stored decimal string back to a Decimal. Only for strings this module produced (or that were
 * validated by it); anything else is a programming error and throws.
 */
export function toDec(text: string): Dec {
  if (!NUMBER_TEXT.test(text)) throw new TypeError(`not a decimal string: ${JSON.stringify(text)}`);
  return new Dec(text);
}

/** A stored amount in 元 as whole 分 (WeChat's fee fields): "1060.00" → 106000. */
export function amountInFen(text: string): number {
  return toDec(text).times(100).toDecimalPlaces(0).toNumber();
}

export function parseAmount(
  text: unknown,
  path = "amount",
  sign: Sign = "positive",
  label = "金额",
): Result<string> {
  const read = readNumberField(text, amountRule(sign), path, label);
  return read.ok ? ok(formatAmount(read.value)) : fail([read.issue]);
}

export function parseQuantity(text: unknown, path = "quantity", label = "数量"): Result<string> {
  const read = readNumberField(text, QUANTITY_RULE, path, label);
  return read.ok ? ok(formatPrice(read.value)) : fail([read.issue]);
}

export function parseUnitPrice(text: unknown, path = "unitPrice", label = "单价"): Result<string> {
  const read = readNumberField(text, UNIT_PRICE_RULE, path, label);
  return read.ok ? ok(formatPrice(read.value)) : fail([read.issue]);
}

/** Sum of 2-decimal amount strings, as a 2-decimal string. */
export function sumAmounts(amounts: readonly string[]): string {
  return formatAmount(amounts.reduce((acc, a) => acc.plus(toDec(a)), ZERO));
}

/** A non-negative decimal as NUMBER_TEXT reads it: integer digits, and fraction digits if any. */
const PLAIN_DECIMAL = /^(\d+)(?:\.(\d+))?$/;
const LEADING_ZEROS = /^0+/;

/** −1, 0 or 1, comparing decimal strings by value (`"100"` equals `"100.00"`). */
export function compareDecimals(a: string, b: string): -1 | 0 | 1 {
  // Two non-negative plain decimals (stored amounts and limits, on every scan) are compared as
  // text, without two Decimal objects; anything else is compared (or refused) by decimal.js.
  const x = PLAIN_DECIMAL.exec(a);
  const y = x && PLAIN_DECIMAL.exec(b);
  if (!x || !y) return toDec(a).comparedTo(toDec(b)) as -1 | 0 | 1;
  const xi = (x[1] as string).replace(LEADING_ZEROS, "");
  const yi = (y[1] as string).replace(LEADING_ZEROS, "");
  if (xi.length !== yi.length) return xi.length < yi.length ? -1 : 1;
  if (xi !== yi) return xi < yi ? -1 : 1;
  const xf = x[2] ?? "";
  const yf = y[2] ?? "";
  const width = Math.max(xf.length, yf.length);
  const pf = xf.padEnd(width, "0");
  const qf = yf.padEnd(width, "0");
  return pf === qf ? 0 : pf < qf ? -1 : 1;
}

export function negateAmount(amount: string): string {
  return formatAmount(toDec(amount).neg());
}

/**
 * A decimal as text without trailing zeros: PostgreSQL returns numeric columns padded to their
 * scale ("2.0000000000000" → "2", "0.1300" → "0.13", "0.0150" → "0.015"). Anything that is not a
 * plain decimal is returned as it is.
 */
export function trimDecimal(text: string): string;
export function trimDecimal(text: string | null): string | null;
export function trimDecimal(text: string | null): string | null {
  if (text === null || !/^-?\d+\.\d+$/.test(text)) return text;
  return text.replace(/0+$/, "").replace(/\.$/, "");
}
