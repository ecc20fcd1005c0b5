import type { InvoiceDocument, InvoiceDocumentLine, PartyInfo } from "./documents.types";
import { type PrintedCells, printedCells, remarkText } from "./invoice-text";
import type { Align, PdfCanvas, TextStyle } from "./pdf-canvas";
import { singleLine } from "./text-sanitize";

/**
 * Geometry of the invoice page and the measuring pass: every wrapped cell, the height of every row
 * and which rows go on which page, all decided before anything is drawn so that each page can say
 * "page x of y" and the totals never split from the last lines.
 */

// A4 landscape, in points.
export const PAGE_WIDTH = 841.89;
export const PAGE_HEIGHT = 595.28;

export const FRAME_LEFT = 36;
export const FRAME_RIGHT = PAGE_WIDTH - 36;
export const FRAME_WIDTH = FRAME_RIGHT - FRAME_LEFT;
export const FRAME_TOP = 114;
/** Lowest point anything may reach, the drawer line under the frame included. */
const CONTENT_BOTTOM = PAGE_HEIGHT - 22;

/** Width of the narrow cells holding vertical labels (购买方信息, 备注). */
export const SIDE_LABEL_WIDTH = 24;
export const CELL_PADDING = 5;

export const TABLE_HEADER_HEIGHT = 22;
const MIN_ROW_HEIGHT = 18;
const ROW_PADDING = 6;
export const TOTAL_ROW_HEIGHT = 22;
export const CAPITALS_ROW_HEIGHT = 28;
export const CONTINUATION_ROW_HEIGHT = 18;
export const DRAWER_LINE_HEIGHT = 22;
const MIN_PARTY_HEIGHT = 72;
const MIN_REMARK_HEIGHT = 52;
/** On the last page the item area is at least this tall, as on the paper-like official template. */
const MIN_LAST_BODY_HEIGHT = 150;

export const COLORS = {
  frame: "#A0522D",
  label: "#9A4A28",
  value: "#111111",
  mark: "#D0021B",
  muted: "#6B6B6B",
} as const;

export const LABEL_STYLE: TextStyle = { size: 9, color: COLORS.label };
export const VALUE_STYLE: TextStyle = { size: 9, color: COLORS.value };
export const CELL_STYLE: TextStyle = { size: 8.5, color: COLORS.value };

export interface Column {
  title: string;
  width: number;
  align: Align;
  /** The cell's text; `cells` is what the line prints (a discount line leaves 规格型号…单价 blank). */
  value(line: InvoiceDocumentLine, cells: PrintedCells): string | undefined;
}

export const COLUMNS: Column[] = [
  { title: "项目名称", width: 226, align: "left", value: (line) => line.itemName },
  { title: "规格型号", width: 92, align: "left", value: (_, cells) => cells.spec },
  { title: "单位", width: 46, align: "center", value: (_, cells) => cells.unit },
  { title: "数量", width: 82, align: "right", value: (_, cells) => cells.quantity },
  { title: "单价", width: 98, align: "right", value: (_, cells) => cells.unitPrice },
  { title: "金额", width: 98, align: "right", value: (line) => line.amount },
  { title: "税率/征收率", width: 62, align: "center", value: (_, cells) => cells.taxRate },
  { title: "税额", width: FRAME_WIDTH - 704, align: "right", value: (_, cells) => cells.tax },
];

/** Left edge of each column. */
export const COLUMN_X: number[] = [];
for (let x = FRAME_LEFT, index = 0; index < COLUMNS.length; x += COLUMNS[index]!.width, index++)
  COLUMN_X.push(x);

export interface PartyField {
  label: string;
  lines: string[];
}

export interface TableRow {
  /** Wrapped lines of each column. */
  cells: string[][];
  height: number;
}

export interface InvoicePage {
  rows: TableRow[];
  isLast: boolean;
  /** Height of the item area under the column titles. */
  bodyHeight: number;
}

export interface InvoiceLayout {
  buyer: PartyField[];
  seller: PartyField[];
  partyHeight: number;
  pages: InvoicePage[];
  remarkLines: string[];
  remarkHeight: number;
}

const PARTY_HALF = FRAME_WIDTH / 2;
/** Room for a party's field lines: its half minus the label column and padding on both sides. */
export const PARTY_FIELD_WIDTH = PARTY_HALF - SIDE_LABEL_WIDTH - 2 * (CELL_PADDING + 3);
export const PARTY_FIELD_GAP = 4;
export const REMARK_TEXT_WIDTH = FRAME_WIDTH - SIDE_LABEL_WIDTH - 2 * (CELL_PADDING + 3);

