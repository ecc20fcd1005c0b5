import { chinaDateLabel } from "../../domain";
import type { InvoiceDocument } from "./documents.types";
import {
  CELL_PADDING,
  COLORS,
  FRAME_LEFT,
  FRAME_RIGHT,
  FRAME_TOP,
  FRAME_WIDTH,
  type InvoiceLayout,
  LABEL_STYLE,
  layoutInvoice,
  PAGE_HEIGHT,
  PAGE_WIDTH,
  PARTY_FIELD_GAP,
  type PartyField,
  partyContentHeight,
  SIDE_LABEL_WIDTH,
  tableTop,
  VALUE_STYLE,
} from "./invoice-pdf-layout";
import {
  drawContinuation,
  drawItemTable,
  drawSignatures,
  drawTotals,
  drawVerticalLabel,
} from "./invoice-pdf-table";
import { invoiceTitle } from "./invoice-text";
import { PdfCanvas, type PdfEngine, type StrokeStyle } from "./pdf-canvas";
import { TemplateSubset } from "./pdf-font-embed";
import { singleLine } from "./text-sanitize";
import { drawOutlinedMark } from "./watermark";

/**
 * The invoice PDF, after the official 数电票 template: QR and title on top, buyer and seller side by
 * side, the item table, then 合计 / 价税合计 / 备注 and the drawer. Long invoices continue over as many
 * pages as needed, each repeating the header, the parties and the column titles.
 */

export const SANDBOX_MARK = "沙箱测试发票 不具法律效力";
export const PREVIEW_MARK = "预览";

const OUTER_LINE: StrokeStyle = { color: COLORS.frame, width: 1.2 };
const INNER_LINE: StrokeStyle = { color: COLORS.frame, width: 0.75 };
const QR_SIZE = 78;
const HEADER_TOP = 24;

function drawMarks(canvas: PdfCanvas, doc: InvoiceDocument): void {
  const centerX = PAGE_WIDTH / 2;
  const centerY = PAGE_HEIGHT / 2 + 40;
  if (doc.mode === "preview") {
    drawOutlinedMark(canvas, PREVIEW_MARK, {
      centerX,
      centerY,
      size: 150,
      angle: 20,
      color: "#7A7A7A",
      opacity: 0.09,
    });
  } else if (doc.sandbox) {
    drawOutlinedMark(canvas, SANDBOX_MARK, {
      centerX,
      centerY,
      size: 50,
      angle: 20,
      color: COLORS.mark,
      opacity: 0.1,
    });
  }
}

function drawHeader(canvas: PdfCanvas, doc: InvoiceDocument, pageNumber: number, pageCount: number): void {
  if (doc.qrText && doc.mode === "issued") {
    canvas.qrCode(doc.qrText, FRAME_LEFT, HEADER_TOP, QR_SIZE);
  } else {
    canvas.rect(FRAME_LEFT, HEADER_TOP, QR_SIZE, QR_SIZE, { color: COLORS.muted, width: 0.6, dash: 3 });
    canvas.lines(
      ["开具后", "生成二维码"],
      FRAME_LEFT + QR_SIZE / 2,
      HEADER_TOP + 24,
      { size: 8, color: COLORS.muted },
      "center",
    );
  }

  const title = invoiceTitle(doc);
  const titleStyle = { size: 20, weight: "bold" as const, color: COLORS.label };
  const titleWidth = canvas.measure(title, titleStyle);
  const centerX = PAGE_WIDTH / 2;
  canvas.text(title, centerX, HEADER_TOP + 6, titleStyle, "center");
  const underlineY = HEADER_TOP + 40;
  const underlineStroke: StrokeStyle = { color: COLORS.label, width: 0.8 };
  canvas.line(
    centerX - titleWidth / 2 - 8,
    underlineY,
    centerX + titleWidth / 2 + 8,
    underlineY,
    underlineStroke,
  );
  canvas.line(
    centerX - titleWidth / 2 - 8,
    underlineY + 3,
    centerX + titleWidth / 2 + 8,
    underlineY + 3,
    underlineStroke,
  );
  if (doc.color === "red") {
    const stampLeft = centerX + titleWidth / 2 + 18;
    canvas.rect(stampLeft, HEADER_TOP + 8, 44, 24, { color: COLORS.mark, width: 1.5 });
    canvas.textMiddle(
      "红字",
      stampLeft + 22,
      HEADER_TOP + 20,
      { size: 13, weight: "bold", color: COLORS.mark },
      "center",
    );
  }

  const marks: string[] = [];
  if (doc.mode === "preview") marks.push("预览 · 非正式发票，仅供核对");
  if (doc.sandbox) marks.push(SANDBOX_MARK);
  if (marks.length > 0) {
    canvas.textMiddle(
      marks.join("　"),
      centerX,
      HEADER_TOP + 58,
      { size: 11, weight: "bold", color: COLORS.mark },
      "center",
    );
  }

  const labelX = FRAME_RIGHT - 196;
  const valueX = labelX + canvas.measure("发票号码：", LABEL_STYLE);
  const number = doc.mode === "preview" ? PREVIEW_MARK : singleLine(doc.number);
  canvas.textMiddle("发票号码：", labelX, HEADER_TOP + 22, LABEL_STYLE);
  canvas.textMiddle(number, valueX, HEADER_TOP + 22, { ...VALUE_STYLE, size: 10 });
  canvas.textMiddle("开票日期：", labelX, HEADER_TOP + 40, LABEL_STYLE);
  canvas.textMiddle(chinaDateLabel(doc.issuedAt), valueX, HEADER_TOP + 40, { ...VALUE_STYLE, size: 10 });
  canvas.textMiddle(`第${pageNumber}页/共${pageCount}页`, labelX, HEADER_TOP + 58, {
    size: 8,
    color: COLORS.muted,
  });
}

