import { chinaDateTime } from "./china-time";
import type { InvoiceDocument, InvoiceDocumentLine, PartyInfo } from "./documents.types";
import { capitalsFor, vatLabelName } from "./invoice-text";
import { element, group, serializeXml, type XmlNode } from "./xml-writer";

/**
 * The invoice XML with the element names of the official 数电票 file, exactly the set DOMAIN.md §9
 * lists. Every element is always present; a value the invoice does not have (a buyer's bank, the
 * number of a preview) is an empty element. Amounts are written as the domain formatted them.
 */

function party(prefix: "Seller" | "Buyer", info: PartyInfo): XmlNode {
  return group(`${prefix}Information`, [
    element(`${prefix}Name`, info.name),
    element(`${prefix}IdNum`, info.taxId),
    element(`${prefix}Addr`, info.address),
    element(`${prefix}TelNum`, info.phone),
    element(`${prefix}BankName`, info.bankName),
    element(`${prefix}BankAccNum`, info.bankAccount),
  ]);
}

function item(line: InvoiceDocumentLine): XmlNode {
  return group("IssuItemInformation", [
    element("ItemName", line.itemName),
    element("SpecMod", line.spec),
    element("MeaUnits", line.unit),
    element("Quantity", line.quantity),
    element("UnPrice", line.unitPrice),
    element("Amount", line.amount),
    element("TaxRate", line.taxRate),
    element("ComTaxAm", line.tax),
  ]);
}

/** Renders the invoice as UTF-8 XML text (with its declaration); encode it as UTF-8 when storing. */
export function renderInvoiceXml(doc: InvoiceDocument): string {
  const issuedAt = chinaDateTime(doc.issuedAt);
  return serializeXml(
    group("EInvoice", [
      group("Header", [
        element("EIid", doc.number),
        group("InherentLabel", [group("GeneralOrSpecialVAT", [element("LabelName", vatLabelName(doc))])]),
      ]),
      group("EInvoiceData", [
        party("Seller", doc.seller),
        party("Buyer", doc.buyer),
        group("BasicInformation", [
          element("TotalAmWithoutTax", doc.totals.amountExcludingTax),
          element("TotalTaxAm", doc.totals.taxAmount),
          element("TotalTax-includedAmount", doc.totals.totalAmount),
          element("TotalTax-includedAmountInChinese", capitalsFor(doc)),
          element("Drawer", doc.drawer),
          element("RequestTime", issuedAt),
        ]),
        ...doc.lines.map(item),
      ]),
      group("TaxSupervisionInfo", [
        element("InvoiceNumber", doc.number),
        element("IssueTime", issuedAt),
        element("TaxBureauCode", doc.taxBureau?.code),
        element("TaxBureauName", doc.taxBureau?.name),
      ]),
    ]),
  );
}
