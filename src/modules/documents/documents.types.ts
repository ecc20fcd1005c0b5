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

/** A zero rate's kind (DOMAIN.md §1): 免税 and 不征税 print their kind and `***` for the tax. */
export type ZeroRateKind = "exempt" | "not_taxable" | "ordinary_zero" | "export";

export interface InvoiceDocumentLine {
  /** Printed name, `*简称*名称`. */
  itemName: string;
  /** 19-digit 税收分类编码 (the XML's TaxClassificationCode). */
  taxCode: string;
  /** 规格型号, 单位, 数量, 单价: never printed on a discount line, whatever is passed (DOMAIN.md §9). */
  spec?: string;
  unit?: string;
  quantity?: string;
  unitPrice?: string;
  /** 金额, excluding tax. */
  amount: string;
  /** As printed in the 税率/征收率 column: "13%", "免税", "不征税". */
  taxRateLabel: string;
  /** The rate as a fraction: "0.13", "0". */
  taxRate: string;
  zeroRateKind?: ZeroRateKind;
  tax: string;
  /** 价税合计 of the line. */
  amountIncludingTax: string;
  kind: "normal" | "discount" | "discounted";
}

/** The blue invoice a red one reverses (DOMAIN.md §8). */
export interface ReversedInvoice {
  /** The blue invoice's 20-digit number. */
  number: string;
  /** The 红字发票信息确认单 number, once known; printed after the number, left out until then. */
  confirmationNumber?: string;
  /** Kept on the record, never printed (DOMAIN.md §8). */
  reason?: string;
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
    /** 大写; for a red invoice the renderers make sure it begins with （负数） (DOMAIN.md §4). */
    totalInCapitals: string;
  };
  remark?: string;
  drawer: string;
  payee?: string;
  reviewer?: string;
  /** The invoice QR content (DOMAIN.md §7); absent in a preview. */
  qrText?: string;
  sandbox: boolean;
  /** The blue invoice a red one reverses: its number and 确认单 make the red 备注 and the XML's RedEInvoice. */
  reverses?: ReversedInvoice;
  /**
   * The issuing tax bureau, when a channel says which; otherwise the XML takes it from the seller's
   * province (`taxBureauOf`).
   */
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
  /** 开票码, printed under the QR: typed at `{host}/s` when the QR cannot be scanned. */
  shortCode: string;
  expiresAt?: Date;
  /** 小票底部备注. */
  footer?: string;
}

export type ReceiptSlipFormat = "58mm" | "80mm" | "A4";
