import type { InvoiceDocument } from "./documents.types";
import {
  CAPITALS_ROW_HEIGHT,
  CELL_PADDING,
  CELL_STYLE,
  COLORS,
  COLUMN_X,
  COLUMNS,
  CONTINUATION_ROW_HEIGHT,
  FRAME_LEFT,
  FRAME_RIGHT,
  FRAME_WIDTH,
  type InvoiceLayout,
  type InvoicePage,
  LABEL_STYLE,
  SIDE_LABEL_WIDTH,
  TABLE_HEADER_HEIGHT,
  TOTAL_ROW_HEIGHT,
  VALUE_STYLE,
} from "./invoice-pdf-layout";
import { capitalsFor } from "./invoice-text";
import type { Align, PdfCanvas, StrokeStyle } from "./pdf-canvas";
import { singleLine } from "./text-sanitize";

/** The item table, the 合计 / 价税合计 / 备注 rows and the signature line under the frame. */

const INNER_LINE: StrokeStyle = { color: COLORS.frame, width: 0.75 };

function anchorX(left: number, width: number, align: Align): number {
  if (align === "left") return left + CELL_PADDING;
  if (align === "center") return left + width / 2;
  return left + width - CELL_PADDING;
}

/** Draws the column titles and this page's rows; returns the bottom of the item area. */
export function drawItemTable(canvas: PdfCanvas, page: InvoicePage, top: number): number {
  const titleMiddle = top + TABLE_HEADER_HEIGHT / 2;
  for (let index = 0; index < COLUMNS.length; index++) {
    const column = COLUMNS[index]!;
    canvas.textMiddle(column.title, COLUMN_X[index]! + column.width / 2, titleMiddle, LABEL_STYLE, "center");
  }
  const lineHeight = canvas.lineHeight(CELL_STYLE);
  let rowTop = top + TABLE_HEADER_HEIGHT;
  // Loops, not forEach: this runs for every cell, and a closure per row costs (tsx names each one).
  for (const row of page.rows) {
    for (let index = 0; index < row.cells.length; index++) {
      const lines = row.cells[index]!;
      const column = COLUMNS[index]!;
      const linesTop = rowTop + (row.height - lines.length * lineHeight) / 2;
      canvas.lines(
        lines,
        anchorX(COLUMN_X[index]!, column.width, column.align),
        linesTop,
        CELL_STYLE,
        column.align,
      );
    }
    rowTop += row.height;
  }
  return top + TABLE_HEADER_HEIGHT + page.bodyHeight;
}

export function drawContinuation(
  canvas: PdfCanvas,
  top: number,
  pageNumber: number,
  pageCount: number,
): number {
  canvas.textMiddle(
    `（续下页，第${pageNumber + 1}页/共${pageCount}页）`,
    FRAME_RIGHT - CELL_PADDING,
    top + CONTINUATION_ROW_HEIGHT / 2,
    { size: 8, color: COLORS.muted },
    "right",
  );
  return top + CONTINUATION_ROW_HEIGHT;
}

export function yuan(amount: string): string {
  return `¥${singleLine(amount)}`;
}

/** Draws a label stacked one character per line, centred in a narrow cell. */
export function drawVerticalLabel(
  canvas: PdfCanvas,
  label: string,
  left: number,
  top: number,
  height: number,
): void {
  const chars = [...label];
  const step = Math.min(13, (height - 8) / chars.length);
  const firstMiddle = top + height / 2 - (step * (chars.length - 1)) / 2;
  for (let index = 0; index < chars.length; index++) {
    canvas.textMiddle(
      chars[index]!,
      left + SIDE_LABEL_WIDTH / 2,
      firstMiddle + step * index,
      LABEL_STYLE,
      "center",
    );
  }
}

