import {
  amountInCapitals,
  type ComputedLine,
  type InvoiceType,
  invoiceQrText,
  taxRateLabel,
  trimDecimal,
} from "../../domain";
import { documentLineOf, type InvoiceDocument, type ReversedInvoice } from "../documents";
import type { OrganizationRow } from "../organizations/organizations.repository";
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
    seller: {
      name: org.name,
      taxId: org.taxId,
      address: org.address,
      phone: org.phone,
      bankName: org.bankName,
      bankAccount: org.bankAccount,
    },
    buyer: {
      name: invoice.buyerName,
      taxId: invoice.buyerTaxId,
      address: invoice.buyerAddress,
      phone: invoice.buyerPhone,
      bankName: invoice.buyerBankName,
      bankAccount: invoice.buyerBankAccount,
    },
    lines: lines.map((l) => documentLineOf(toComputedLine(l))),
    totals: {
      amountExcludingTax: invoice.amountExcludingTax,
      taxAmount: invoice.taxAmount,
      totalAmount: invoice.totalAmount,
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
