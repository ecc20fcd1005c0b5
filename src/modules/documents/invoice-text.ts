import { NEGATIVE_PREFIX } from "../../domain";
import type { InvoiceDocument, InvoiceDocumentLine } from "./documents.types";
import { multiLine, singleLine } from "./text-sanitize";

/** Wording shared by the invoice PDF and XML, so that both files always say the same thing. */

export function invoiceTitle(doc: Pick<InvoiceDocument, "invoiceType">): string {
  return doc.invoiceType === "digital_special" ? "电子发票（增值税专用发票）" : "电子发票（普通发票）";
}

/** The XML's GeneralOrSpecialVAT label: code and name (DOMAIN.md §9). */
export function vatLabel(doc: Pick<InvoiceDocument, "invoiceType">): { code: string; name: string } {
  return doc.invoiceType === "digital_special"
    ? { code: "01", name: "增值税专用发票" }
    : { code: "02", name: "普通发票" };
}

/**
 * A red invoice's capitals begin with （负数） (DOMAIN.md §4): added when the caller gave the bare
 * amount, and put in place of an older `负`.
 */
export function capitalsFor(doc: Pick<InvoiceDocument, "color" | "totals">): string {
  const capitals = singleLine(doc.totals.totalInCapitals);
  if (doc.color !== "red") return capitals;
  const bare = capitals.startsWith(NEGATIVE_PREFIX)
    ? capitals.slice(NEGATIVE_PREFIX.length)
    : capitals.replace(/^负/, "");
  return `${NEGATIVE_PREFIX}${bare}`;
}

/**
 * What the 备注 says (DOMAIN.md §8): on a red invoice first
 * `被红冲蓝字数电发票号码：{number} 红字发票信息确认单编号：{no.}` — the 确认单 part only once its
 * number is known, the reason never — then the invoice's own remark. The XML's Remark is the same text.
 */
export function remarkText(doc: Pick<InvoiceDocument, "reverses" | "remark">): string {
  const parts: string[] = [];
  if (doc.reverses) {
    const confirmation = singleLine(doc.reverses.confirmationNumber);
    parts.push(
      `被红冲蓝字数电发票号码：${singleLine(doc.reverses.number)}` +
        (confirmation ? ` 红字发票信息确认单编号：${confirmation}` : ""),
    );
  }
  const remark = multiLine(doc.remark);
  if (remark) parts.push(remark);
  return parts.join("\n");
}

/** 免税 and 不征税 lines print their kind in 税率 and `***` in 税额 (DOMAIN.md §9). */
export function isTaxFreeKind(line: Pick<InvoiceDocumentLine, "zeroRateKind">): boolean {
  return line.zeroRateKind === "exempt" || line.zeroRateKind === "not_taxable";
}

/** What a line prints in each column besides its name and 金额. */
export interface PrintedCells {
  spec: string;
  unit: string;
  quantity: string;
  unitPrice: string;
  taxRate: string;
  tax: string;
}

/**
 * A discount line has no 规格型号, 单位, 数量 or 单价 (DOMAIN.md §9), whatever the caller passed:
 * those belong to the line it discounts.
 */
export function printedCells(line: InvoiceDocumentLine): PrintedCells {
  const discount = line.kind === "discount";
  return {
    spec: discount ? "" : singleLine(line.spec),
    unit: discount ? "" : singleLine(line.unit),
    quantity: discount ? "" : singleLine(line.quantity),
    unitPrice: discount ? "" : singleLine(line.unitPrice),
    taxRate: singleLine(line.taxRateLabel),
    tax: isTaxFreeKind(line) ? "***" : singleLine(line.tax),
  };
}
