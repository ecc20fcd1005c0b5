/**
 * The text of the QR printed on a 数电 invoice (DOMAIN.md §7):
 * `01,{32|31},,{number},{amount},{YYYYMMDD},,{crc}` — 32 普票, 31 专票; the two empty fields are the
 * 发票代码 and 校验码 a 数电 invoice does not have; amount is 合计金额 (tax-exclusive, 2 decimals,
 * `-` on a red invoice); the date is the issue date in China time; `crc` is CRC-16/CCITT-FALSE over
 * the UTF-8 bytes of everything before the last comma, as 4 uppercase hex digits.
 */
import { chinaDateCompact } from "./china-time";
import { INVOICE_TYPE_CODES } from "./codes";
import { isInvoiceNumber } from "./invoice-number";
import { formatAmount, toDec } from "./money";
import type { InvoiceType } from "./types";

/**
 * CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR
 * (check value of "123456789" is 0x29B1). Strings are taken as UTF-8.
 */
export function crc16CcittFalse(data: string | Uint8Array): number {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

export function crc16Hex(data: string | Uint8Array): string {
  return crc16CcittFalse(data).toString(16).toUpperCase().padStart(4, "0");
}

/** Throws on a malformed number or amount: both come from our own issued invoice. */
export function invoiceQrText(input: {
  invoiceType: InvoiceType;
  number: string;
  amountExcludingTax: string;
  issuedAt: Date;
}): string {
  if (!isInvoiceNumber(input.number)) throw new RangeError(`not a 20-digit invoice number: ${input.number}`);
  const typeCode = INVOICE_TYPE_CODES[input.invoiceType]?.qr;
  if (!typeCode) throw new RangeError(`unknown invoice type: ${input.invoiceType}`);
  const amount = formatAmount(toDec(input.amountExcludingTax));
  const signed = `01,${typeCode},,${input.number},${amount},${chinaDateCompact(input.issuedAt)},`;
  return `${signed},${crc16Hex(signed)}`;
}

/** Whether a QR text's CRC matches its content (for tests and for reading a QR back). */
export function isQrTextIntact(text: string): boolean {
  const cut = text.lastIndexOf(",");
  return cut > 0 && crc16Hex(text.slice(0, cut)) === text.slice(cut + 1);
}
