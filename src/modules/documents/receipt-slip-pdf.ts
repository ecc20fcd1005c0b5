import { chinaDateTime, chinaMinute, formatShortCode } from "../../domain";
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
  // Under the QR, the 开票码 and where to type it, for a QR that will not scan (smudged, faded).
  const shortCode = `开票码 ${formatShortCode(singleLine(slip.shortCode))}`;
  const typeAt = canvas.wrap(`无法扫码时，打开 ${typingPage(url)} 输入开票码`, width, body);
  const captionHeight = canvas.lineHeight(caption);
  // QR, code, call to action and validity form one block so that a page break never separates them.
  blocks.push({
    height:
      spec.qrSize +
      2 * captionHeight +
      typeAt.length * canvas.lineHeight(body) +
      (validity ? canvas.lineHeight(body) : 0),
    draw: (c, left, top) => {
      const centre = left + width / 2;
      let y = top;
      c.qrCode(url, left + (width - spec.qrSize) / 2, y, spec.qrSize, { quietZone: QR_QUIET_ZONE });
      y += spec.qrSize;
      c.lines([shortCode], centre, y, caption, "center");
      y += captionHeight;
      c.lines(["扫码开具电子发票"], centre, y, caption, "center");
      y += captionHeight;
      c.lines(typeAt, centre, y, body, "center");
      y += typeAt.length * c.lineHeight(body);
      if (validity) c.lines([validity], centre, y, bold, "center");
    },
  });

  const footer = multiLine(slip.footer);
  if (footer) {
    blocks.push(gapBlock(spec.gap), textBlock(canvas, footer, width, { size: spec.body - 0.5 }, "center"));
  }
  return blocks;
}

/** Where a 开票码 is typed: the consumer page's `/s` on the QR's host ("piaoma.example.com/s"). */
function typingPage(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}/s`;
  } catch {
    return "/s";
  }
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

/** A 门店码 card: one static QR per store or table, stood on a counter or a table. */
export interface StoreCard {
  sellerName: string;
  storeName: string;
  /** The store code's consumer page (`/m/{token}`). */
  url: string;
}

/** A6 (105 × 148 mm): a card for a table stand or a counter, cut along the printed frame from A4. */
const A6: FormatSpec = {
  pageWidth: 105 * MM,
  pageHeight: 148 * MM,
  columnWidth: 85 * MM,
  marginY: 10 * MM,
  body: 10,
  heading: 15,
  qrSize: 62 * MM,
  gap: 6,
};

/** The card's short instructions, under 扫码开票. */
export const STORE_CARD_STEPS = [
  "1. 微信或支付宝扫描二维码",
  "2. 填写发票抬头（及消费金额、小票号）",
  "3. 商家匹配订单后开具，发票发送至您的邮箱或手机",
];

/** Renders a 门店码 card (A6): seller, store, the QR of its page, 扫码开票 and the short instructions. */
export async function renderStoreCardPdf(card: StoreCard, createdAt: Date): Promise<Buffer> {
  const spec = A6;
  const canvas = new PdfCanvas({ title: `门店码 ${singleLine(card.storeName)}`, createdAt });
  const width = spec.columnWidth;
  const body: TextStyle = { size: spec.body };
  const heading: TextStyle = { size: spec.heading, weight: "bold" };
  const call: TextStyle = { size: spec.heading + 5, weight: "bold" };
  const blocks: Block[] = [
    textBlock(canvas, singleLine(card.sellerName), width, heading, "center"),
    gapBlock(spec.gap / 2),
    textBlock(canvas, singleLine(card.storeName), width, { size: spec.body + 2 }, "center"),
    gapBlock(spec.gap),
    {
      height: spec.qrSize,
      draw: (c, left, top) =>
        c.qrCode(card.url, left + (width - spec.qrSize) / 2, top, spec.qrSize, { quietZone: QR_QUIET_ZONE }),
    },
    gapBlock(spec.gap),
    textBlock(canvas, "扫码开票", width, call, "center"),
    gapBlock(spec.gap),
    ...STORE_CARD_STEPS.map((step) => textBlock(canvas, step, width, body, "left")),
  ];
  const left = (spec.pageWidth - width) / 2;
  canvas.addPage(spec.pageWidth, spec.pageHeight!);
  const contentHeight = blocks.reduce((sum, block) => sum + block.height, 0);
  let top = Math.max(spec.marginY, (spec.pageHeight! - contentHeight) / 2);
  for (const block of blocks) {
    block.draw(canvas, left, top);
    top += block.height;
  }
  return canvas.finish();
}

/** Slips side by side on A4 sheets (批量打印): two columns of 105 mm, as many down as fit. */
const SHEET = {
  pageWidth: 595.28,
  pageHeight: 841.89,
  columns: 2,
  marginY: 8 * MM,
  /** Between the slip's text and its dashed cutting frame. */
  cutMargin: 4 * MM,
  /** Between two frames in a column. */
  spacing: 3 * MM,
  // Smaller than a single A4 slip, so that two slips of a usual receipt fit one above the other; a
  // laser printer's QR of 38 mm still reads from arm's length.
  spec: {
    pageWidth: 105 * MM,
    columnWidth: 84 * MM,
    marginY: 0,
    body: 8,
    heading: 12,
    qrSize: 38 * MM,
    gap: 4,
  } satisfies FormatSpec,
};

/**
 * Several receipt codes' slips on A4 sheets, each in its dashed cutting frame, laid down two columns
 * and onto further sheets: a slip goes whole into the next column that has room for it. A slip too
 * tall for a whole column (a receipt of very many lines) flows on over the columns, block by block
 * as on a single A4 slip, without a frame.
 */
export async function renderReceiptSlipSheetPdf(slips: readonly ReceiptSlip[]): Promise<Buffer> {
  if (slips.length === 0) throw new RangeError("documents: no slips to put on a sheet");
  const { spec } = SHEET;
  const canvas = new PdfCanvas({ title: `小票 ${slips.length} 张`, createdAt: slips[0]!.createdAt });
  const first = SHEET.marginY;
  const bottom = SHEET.pageHeight - SHEET.marginY;
  let column = 0;
  let top = first;
  canvas.addPage(SHEET.pageWidth, SHEET.pageHeight);
  const nextColumn = () => {
    column++;
    top = first;
    if (column === SHEET.columns) {
      canvas.addPage(SHEET.pageWidth, SHEET.pageHeight);
      column = 0;
    }
  };
  const leftOf = () => column * spec.pageWidth + (spec.pageWidth - spec.columnWidth) / 2;

  for (const slip of slips) {
    const blocks = slipBlocks(canvas, slip, spec);
    const height = blocks.reduce((sum, block) => sum + block.height, 0);
    const framed = height + 2 * SHEET.cutMargin;
    if (top + framed > bottom && top > first) nextColumn();
    if (framed <= bottom - first) {
      const left = leftOf();
      let y = top + SHEET.cutMargin;
      for (const block of blocks) {
        block.draw(canvas, left, y);
        y += block.height;
      }
      canvas.rect(left - SHEET.cutMargin, top, spec.columnWidth + 2 * SHEET.cutMargin, framed, {
        color: "#9A9A9A",
        width: 0.6,
        dash: 4,
      });
      top += framed + SHEET.spacing;
    } else {
      for (const block of blocks) {
        if (top + block.height > bottom && top > first) nextColumn();
        block.draw(canvas, leftOf(), top);
        top += block.height;
      }
      top += SHEET.spacing;
    }
  }
  return canvas.finish();
}