/** 合计, 价税合计 and 备注 under the last page's items; returns the frame's bottom. */
export function drawTotals(
  canvas: PdfCanvas,
  doc: InvoiceDocument,
  layout: InvoiceLayout,
  top: number,
): number {
  const amountIndex = COLUMNS.findIndex((column) => column.title === "金额");
  const taxIndex = COLUMNS.findIndex((column) => column.title === "税额");
  const totalMiddle = top + TOTAL_ROW_HEIGHT / 2;
  canvas.textMiddle("合　　计", COLUMN_X[0]! + COLUMNS[0]!.width / 2, totalMiddle, LABEL_STYLE, "center");
  const amountRight = COLUMN_X[amountIndex]! + COLUMNS[amountIndex]!.width - CELL_PADDING;
  canvas.textMiddle(yuan(doc.totals.amountExcludingTax), amountRight, totalMiddle, VALUE_STYLE, "right");
  const taxRight = COLUMN_X[taxIndex]! + COLUMNS[taxIndex]!.width - CELL_PADDING;
  canvas.textMiddle(yuan(doc.totals.taxAmount), taxRight, totalMiddle, VALUE_STYLE, "right");

  const capitalsTop = top + TOTAL_ROW_HEIGHT;
  const capitalsMiddle = capitalsTop + CAPITALS_ROW_HEIGHT / 2;
  const labelCellWidth = 130;
  canvas.line(FRAME_LEFT, capitalsTop, FRAME_RIGHT, capitalsTop, INNER_LINE);
  canvas.line(
    FRAME_LEFT + labelCellWidth,
    capitalsTop,
    FRAME_LEFT + labelCellWidth,
    capitalsTop + CAPITALS_ROW_HEIGHT,
    INNER_LINE,
  );
  canvas.textMiddle(
    "价税合计（大写）",
    FRAME_LEFT + labelCellWidth / 2,
    capitalsMiddle,
    LABEL_STYLE,
    "center",
  );
  const capitalsStyle = { size: 10, weight: "bold" as const, color: COLORS.value };
  canvas.textMiddle("⊗", FRAME_LEFT + labelCellWidth + 12, capitalsMiddle, {
    ...capitalsStyle,
    weight: "regular",
  });
  canvas.textMiddle(capitalsFor(doc), FRAME_LEFT + labelCellWidth + 28, capitalsMiddle, capitalsStyle);
  const figuresLabelX = FRAME_LEFT + FRAME_WIDTH * 0.68;
  canvas.textMiddle("（小写）", figuresLabelX, capitalsMiddle, LABEL_STYLE);
  const figuresX = figuresLabelX + canvas.measure("（小写）", LABEL_STYLE) + 4;
  canvas.textMiddle(yuan(doc.totals.totalAmount), figuresX, capitalsMiddle, capitalsStyle);

  const remarkTop = capitalsTop + CAPITALS_ROW_HEIGHT;
  canvas.line(FRAME_LEFT, remarkTop, FRAME_RIGHT, remarkTop, INNER_LINE);
  canvas.line(
    FRAME_LEFT + SIDE_LABEL_WIDTH,
    remarkTop,
    FRAME_LEFT + SIDE_LABEL_WIDTH,
    remarkTop + layout.remarkHeight,
    INNER_LINE,
  );
  drawVerticalLabel(canvas, "备注", FRAME_LEFT, remarkTop, layout.remarkHeight);
  canvas.lines(
    layout.remarkLines,
    FRAME_LEFT + SIDE_LABEL_WIDTH + CELL_PADDING + 3,
    remarkTop + 6,
    VALUE_STYLE,
  );
  return remarkTop + layout.remarkHeight;
}

/** 收款人 / 复核人 / 开票人 under the frame; the 数电 template only has 开票人, the others print when given. */
export function drawSignatures(canvas: PdfCanvas, doc: InvoiceDocument, frameBottom: number): void {
  const people: Array<[string, string | undefined]> = [
    ["收款人：", doc.payee],
    ["复核人：", doc.reviewer],
    ["开票人：", doc.drawer],
  ];
  let x = FRAME_LEFT + SIDE_LABEL_WIDTH + 8;
  const middle = frameBottom + 13;
  for (const [label, name] of people) {
    const value = singleLine(name);
    if (!value && label !== "开票人：") continue;
    canvas.textMiddle(label, x, middle, LABEL_STYLE);
    x += canvas.measure(label, LABEL_STYLE);
    canvas.textMiddle(value, x, middle, VALUE_STYLE);
    x += Math.max(canvas.measure(value, VALUE_STYLE), 60) + 40;
  }
}
