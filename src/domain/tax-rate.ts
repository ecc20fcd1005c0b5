/**
 * Tax rates (税率/征收率) as decimal fractions in text: "0.13", "0.015", "0". A rate of 0 always
 * carries a zero-rate kind, which decides what the rate column prints.
 */
import { type DomainIssue, issue } from "./errors";
import { Dec, readDecimal, ZERO } from "./money";

export type ZeroRateKind = "exempt" | "not_taxable" | "ordinary_zero" | "export";

export const ZERO_RATE_KINDS: readonly ZeroRateKind[] = ["exempt", "not_taxable", "ordinary_zero", "export"];

/** Rates a new (blue) invoice may use. Historical 17/16/11/10 % appear only on reversals of old invoices. */
export const OFFERED_TAX_RATES: readonly string[] = [
  "0.13",
  "0.09",
  "0.06",
  "0.05",
  "0.03",
  "0.015",
  "0.01",
  "0",
];

const ZERO_RATE_LABELS: Record<ZeroRateKind, string> = {
  exempt: "免税",
  not_taxable: "不征税",
  ordinary_zero: "0%",
  export: "0%",
};

export function isZeroRateKind(value: unknown): value is ZeroRateKind {
  return typeof value === "string" && (ZERO_RATE_KINDS as readonly string[]).includes(value);
}

/** Canonical text of a rate: no trailing zeros ("0.130" → "0.13", "0.00" → "0"). */
export function formatRate(rate: Dec): string {
  return (rate.isZero() ? ZERO : rate).toFixed();
}

/**
 * What the 税率/征收率 column prints: "13%", "1.5%", or 免税 / 不征税 / 0% for a zero rate.
 * Works for historical rates too ("0.17" → "17%").
 */
export function taxRateLabel(rate: string, zeroRateKind?: ZeroRateKind | null): string {
  const r = new Dec(rate);
  if (r.isZero()) return zeroRateKind ? ZERO_RATE_LABELS[zeroRateKind] : "0%";
  return `${r.times(100).toFixed()}%`;
}

export interface ParsedRate {
  rate: Dec;
  text: string;
  zeroRateKind: ZeroRateKind | null;
}

/**
 * Validates a rate and its zero-rate kind together, for a new invoice line. `at` is the line's
 * path prefix (`lines[2]`) and `label` its human name (第3行).
 */
export function parseTaxRate(
  rateText: unknown,
  zeroRateKind: unknown,
  at: string,
  label: string,
): { ok: true; value: ParsedRate } | { ok: false; issues: DomainIssue[] } {
  const path = `${at}.taxRate`;
  const kindPath = `${at}.zeroRateKind`;
  const read = readDecimal(rateText, { maxDecimals: 6, maxIntegerDigits: 1, sign: "nonnegative" });
  if (!read.ok) {
    if (read.problem === "required") return failWith(issue("FIELD_REQUIRED", path, `${label}税率不能为空`));
    return failWith(
      issue("NUMBER_FORMAT_INVALID", path, `${label}税率格式不正确，应为小数形式，如 "0.13"、"0.015"、"0"`),
    );
  }
  const rate = read.value;
  const text = formatRate(rate);
  if (!OFFERED_TAX_RATES.includes(text)) {
    return failWith(
      issue(
        "TAX_RATE_NOT_OFFERED",
        path,
        `${label}税率 ${text} 不可用，可选 13%、9%、6%、5%、3%、1.5%、1%、0%`,
      ),
    );
  }
  const kindAbsent = zeroRateKind === undefined || zeroRateKind === null || zeroRateKind === "";
  if (rate.isZero()) {
    if (kindAbsent) {
      return failWith(
        issue(
          "ZERO_RATE_KIND_REQUIRED",
          kindPath,
          `${label}税率为0时须注明免税、不征税、普通零税率或出口零税率`,
        ),
      );
    }
    if (!isZeroRateKind(zeroRateKind)) {
      return failWith(
        issue(
          "ZERO_RATE_KIND_INVALID",
          kindPath,
          `${label}零税率类型应为 exempt、not_taxable、ordinary_zero 或 export`,
        ),
      );
    }
    return { ok: true, value: { rate, text, zeroRateKind } };
  }
  if (!kindAbsent) {
    return failWith(issue("ZERO_RATE_KIND_UNEXPECTED", kindPath, `${label}税率不为0，不应注明零税率类型`));
  }
  return { ok: true, value: { rate, text, zeroRateKind: null } };
}

function failWith(one: DomainIssue): { ok: false; issues: DomainIssue[] } {
  return { ok: false, issues: [one] };
}