function joined(...parts: Array<string | undefined>): string {
  return parts
    .map((part) => singleLine(part))
    .filter(Boolean)
    .join(" ");
}

function partyFields(canvas: PdfCanvas, party: PartyInfo): PartyField[] {
  const fields: Array<{ label: string; value: string; maxLines: number }> = [
    { label: "名称：", value: singleLine(party.name), maxLines: 3 },
    { label: "统一社会信用代码/纳税人识别号：", value: singleLine(party.taxId), maxLines: 1 },
  ];
  const addressPhone = joined(party.address, party.phone);
  if (addressPhone) fields.push({ label: "地址、电话：", value: addressPhone, maxLines: 2 });
  const bank = joined(party.bankName, party.bankAccount);
  if (bank) fields.push({ label: "开户行及账号：", value: bank, maxLines: 2 });
  return fields.map(({ label, value, maxLines }) => {
    const width = PARTY_FIELD_WIDTH - canvas.measure(label, LABEL_STYLE);
    const lines = canvas.wrap(value, width, VALUE_STYLE, maxLines);
    return { label, lines: lines.length > 0 ? lines : [""] };
  });
}

export function partyContentHeight(canvas: PdfCanvas, fields: PartyField[]): number {
  const lineHeight = canvas.lineHeight(VALUE_STYLE);
  const lines = fields.reduce((sum, field) => sum + field.lines.length, 0);
  return lines * lineHeight + (fields.length - 1) * PARTY_FIELD_GAP;
}

function tableRow(canvas: PdfCanvas, line: InvoiceDocumentLine): TableRow {
  const printed = printedCells(line);
  const cells = COLUMNS.map((column) => {
    const text = singleLine(column.value(line, printed));
    return canvas.wrap(text, column.width - 2 * CELL_PADDING, CELL_STYLE, 8);
  });
  const lineCount = Math.max(1, ...cells.map((cell) => cell.length));
  return { cells, height: Math.max(MIN_ROW_HEIGHT, lineCount * canvas.lineHeight(CELL_STYLE) + ROW_PADDING) };
}

/** The table's top edge, just under the parties block of the given height. */
export function tableTop(partyHeight: number): number {
  return FRAME_TOP + partyHeight;
}

function paginate(rows: TableRow[], capacity: number, footerHeight: number): InvoicePage[] {
  const pages: InvoicePage[] = [];
  let current: TableRow[] = [];
  let used = 0;
  rows.forEach((row, index) => {
    const isLastRow = index === rows.length - 1;
    // Every page but the last keeps room for its "continued" row; the last keeps room for the totals.
    const room = isLastRow ? capacity - footerHeight : capacity - CONTINUATION_ROW_HEIGHT;
    if (current.length > 0 && used + row.height > room) {
      pages.push({ rows: current, isLast: false, bodyHeight: used });
      current = [];
      used = 0;
    }
    current.push(row);
    used += row.height;
  });
  const lastBody = Math.max(used, Math.min(MIN_LAST_BODY_HEIGHT, capacity - footerHeight));
  pages.push({ rows: current, isLast: true, bodyHeight: lastBody });
  return pages;
}

export function layoutInvoice(canvas: PdfCanvas, doc: InvoiceDocument): InvoiceLayout {
  const buyer = partyFields(canvas, doc.buyer);
  const seller = partyFields(canvas, doc.seller);
  const partyHeight = Math.max(
    MIN_PARTY_HEIGHT,
    partyContentHeight(canvas, buyer) + 16,
    partyContentHeight(canvas, seller) + 16,
  );
  const remarkLines = canvas.wrap(remarkText(doc), REMARK_TEXT_WIDTH, VALUE_STYLE, 6);
  const remarkHeight = Math.max(MIN_REMARK_HEIGHT, remarkLines.length * canvas.lineHeight(VALUE_STYLE) + 12);
  const capacity = CONTENT_BOTTOM - tableTop(partyHeight) - TABLE_HEADER_HEIGHT;
  const footerHeight = TOTAL_ROW_HEIGHT + CAPITALS_ROW_HEIGHT + remarkHeight + DRAWER_LINE_HEIGHT;
  const rows = doc.lines.map((line) => tableRow(canvas, line));
  return {
    buyer,
    seller,
    partyHeight,
    pages: paginate(rows, capacity, footerHeight),
    remarkLines,
    remarkHeight,
  };
}
