import {
  amountInCapitals,
  type ComputedLine,
  type InvoiceType,
  invoiceQrText,
  taxRateLabel,
  trimDecimal,
} from "../../domain";
import { documentLineOf, type InvoiceDocument, type ReversedInvoice } from "../documents";
import { sellerOf } from "../organizations/organizations.presenter";
import type { OrganizationRow } from "../organizations/organizations.repository";
import { buyerPartyOf, totalsOf } from "./invoices.presenter";
import type { InvoiceLineRow, InvoiceRow } from "./invoices.repository";

/** Stored line → the domain's computed-line shape (what channels and renderers take). */
export function toComputedLine(l: InvoiceLineRow): ComputedLine {
  return {
    kind: l.kind as ComputedLine["kind"],
    itemName: l.itemName,
    name: l.name,
    shortName: l.shortName,
    taxCode: l.taxCode,
    spec: l.spec,
    unit: l.unit,
    quantity: l.quantity === null ? null : trimDecimal(l.quantity),
    unitPrice: l.unitPrice === null ? null : trimDecimal(l.unitPrice),
    unitPriceIncludingTax: null,
    amountExcludingTax: l.amountExcludingTax,
    taxRate: trimDecimal(l.taxRate),
    taxRateLabel: taxRateLabelOf(l),
    zeroRateKind: l.zeroRateKind as ComputedLine["zeroRateKind"],
    tax: l.tax,
    amountIncludingTax: l.amountIncludingTax,
  };
}

/** The invoice as the renderers lay it out (PDF and XML). */
export function toInvoiceDocument(
  org: OrganizationRow,
  invoice: InvoiceRow,
  lines: InvoiceLineRow[],
  options: { sandbox: boolean; reverses?: ReversedInvoice },
): InvoiceDocument {
  const issuedAt = invoice.issuedAt ?? new Date();
  return {
    mode: "issued",
    color: invoice.color as "blue" | "red",
    invoiceType: invoice.invoiceType as InvoiceType,
    number: invoice.number ?? undefined,
    issuedAt,
    seller: sellerOf(org),
    buyer: buyerPartyOf(invoice),
    lines: lines.map((l) => documentLineOf(toComputedLine(l))),
    totals: {
      ...totalsOf(invoice),
      totalInCapitals: amountInCapitals(invoice.totalAmount),
    },
    remark: invoice.remark || undefined,
    drawer: invoice.drawer,
    payee: invoice.payee || undefined,
    reviewer: invoice.reviewer || undefined,
    qrText: invoice.number
      ? invoiceQrText({
          invoiceType: invoice.invoiceType as InvoiceType,
          number: invoice.number,
          totalAmount: invoice.totalAmount,
          issuedAt,
        })
      : undefined,
    sandbox: options.sandbox,
    reverses: options.reverses,
  };
}

function taxRateLabelOf(l: InvoiceLineRow): string {
  return taxRateLabel(l.taxRate, l.zeroRateKind as ComputedLine["zeroRateKind"]);
}