function drawParty(
  canvas: PdfCanvas,
  label: string,
  fields: PartyField[],
  left: number,
  height: number,
): void {
  const top = FRAME_TOP;
  canvas.line(left + SIDE_LABEL_WIDTH, top, left + SIDE_LABEL_WIDTH, top + height, INNER_LINE);
  drawVerticalLabel(canvas, label, left, top, height);
  const lineHeight = canvas.lineHeight(VALUE_STYLE);
  const x = left + SIDE_LABEL_WIDTH + CELL_PADDING + 3;
  let y = top + (height - partyContentHeight(canvas, fields)) / 2;
  for (const field of fields) {
    canvas.textMiddle(field.label, x, y + lineHeight / 2, LABEL_STYLE);
    canvas.lines(field.lines, x + canvas.measure(field.label, LABEL_STYLE), y, VALUE_STYLE);
    y += field.lines.length * lineHeight + PARTY_FIELD_GAP;
  }
}

function drawPage(canvas: PdfCanvas, doc: InvoiceDocument, layout: InvoiceLayout, index: number): void {
  const page = layout.pages[index]!;
  const pageCount = layout.pages.length;
  canvas.addPage(PAGE_WIDTH, PAGE_HEIGHT);
  drawMarks(canvas, doc);
  drawHeader(canvas, doc, index + 1, pageCount);

  const half = FRAME_LEFT + FRAME_WIDTH / 2;
  drawParty(canvas, "购买方信息", layout.buyer, FRAME_LEFT, layout.partyHeight);
  drawParty(canvas, "销售方信息", layout.seller, half, layout.partyHeight);
  const partyBottom = tableTop(layout.partyHeight);
  canvas.line(half, FRAME_TOP, half, partyBottom, INNER_LINE);
  canvas.line(FRAME_LEFT, partyBottom, FRAME_RIGHT, partyBottom, INNER_LINE);

  const itemsBottom = drawItemTable(canvas, page, partyBottom);
  let frameBottom: number;
  if (page.isLast) {
    frameBottom = drawTotals(canvas, doc, layout, itemsBottom);
    drawSignatures(canvas, doc, frameBottom);
  } else {
    frameBottom = drawContinuation(canvas, itemsBottom, index + 1, pageCount);
  }
  canvas.rect(FRAME_LEFT, FRAME_TOP, FRAME_WIDTH, frameBottom - FRAME_TOP, OUTER_LINE);
}

/**
 * The characters of the wording every issued invoice prints in the regular weight — labels, column
 * titles, page numbers — and of dates and figures. Any text made only of these is drawn with one
 * subset built once per process (see pdf-font-embed.ts), so each document's own subset holds just
 * its names and other free text. Wording printed only sometimes (收款人, 续下页, the red 备注, preview
 * notes) is left out: it would weigh down every file, and still prints, from the document's subset.
 */
export const TEMPLATE_CHARACTERS =
  "发票号码：开票日期：第页/共购买方信息销售方名称统一社会信用代码纳税人识别号地址、电话开户行及账" +
  "项目规格型单位数量价金额税率征收合　计（大写）⊗小备注" +
  "0123456789.-¥%年月日 ";

/** Renders the invoice (or its preview) as a PDF with embedded subsets of Noto Sans SC. */
export async function renderInvoicePdf(
  doc: InvoiceDocument,
  /** For tests: who writes the file, and at what zlib level its page content (see PdfCanvas). */
  options: { engine?: PdfEngine; contentLevel?: number } = {},
): Promise<Buffer> {
  const title =
    doc.mode === "preview" ? `${invoiceTitle(doc)} 预览` : `${invoiceTitle(doc)} ${singleLine(doc.number)}`;
  const templates = [TemplateSubset.of("regular", TEMPLATE_CHARACTERS)];
  const canvas = new PdfCanvas({ title, createdAt: doc.issuedAt, templates, ...options });
  const layout = layoutInvoice(canvas, doc);
  layout.pages.forEach((_, index) => {
    drawPage(canvas, doc, layout, index);
  });
  return canvas.finish();
}
