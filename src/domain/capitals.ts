/**
 * 价税合计（大写）: an amount in Chinese financial capitals with 圆/角/分/整.
 *
 * Conventions (DOMAIN.md §4 and DOMAIN-NOTES.md): 拾 is always preceded by a digit (壹拾);
 * one 零 stands for any run of zeros inside the integer part; 整 only when there are no 角 and 分;
 * no 零 between 圆 and 角; 零…分 when 角 is zero; no 圆 when the integer part is zero (伍角);
 * zero is 零圆整; a negative amount (a red invoice) is prefixed with （负数）, as real red 数电 invoices
 * print it: −14000.00 → （负数）壹万肆仟圆整.
 */
import { formatAmount, toDec } from "./money";

/** What a red invoice prints before its capitals (DOMAIN.md §4), full-width brackets. */
export const NEGATIVE_PREFIX = "（负数）";

const DIGITS = ["零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"] as const;
const SMALL_UNITS = ["", "拾", "佰", "仟"] as const;

/** Renders 1–9999. */
function fourDigits(n: number): string {
  let out = "";
  let pendingZero = false;
  for (let pos = 3; pos >= 0; pos--) {
    const digit = Math.floor(n / 10 ** pos) % 10;
    if (digit === 0) {
      if (out !== "") pendingZero = true;
      continue;
    }
    if (pendingZero) out += DIGITS[0];
    pendingZero = false;
    out += `${DIGITS[digit]}${SMALL_UNITS[pos]}`;
  }
  return out;
}

/**
 * Renders a positive integer below 10^16 by 4-digit groups: 万 groups inside 亿 groups
 * (1,0000,0000,0000 is 壹万亿). A 零 marks zeros between two non-zero groups or at the start of a
 * lower group (120003 → 壹拾贰万零叁).
 */
function integerPart(n: bigint): string {
  const units: ReadonlyArray<[bigint, string]> = [
    [100000000n, "亿"],
    [10000n, "万"],
  ];
  for (const [size, unit] of units) {
    if (n >= size) {
      const high = n / size;
      const low = n % size;
      let out = integerPart(high) + unit;
      if (low > 0n) {
        if (low < size / 10n) out += DIGITS[0];
        out += integerPart(low);
      }
      return out;
    }
  }
  return fourDigits(Number(n));
}

/** `amount`: a decimal text with at most 2 decimals and 16 integer digits. Anything else throws. */
export function amountInCapitals(amount: string): string {
  const text = formatAmount(toDec(amount));
  const negative = text.startsWith("-");
  const [intText = "0", fraction = "00"] = text.replace("-", "").split(".");
  if (intText.length > 16) throw new RangeError(`amount too large for capitals: ${amount}`);
  const integer = BigInt(intText);
  const jiao = Number(fraction[0]);
  const fen = Number(fraction[1]);

  let out = integer > 0n ? `${integerPart(integer)}圆` : "";
  if (jiao === 0 && fen === 0) {
    out = integer > 0n ? `${out}整` : "零圆整";
  } else {
    if (jiao > 0) out += `${DIGITS[jiao]}角`;
    else if (integer > 0n) out += DIGITS[0];
    if (fen > 0) out += `${DIGITS[fen]}分`;
  }
  return negative ? `${NEGATIVE_PREFIX}${out}` : out;
}
