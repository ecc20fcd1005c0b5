import { chinaDateIso, chinaDateTime, taxBureauOf } from "../../domain";
import type { InvoiceDocument, InvoiceDocumentLine, PartyInfo } from "./documents.types";
import { capitalsFor, isTaxFreeKind, printedCells, remarkText, vatLabel } from "./invoice-text";
import {
  element,
  group,
  multilineElement,
  optionalElement as optional,
  serializeXml,
  type XmlNode,
} from "./xml-writer";

/**
 * The invoice XML: the element tree of the file the 电子税务局 hands out for a 数电 invoice (DOMAIN.md
 * §9), in its order, without the bureau's signature. Empty optional elements are left out (a
 * buyer without a bank, a discount line's 单位); `SpecificInformation` is always there, empty on a
 * blue invoice and holding `RedEInvoice` on a red one. The schema is `einvoice.xsd` beside this file,
 * checked in the tests with xmllint. Amounts are written as the domain formatted them.
 */

/** The version of the 数电 XML layout this tree follows. */
export const EINVOICE_XML_VERSION = "0.31";

function party(prefix: "Seller" | "Buyer", info: PartyInfo): XmlNode {
  return group(`${prefix}Information`, [
    ...optional(`${prefix}IdNum`, info.taxId),
    element(`${prefix}Name`, info.name),
    ...optional(`${prefix}Addr`, info.address),
    ...optional(`${prefix}TelNum`, info.phone),
    ...optional(`${prefix}BankName`, info.bankName),
    ...optional(`${prefix}BankAccNum`, info.bankAccount),
  ]);
}

function label(name: string, code: string, labelName: string): XmlNode {
  return group(name, [element("LabelCode", code), element("LabelName", labelName)]);
}

function item(line: InvoiceDocumentLine): XmlNode {
  const cells = printedCells(line);
  return group("IssuItemInformation", [
    element("ItemName", line.itemName),
    ...optional("SpecMod", cells.spec),
    ...optional("MeaUnits", cells.unit),
    ...optional("Quantity", cells.quantity),
    ...optional("UnPrice", cells.unitPrice),
    element("Amount", line.amount),
    // 免税 / 不征税 keep their kind rather than a bare 0; the tax stays a number (0.00) for readers.
    element("TaxRate", isTaxFreeKind(line) ? line.taxRateLabel : line.taxRate),
    element("ComTaxAm", line.tax),
    element("TotaltaxIncludedAmount", line.amountIncludingTax),
    element("TaxClassificationCode", line.taxCode),
  ]);
}

/**
 * Renders an issued invoice as UTF-8 XML text (with its declaration); encode it as UTF-8 when
 * storing. A preview has no number and no XML: asking for one is a programming error.
 */
export function renderInvoiceXml(doc: InvoiceDocument): string {
  if (doc.mode !== "issued" || !doc.number) throw new RangeError("an invoice XML needs an issued number");
  const bureau = doc.taxBureau ?? taxBureauOf(doc.seller.taxId ?? "");
  const provinceTag = taxBureauOf(doc.seller.taxId ?? "")?.tag;
  const vat = vatLabel(doc);
  const red = doc.color === "red";
  const remark = remarkText(doc);
  return serializeXml(
    group("EInvoice", [
      group("Header", [
        element("EIid", doc.number),
        ...optional("EInvoiceTag", provinceTag),
        element("Version", EINVOICE_XML_VERSION),
        group("InherentLabel", [
          label("InIssuType", red ? "N" : "Y", "是否蓝字发票标志"),
          label("EInvoiceType", "01", "电子发票"),
          label("GeneralOrSpecialVAT", vat.code, vat.name),
        ]),
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
          element("RequestTime", chinaDateTime(doc.issuedAt)),
        ]),
        ...doc.lines.map(item),
        group(
          "SpecificInformation",
          red && doc.reverses
            ? [
                group("RedEInvoice", [
                  element("OriginalInvoiceCode", doc.reverses.number),
                  ...optional("CreditNoteNumber", doc.reverses.confirmationNumber),
                ]),
              ]
            : [],
        ),
        ...(remark ? [group("AdditionalInformation", [multilineElement("Remark", remark)])] : []),
      ]),
      group("TaxSupervisionInfo", [
        element("InvoiceNumber", doc.number),
        element("IssueTime", chinaDateIso(doc.issuedAt)),
        ...optional("TaxBureauCode", bureau?.code),
        ...optional("TaxBureauName", bureau?.name ?? undefined),
      ]),
    ]),
  );
}
