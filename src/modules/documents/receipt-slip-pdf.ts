import { chinaDateTime, chinaMinute } from "../../domain";
import type { ReceiptSlip, ReceiptSlipFormat } from "./documents.types";
import { PdfCanvas, type TextStyle } from "./pdf-canvas";
import { multiLine, singleLine } from "./text-sanitize";

/**
 * The slip an operator prints for a receipt code. Thermal rolls (58 mm, 80 mm) are continuous paper,
 * so their page is exactly as tall as the content; on A4 the slip is a centred column that continues
 * on further pages if a receipt has very many lines.
 *
 * The slip is laid out as a list of blocks measured first and drawn second.
 */

const MM = 72 / 25.4;

interface FormatSpec {
  pageWidth: number;
  /** Fixed page height (A4); thermal pages grow with their content. */
  pageHeight?: number;
  columnWidth: number;
  marginY: number;
  body: number;
  heading: number;
  qrSize: number;
  gap: number;
  /** Distance of a dashed cutting frame around the slip, on sheets only. */
  cutMargin?: number;
}

// Printable width is about 48 mm on 58 mm rolls and 72 mm on 80 mm rolls. The QR takes most of it:
// thermal printers at 203 dpi blur small modules, and a phone must read it from arm's length.
const FORMATS: Record<ReceiptSlipFormat, FormatSpec> = {
  "58mm": {
    pageWidth: 58 * MM,
    columnWidth: 48 * MM,
    marginY: 4 * MM,
    body: 8,
    heading: 11,
    qrSize: 42 * MM,
    gap: 5,
  },
  "80mm": {
    pageWidth: 80 * MM,
    columnWidth: 70 * MM,
    marginY: 4 * MM,
    body: 9,
    heading: 13,
    qrSize: 52 * MM,
    gap: 6,
  },
  A4: {
    pageWidth: 595.28,
    pageHeight: 841.89,
    columnWidth: 110 * MM,
    marginY: 20 * MM,
    body: 11,
    heading: 17,
    qrSize: 75 * MM,
    gap: 9,
    cutMargin: 10 * MM,
  },
};

/** Light modules around the symbol, inside `qrSize`; readers need a quiet zone to find the code. */
const QR_QUIET_ZONE = 2;

interface Block {
  height: number;
  draw(canvas: PdfCanvas, left: number, top: number): void;
}

function textBlock(
  canvas: PdfCanvas,
  text: string,
  width: number,
  style: TextStyle,
  align: "left" | "center",
): Block {
  const lines = canvas.wrap(text, width, style);
  return {
    height: lines.length * canvas.lineHeight(style),
    draw: (c, left, top) => c.lines(lines, align === "center" ? left + width / 2 : left, top, style, align),
  };
}

function gapBlock(height: number): Block {
  return { height, draw: () => {} };
}

function ruleBlock(width: number, gap: number): Block {
  return {
    height: gap * 2,
    draw: (c, left, top) =>
      c.line(left, top + gap, left + width, top + gap, { color: "#000000", width: 0.6, dash: 2 }),
  };
}

/** A label and its value on one line, or the value on its own full-width lines when it does not fit beside it. */
function pairBlock(canvas: PdfCanvas, label: string, value: string, width: number, style: TextStyle): Block {
  const labelWidth = canvas.measure(label, style);
  const lineHeight = canvas.lineHeight(style);
  if (canvas.measure(value, style) <= width - labelWidth) {
    return { height: lineHeight, draw: (c, left, top) => c.lines([label + value], left, top, style) };
  }
  const lines = canvas.wrap(value, width, style);
  return {
    height: (1 + lines.length) * lineHeight,
    draw: (c, left, top) => {
      c.lines([label], left, top, style);
      c.lines(lines, left, top + lineHeight, style);
    },
  };
}

function itemBlocks(canvas: PdfCanvas, slip: ReceiptSlip, spec: FormatSpec, style: TextStyle): Block[] {
  const width = spec.columnWidth;
  const quantityRight = width * 0.72;
  const nameWidth = width * 0.56;
  const header: Block = {
    height: canvas.lineHeight(style),
    draw: (c, left, top) => {
      const bold = { ...style, weight: "bold" as const };
      c.lines(["名称"], left, top, bold);
      c.lines(["数量"], left + quantityRight, top, bold, "right");
      c.lines(["金额"], left + width, top, bold, "right");
    },
  };
  const rows = slip.lines.map((line): Block => {
    const names = canvas.wrap(singleLine(line.name), nameWidth, style);
    const quantities = canvas.wrap(singleLine(line.quantity), width * 0.14, style);
    const amounts = canvas.wrap(singleLine(line.amount), width * 0.26, style);
    return {
      height: Math.max(1, names.length, quantities.length, amounts.length) * canvas.lineHeight(style),
      draw: (c, left, top) => {
        c.lines(names, left, top, style);
        c.lines(quantities, left + quantityRight, top, style, "right");
        c.lines(amounts, left + width, top, style, "right");
      },
    };
  });
  return [header, ...rows];
}

