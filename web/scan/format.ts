/**
 * How the page writes money, quantities, dates, names of types and masked contacts. Amounts arrive
 * as decimal strings and stay strings: the page never does arithmetic on money, it only compares
 * and displays it, so it needs no decimal library.
 */
import type { BuyerType, InvoiceType, ReceiptLine } from "./api";

export const INVOICE_TYPE_LABELS: Record<InvoiceType, string> = {
  digital_normal: "电子发票（普通发票）",
  digital_special: "电子发票（增值税专用发票）",
};

/** The name inside the parentheses of the full one, for a compact choice. */
export const INVOICE_TYPE_NAMES: Record<InvoiceType, string> = {
  digital_normal: "普通发票",
  digital_special: "增值税专用发票",
};

export const INVOICE_TYPE_SHORT: Record<InvoiceType, string> = {
  digital_normal: "数电普票",
  digital_special: "数电专票",
};

export const BUYER_TYPE_LABELS: Record<BuyerType, string> = {
  individual: "个人",
  enterprise: "企业",
  non_enterprise: "非企业单位",
};

/** "1234567.5" → "1,234,567.50"; keeps a leading minus. Text that is not a number is shown as given. */
export function formatAmount(text: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match) return text;
  const [, sign, int = "0", frac = ""] = match;
  const grouped = int.replace(/^0+(?=\d)/, "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}${grouped}.${`${frac}00`.slice(0, Math.max(2, frac.length))}`;
}

/** "¥1,240.50", "-¥36.00": the sign before the currency mark, as receipts print it. */
export function formatMoney(text: string): string {
  const formatted = formatAmount(text);
  return formatted.startsWith("-") ? `-¥${formatted.slice(1)}` : `¥${formatted}`;
}

/** Quantities and unit prices without trailing zeros: "2.000" → "2", "12.50" → "12.5". */
export function trimDecimal(text: string): string {
  if (!/^-?\d+\.\d+$/.test(text)) return text;
  return text.replace(/0+$/, "").replace(/\.$/, "");
}

/** A unit price keeps at least two decimals, like money, but no needless trailing zeros past them. */
export function formatUnitPrice(text: string): string {
  const match = /^(-?\d+)\.(\d+)$/.exec(text);
  if (!match) return formatMoney(text);
  const frac = (match[2] ?? "").replace(/0+$/, "");
  return formatMoney(`${match[1]}.${frac.length >= 2 ? frac : `${frac}00`.slice(0, 2)}`);
}

/**
 * Compares two non-negative or negative decimal strings exactly: -1, 0 or 1. Used for "is the total
 * above the limit", where a binary float could be off by a cent.
 */
export function compareAmounts(a: string, b: string): number {
  const parse = (t: string) => {
    const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(t.trim());
    const int = (m?.[2] ?? "0").replace(/^0+/, "");
    const frac = (m?.[3] ?? "").replace(/0+$/, "");
    const zero = int === "" && frac === "";
    return { negative: m?.[1] === "-" && !zero, int, frac };
  };
  const x = parse(a);
  const y = parse(b);
  if (x.negative !== y.negative) return x.negative ? -1 : 1;
  const flip = x.negative ? -1 : 1;
  if (x.int.length !== y.int.length) return (x.int.length < y.int.length ? -1 : 1) * flip;
  if (x.int !== y.int) return (x.int < y.int ? -1 : 1) * flip;
  const width = Math.max(x.frac.length, y.frac.length);
  const fx = x.frac.padEnd(width, "0");
  const fy = y.frac.padEnd(width, "0");
  if (fx === fy) return 0;
  return (fx < fy ? -1 : 1) * flip;
}

/** The second row of a purchase line: "2 间夜 × ¥388.00", or the spec alone, or nothing. */
export function lineDetail(line: ReceiptLine): string {
  const parts: string[] = [];
  if (line.spec) parts.push(line.spec);
  if (line.quantity !== null && line.unitPrice !== null && line.kind !== "discount") {
    const unit = line.unit ? ` ${line.unit}` : "";
    parts.push(`${trimDecimal(line.quantity)}${unit} × ${formatUnitPrice(line.unitPrice)}`);
  }
  return parts.join(" · ");
}

const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * An instant as China time (UTC+8, no daylight saving): "2026-11-22 12:30". The phone's own time
 * zone does not matter — the invoice is dated in China time.
 */
export function formatChinaDateTime(iso: string | null | undefined, withTime = true): string {
  if (!iso) return "—";
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const d = new Date(ms + 8 * 3600_000);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  return withTime ? `${date} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}` : date;
}

/**
 * Masks an e-mail the way the server masks it on re-scan, for what the consumer just typed:
 * "zhangsan@example.com" → "z***n@example.com". Already masked text passes through.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at <= 0 || email.includes("*")) return email;
  const local = email.slice(0, at);
  return `${local.charAt(0)}***${local.length > 1 ? local.charAt(local.length - 1) : ""}${email.slice(at)}`;
}

/** "13800138000" → "138****8000"; anything else passes through. */
export function maskMobile(mobile: string): string {
  return /^\d{11}$/.test(mobile) ? `${mobile.slice(0, 3)}****${mobile.slice(7)}` : mobile;
}

/** "z****@example.com、138****8000": where an invoice goes, for a sentence. */
export function contactsText(email: string | null | undefined, mobile: string | null | undefined): string {
  const parts: string[] = [];
  if (email) parts.push(`邮箱 ${maskEmail(email)}`);
  if (mobile) parts.push(`手机 ${maskMobile(mobile)}`);
  return parts.join("、");
}

/** A download name a person recognises in their files: 发票_26442000000000000123.pdf. */
export function invoiceFileName(number: string | null, id: string, ext: "pdf" | "ofd" | "xml"): string {
  return `发票_${number || id}.${ext}`;
}
