import { formatAmount } from "../../../src/domain/money";

/**
 * Money as every page of the console shows it: "1234.5" → "¥1,234.50", exactly two decimals
 * (rounded half-up by src/domain, never through a JS number), grouped by thousands, a red
 * invoice's negative amount as "-¥12.00". Nothing (null, "") is "—"; text that is not an amount is
 * shown as it came rather than as a wrong number.
 */
export function yuan(amount: string | number | null | undefined): string {
  if (amount === null || amount === undefined || amount === "") return "—";
  const text = String(amount);
  if (!/^-?\d+(\.\d+)?$/.test(text)) return text;
  const fixed = formatAmount(text);
  const negative = fixed.startsWith("-");
  const [whole = "0", cents = "00"] = (negative ? fixed.slice(1) : fixed).split(".");
  return `${negative ? "-" : ""}¥${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${cents}`;
}
