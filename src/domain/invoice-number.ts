/**
 * 数电 invoice numbers (DOMAIN.md §7): 20 digits, `YY` + `PP` (province) + channel digit +
 * 15-digit sequence. The sandbox channel uses channel digit 2 and the seller's registration
 * province; the caller allocates the sequence per (year, province) without gaps or duplicates
 * (`sandboxSequenceKey` names that counter).
 */
import { chinaDate } from "./china-time";
import { provinceCodeOf } from "./tax-id";

export const SANDBOX_CHANNEL_DIGIT = "2";
export const MAX_SEQUENCE = 999_999_999_999_999n;

export interface InvoiceNumberParts {
  /** Two digits. */
  year: string;
  province: string;
  channel: string;
  sequence: bigint;
}

/** The (year, province) counter a sandbox invoice draws its sequence from, e.g. `2026-44`. */
export function sandboxSequenceKey(input: { issuedAt: Date; sellerTaxId: string }): string {
  return `${chinaDate(input.issuedAt).year}-${sellerProvince(input.sellerTaxId)}`;
}

function sellerProvince(sellerTaxId: string): string {
  const province = provinceCodeOf(sellerTaxId);
  if (province === null) throw new RangeError(`no province code in seller tax ID ${sellerTaxId}`);
  return province;
}

/**
 * The sandbox number. The year is the issue date's year in China time. Throws on a sequence outside
 * 1…10^15−1 or a seller tax ID without a province code: both are programming errors (the seller
 * was validated when the organization was created; sequences come from our own counter).
 */
export function sandboxInvoiceNumber(input: {
  issuedAt: Date;
  sellerTaxId: string;
  sequence: bigint | number;
}): string {
  const sequence = BigInt(input.sequence);
  if (sequence < 1n || sequence > MAX_SEQUENCE) throw new RangeError(`sequence out of range: ${sequence}`);
  const yy = String(chinaDate(input.issuedAt).year % 100).padStart(2, "0");
  return `${yy}${sellerProvince(input.sellerTaxId)}${SANDBOX_CHANNEL_DIGIT}${sequence.toString().padStart(15, "0")}`;
}

export function isInvoiceNumber(text: string): boolean {
  return /^\d{20}$/.test(text);
}

export function parseInvoiceNumber(text: string): InvoiceNumberParts | null {
  if (!isInvoiceNumber(text)) return null;
  return {
    year: text.slice(0, 2),
    province: text.slice(2, 4),
    channel: text.slice(4, 5),
    sequence: BigInt(text.slice(5)),
  };
}
