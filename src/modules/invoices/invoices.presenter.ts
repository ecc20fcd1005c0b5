import type { Buyer } from "../../domain";
import type { PartyView } from "../organizations/organizations.schema";
import { toComputedLine } from "./invoice-document";
import type { InvoiceLineRow, InvoiceRow } from "./invoices.repository";
import type { InvoiceLineView } from "./invoices.schema";

/**
 * The views of an invoice's parts, built once for every audience (merchant, console, consumer,
 * the renderers): the buyer, the totals, a line; and the buyer's columns, the way back.
 */

type BuyerColumns = Pick<
  InvoiceRow,
  | "buyerType"
  | "buyerName"
  | "buyerTaxId"
  | "buyerAddress"
  | "buyerPhone"
  | "buyerBankName"
  | "buyerBankAccount"
>;

/** 购买方 as printed: the party without its type. */
export function buyerPartyOf(i: BuyerColumns): PartyView {
  return {
    name: i.buyerName,
    taxId: i.buyerTaxId,
    address: i.buyerAddress,
    phone: i.buyerPhone,
    bankName: i.buyerBankName,
    bankAccount: i.buyerBankAccount,
  };
}

/** 购买方 in full, with its type (the merchant's and the console's view). */
export function buyerOf(i: BuyerColumns): PartyView & { type: string } {
  return { type: i.buyerType, ...buyerPartyOf(i) };
}

/** The buyer's columns of an invoice (or submission) row, from the buyer the rules engine validated. */
export function buyerColumnsOf(buyer: Buyer | (PartyView & { type: string })): BuyerColumns {
  return {
    buyerType: buyer.type,
    buyerName: buyer.name,
    buyerTaxId: buyer.taxId ?? "",
    buyerAddress: buyer.address ?? "",
    buyerPhone: buyer.phone ?? "",
    buyerBankName: buyer.bankName ?? "",
    buyerBankAccount: buyer.bankAccount ?? "",
  };
}

/** 金额, 税额, 价税合计. */
export function totalsOf(i: Pick<InvoiceRow, "amountExcludingTax" | "taxAmount" | "totalAmount">) {
  return { amountExcludingTax: i.amountExcludingTax, taxAmount: i.taxAmount, totalAmount: i.totalAmount };
}

/** An invoice line as the answers show it (numbers trimmed, the rate's label as printed). */
export function invoiceLineOf(l: InvoiceLineRow): InvoiceLineView {
  const c = toComputedLine(l);
  return {
    kind: c.kind,
    itemName: c.itemName,
    taxCode: c.taxCode,
    spec: c.spec,
    unit: c.unit,
    quantity: c.quantity,
    unitPrice: c.unitPrice,
    amountExcludingTax: c.amountExcludingTax,
    taxRate: c.taxRate,
    taxRateLabel: c.taxRateLabel,
    tax: c.tax,
    amountIncludingTax: c.amountIncludingTax,
  };
}
