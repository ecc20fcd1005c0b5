/**
 * Shared shapes of the domain module. Inputs are what callers send (all money as strings, shapes
 * possibly wrong at run time, so the code reads them defensively); computed shapes are what this
 * module returns, always well-formed.
 */
import type { ZeroRateKind } from "./tax-rate";

export type { ZeroRateKind } from "./tax-rate";

export type InvoiceType = "digital_normal" | "digital_special";
export type BuyerType = "individual" | "enterprise" | "non_enterprise";
export type LineKind = "normal" | "discount" | "discounted";
export type OverLimitPolicy = "reject" | "split";

export const INVOICE_TYPES: readonly InvoiceType[] = ["digital_normal", "digital_special"];
export const BUYER_TYPES: readonly BuyerType[] = ["individual", "enterprise", "non_enterprise"];

/**
 * An item line as a merchant's system (API.md 3.2.01) or the console sends it. Amounts are in the
 * order's tax basis (`priceIncludesTax`).
 */
export interface ItemLineInput {
  /** Absent or `normal`. `discounted` is accepted as a hint and then requires a discount row next. */
  kind?: "normal" | "discounted";
  name: string;
  shortName: string;
  /** 19-digit 税收分类编码. */
  taxCode: string;
  /** Decimal fraction: "0.13", "0.015", "0". */
  taxRate: string;
  /** Required when the rate is 0, forbidden otherwise. */
  zeroRateKind?: ZeroRateKind | null;
  spec?: string | null;
  unit?: string | null;
  /** Quantity and unit price come together or not at all. */
  quantity?: string | null;
  unitPrice?: string | null;
  /** 2 decimals. May be left out when quantity and unit price are given: then round(quantity × price). */
  amount?: string | null;
  /** Caller's own tax, only for tax-exclusive orders; must be within 0.01 of round(amount × rate). */
  tax?: string | null;
  /** Shorthand for a discount row right after this line (negative, 2 decimals). */
  discount?: string | null;
}

/**
 * A discount row (折扣行), right after the line it discounts. Name, tax code and rate are taken from
 * that line; when restated they must match it.
 */
export interface DiscountLineInput {
  kind: "discount";
  amount: string;
  name?: string | null;
  shortName?: string | null;
  taxCode?: string | null;
  taxRate?: string | null;
  zeroRateKind?: ZeroRateKind | null;
  /** Never allowed on a discount row; present only so that a caller's mistake is reported, not ignored. */
  quantity?: string | null;
  unitPrice?: string | null;
}

export type LineInput = ItemLineInput | DiscountLineInput;

export interface InvoiceInput {
  /** Default true (receipts are priced 含税). */
  priceIncludesTax?: boolean;
  lines: readonly LineInput[];
}

/** One printed line of an invoice. Strings throughout, ready for JSON, PDF and XML. */
export interface ComputedLine {
  kind: LineKind;
  /** As printed: `*简称*名称`. */
  itemName: string;
  name: string;
  shortName: string;
  taxCode: string;
  /** "" when none. */
  spec: string;
  unit: string;
  /** Up to 13 decimals, no trailing zeros; null when the line has none. Negative on red lines. */
  quantity: string | null;
  /** Tax-exclusive unit price as printed (amountExcludingTax / quantity, ≤ 13 decimals); always ≥ 0. */
  unitPrice: string | null;
  /** Tax-inclusive unit price (amountIncludingTax / quantity), for pages that show 含税单价. */
  unitPriceIncludingTax: string | null;
  amountExcludingTax: string;
  /** Canonical fraction: "0.13", "0.015", "0". */
  taxRate: string;
  /** "13%", "1.5%", "免税", "不征税", "0%". */
  taxRateLabel: string;
  zeroRateKind: ZeroRateKind | null;
  tax: string;
  amountIncludingTax: string;
}

export interface InvoiceTotals {
  /** 合计金额 */
  amountExcludingTax: string;
  /** 合计税额 */
  taxAmount: string;
  /** 价税合计 */
  totalAmount: string;
}

export interface ComputedInvoice {
  priceIncludesTax: boolean;
  lines: ComputedLine[];
  totals: InvoiceTotals;
}
