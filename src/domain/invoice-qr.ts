/**
 * The text of the QR printed on a 数电 invoice (DOMAIN.md §7):
 * `01,{32|31},,{number},{amount},{YYYYMMDD},,{crc}` — 32 普票, 31 专票; the two empty fields are the
 * 发票代码 and 校验码 a 数电 invoice does not have; amount is 价税合计 (tax-inclusive, 2 decimals, `-`
 * on a red invoice), what reimbursement software reads; the date is the issue date in China time;
 * `crc` is CRC-16/UMTS over the UTF-8 bytes of the text up to and including the last comma, as 4
 * uppercase hex digits. Real invoices verify: `01,32,,24312000000136634917,0.01,20240514,,1DD6`.
 */
import { chinaDateCompact } from "./china-time";
import { INVOICE_TYPE_CODES } from "./codes";
import { isInvoiceNumber } from "./invoice-number";
import { formatAmount, toDec } from "./money";
import type { InvoiceType } from "./types";

/**
 * CRC-16/UMTS (also catalogued as CRC-16/BUYPASS): polynomial 0x8005, initial value 0, no
 * reflection, no final XOR; the check value of "123456789" is 0xFEE8. Strings are taken as UTF-8.
 */
export function crc16Umts(data: string | Uint8Array): number {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

export function crc16Hex(data: string | Uint8Array): string {
  return crc16Umts(data).toString(16).toUpperCase().padStart(4, "0");
}

/** Throws on a malformed number or amount: both come from our own issued invoice. */
export function invoiceQrText(input: {
  invoiceType: InvoiceType;
  number: string;
  /** 价税合计, negative on a red invoice. */
  totalAmount: string;
  issuedAt: Date;
}): string {
  if (!isInvoiceNumber(input.number)) throw new RangeError(`not a 20-digit invoice number: ${input.number}`);
  const typeCode = INVOICE_TYPE_CODES[input.invoiceType]?.qr;
  if (!typeCode) throw new RangeError(`unknown invoice type: ${input.invoiceType}`);
  const amount = formatAmount(toDec(input.totalAmount));
  const signed = `01,${typeCode},,${input.number},${amount},${chinaDateCompact(input.issuedAt)},,`;
  return `${signed}${crc16Hex(signed)}`;
}

/**
 * Whether a QR text's checksum matches its content: the last field is the CRC of everything before
 * it, the comma that closes the (empty) 校验码 field included. For reading a QR back in tests and
 * checking a scanned invoice.
 */
export function isQrTextIntact(text: string): boolean {
  const cut = text.lastIndexOf(",") + 1;
  return cut > 1 && /^[0-9A-F]{4}$/.test(text.slice(cut)) && crc16Hex(text.slice(0, cut)) === text.slice(cut);
}
