/**
 * Input of the document renderers. Everything arrives computed and formatted by the domain module
 * (amounts as decimal strings, signs included); the renderers only lay it out, never do arithmetic.
 */

export interface PartyInfo {
  name: string;
  taxId?: string;
  address?: string;
  phone?: string;
  bankName?: string;
  bankAccount?: string;
}

export interface InvoiceDocumentLine {
  /** Printed name, `*简称*名称`. */
  itemName: string;
  spec?: string;
  unit?: string;
  quantity?: string;
  unitPrice?: string;
  /** 金额, excluding tax. */
  amount: string;
  /** As printed in the 税率/征收率 column: "13%", "免税", "不征税". */
  taxRateLabel: string;
  /** As written to the XML: "0.13", "0". */
  taxRate: string;
  tax: string;
  kind: "normal" | "discount" | "discounted";
}

export type InvoiceType = "digital_normal" | "digital_special";

export interface InvoiceDocument {
  mode: "issued" | "preview";
  color: "blue" | "red";
  invoiceType: InvoiceType;
  /** 20 digits; absent in a preview. */
  number?: string;
  /** Printed in China time (UTC+8). */
  issuedAt: Date;
  seller: PartyInfo;
  buyer: PartyInfo;
  lines: InvoiceDocumentLine[];
  totals: {
    amountExcludingTax: string;
    taxAmount: string;
    totalAmount: string;
    /** 大写; for a red invoice the renderers make sure it begins with 负. */
    totalInCapitals: string;
  };
  remark?: string;
  drawer: string;
  payee?: string;
  reviewer?: string;
  /** The invoice QR content (DOMAIN.md §7); absent in a preview. */
  qrText?: string;
  sandbox: boolean;
  /** The blue invoice a red one reverses. */
  reverses?: { number: string; reason: string };
  taxBureau?: { code: string; name: string };
}

export interface ReceiptSlipLine {
  name: string;
  quantity?: string;
  amount: string;
}

export interface ReceiptSlip {
  sellerName: string;
  /** 小票流水号. */
  serialNo: string;
  createdAt: Date;
  lines: ReceiptSlipLine[];
  totalAmount: string;
  /** The consumer page URL the QR encodes. */
  url: string;
  expiresAt?: Date;
  /** 小票底部备注. */
  footer?: string;
}

export type ReceiptSlipFormat = "58mm" | "80mm" | "A4";