function slipBlocks(canvas: PdfCanvas, slip: ReceiptSlip, spec: FormatSpec): Block[] {
  const width = spec.columnWidth;
  const body: TextStyle = { size: spec.body };
  const bold: TextStyle = { size: spec.body, weight: "bold" };
  const heading: TextStyle = { size: spec.heading, weight: "bold" };
  const total = singleLine(slip.totalAmount);
  const totalStyle: TextStyle = { size: spec.body + 2, weight: "bold" };
  const blocks: Block[] = [
    textBlock(canvas, singleLine(slip.sellerName), width, heading, "center"),
    ruleBlock(width, spec.gap),
    pairBlock(canvas, "小票流水号：", singleLine(slip.serialNo), width, body),
    pairBlock(canvas, "时间：", chinaDateTime(slip.createdAt), width, body),
    ruleBlock(width, spec.gap),
    ...itemBlocks(canvas, slip, spec, body),
    ruleBlock(width, spec.gap),
    {
      height: canvas.lineHeight(totalStyle),
      draw: (c, left, top) => {
        c.lines(["合计"], left, top, totalStyle);
        c.lines([`¥${total}`], left + width, top, totalStyle, "right");
      },
    },
    ruleBlock(width, spec.gap),
  ];

  const url = slip.url;
  const caption: TextStyle = { size: spec.heading, weight: "bold" };
  const validity = slip.expiresAt ? `有效期至：${chinaMinute(slip.expiresAt)}` : "";
  // QR, call to action and validity form one block so that a page break never separates them.
  blocks.push({
    height: spec.qrSize + canvas.lineHeight(caption) + (validity ? canvas.lineHeight(body) : 0),
    draw: (c, left, top) => {
      c.qrCode(url, left + (width - spec.qrSize) / 2, top, spec.qrSize, { quietZone: QR_QUIET_ZONE });
      c.lines(["扫码开具电子发票"], left + width / 2, top + spec.qrSize, caption, "center");
      if (validity)
        c.lines([validity], left + width / 2, top + spec.qrSize + c.lineHeight(caption), bold, "center");
    },
  });

  const footer = multiLine(slip.footer);
  if (footer) {
    blocks.push(gapBlock(spec.gap), textBlock(canvas, footer, width, { size: spec.body - 0.5 }, "center"));
  }
  return blocks;
}

/** Renders the printable slip of a receipt code, with the QR of the consumer page. */
export async function renderReceiptSlipPdf(slip: ReceiptSlip, format: ReceiptSlipFormat): Promise<Buffer> {
  const spec = FORMATS[format];
  if (!spec) throw new RangeError(`documents: unknown slip format ${String(format)}`);
  const canvas = new PdfCanvas({ title: `小票 ${singleLine(slip.serialNo)}`, createdAt: slip.createdAt });
  const blocks = slipBlocks(canvas, slip, spec);
  const left = (spec.pageWidth - spec.columnWidth) / 2;
  const contentHeight = blocks.reduce((sum, block) => sum + block.height, 0);
  const pageHeight = spec.pageHeight ?? Math.ceil(contentHeight + 2 * spec.marginY);
  const bottom = pageHeight - spec.marginY;

  canvas.addPage(spec.pageWidth, pageHeight);
  let top = spec.marginY;
  let pages = 1;
  for (const block of blocks) {
    if (top + block.height > bottom && top > spec.marginY) {
      canvas.addPage(spec.pageWidth, pageHeight);
      top = spec.marginY;
      pages++;
    }
    block.draw(canvas, left, top);
    top += block.height;
  }
  if (spec.cutMargin && pages === 1) {
    // On a sheet the slip is usually cut out and stood on a counter: show where to cut.
    const m = spec.cutMargin;
    canvas.rect(left - m, spec.marginY - m, spec.columnWidth + 2 * m, contentHeight + 2 * m, {
      color: "#9A9A9A",
      width: 0.6,
      dash: 4,
    });
  }
  return canvas.finish();
}
