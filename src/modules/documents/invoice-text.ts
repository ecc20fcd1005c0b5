import type { InvoiceDocument } from "./documents.types";
import { singleLine } from "./text-sanitize";

/** Wording shared by the invoice PDF and XML, so that both files always say the same thing. */

export function invoiceTitle(doc: Pick<InvoiceDocument, "invoiceType">): string {
  return doc.invoiceType === "digital_special" ? "电子发票（增值税专用发票）" : "电子发票（普通发票）";
}

/** The XML's GeneralOrSpecialVAT label. */
export function vatLabelName(doc: Pick<InvoiceDocument, "invoiceType">): string {
  return doc.invoiceType === "digital_special" ? "增值税专用发票" : "普通发票";
}

/** A red invoice's capitals begin with 负 (DOMAIN.md §4); it is added when the caller gave the bare amount. */
export function capitalsFor(doc: Pick<InvoiceDocument, "color" | "totals">): string {
  const capitals = singleLine(doc.totals.totalInCapitals);
  return doc.color === "red" && !capitals.startsWith("负") ? `负${capitals}` : capitals;
}
