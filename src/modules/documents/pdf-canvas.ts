import PDFDocument from "pdfkit";
import { emWidth, type FontWeight, getFont } from "./pdf-fonts";
import { drawQrCode } from "./qr-vector";
import { clampLines, wrapText } from "./text-wrap";

export interface TextStyle {
  size: number;
  weight?: FontWeight;
  color?: string;
}

export type Align = "left" | "center" | "right";

export interface StrokeStyle {
  color: string;
  width?: number;
  dash?: number;
}

/** Where pdfkit puts a line's top relative to the visual middle of CJK and digits: ascent 1.16 em minus 0.38 em. */
const MIDDLE_FROM_TOP = 0.78;
/** Distance between wrapped lines, in em. */
export const LINE_SPACING = 1.3;

/**
 * A thin layer over pdfkit: text placed by its top, middle or anchor with widths we can compute
 * before drawing, the document's fonts registered, and the bytes collected. It also skips redundant
 * font and colour changes, which pdfkit would otherwise write into the page for every cell.
 */
export class PdfCanvas {
  readonly doc: PDFKit.PDFDocument;
  private readonly bytes: Promise<Buffer>;
  private weight: FontWeight | undefined;
  private size = 0;
  private color = "";

  constructor(info: { title: string; createdAt: Date }) {
    this.doc = new PDFDocument({
      autoFirstPage: false,
      compress: true,
      // No default font: pdfkit would parse Helvetica's metrics for every document, and we never use it.
      font: "",
      lang: "zh-CN",
      displayTitle: true,
      info: { Title: info.title, Author: "Piaoma", Creator: "Piaoma", CreationDate: info.createdAt },
    });
    const chunks: Buffer[] = [];
    this.doc.on("data", (chunk: Buffer) => chunks.push(chunk));
    this.bytes = new Promise((resolve, reject) => {
      this.doc.on("end", () => resolve(Buffer.concat(chunks)));
      this.doc.on("error", reject);
    });
    // pdfkit's typings only know file names and bytes; 0.20 also takes a parsed fontkit font.
    this.doc.registerFont("regular", getFont("regular").pdfkitFont as unknown as Buffer);
    this.doc.registerFont("bold", getFont("bold").pdfkitFont as unknown as Buffer);
  }

  addPage(width: number, height: number): void {
    this.doc.addPage({ size: [width, height], margin: 0 });
    // A new page starts a new content stream, with pdfkit's defaults.
    this.weight = undefined;
    this.color = "";
  }

  finish(): Promise<Buffer> {
    this.doc.end();
    return this.bytes;
  }

  measure(text: string, style: TextStyle): number {
    return emWidth(style.weight ?? "regular", text) * style.size;
  }

  wrap(text: string, width: number, style: TextStyle, maxLines = Number.POSITIVE_INFINITY): string[] {
    const measure = (piece: string) => this.measure(piece, style);
    const lines = wrapText(text, width, measure);
    return Number.isFinite(maxLines) ? clampLines(lines, maxLines, width, measure) : lines;
  }

  lineHeight(style: TextStyle): number {
    return style.size * LINE_SPACING;
  }

  /** One line of text whose box starts at `top`; `x` is the left edge, centre or right edge per `align`. */
  text(text: string, x: number, top: number, style: TextStyle, align: Align = "left"): void {
    if (!text) return;
    this.apply(style);
    const width = align === "left" ? 0 : this.measure(text, style);
    const left = align === "left" ? x : align === "center" ? x - width / 2 : x - width;
    this.doc.text(text, left, top, { lineBreak: false });
  }

  /** One line of text centred vertically on `middle`. */
  textMiddle(text: string, x: number, middle: number, style: TextStyle, align: Align = "left"): void {
    this.text(text, x, middle - style.size * MIDDLE_FROM_TOP, style, align);
  }

  /** Lines stacked from `top`, each `lineHeight` apart and vertically centred in its slot. */
  lines(lines: string[], x: number, top: number, style: TextStyle, align: Align = "left"): void {
    const step = this.lineHeight(style);
    lines.forEach((line, index) => {
      this.textMiddle(line, x, top + step * index + step / 2, style, align);
    });
  }

  line(x1: number, y1: number, x2: number, y2: number, stroke: StrokeStyle): void {
    const doc = this.doc
      .moveTo(x1, y1)
      .lineTo(x2, y2)
      .lineWidth(stroke.width ?? 0.75);
    if (stroke.dash) doc.dash(stroke.dash, { space: stroke.dash });
    doc.stroke(stroke.color);
    if (stroke.dash) doc.undash();
  }

  rect(x: number, y: number, width: number, height: number, stroke: StrokeStyle): void {
    const doc = this.doc.rect(x, y, width, height).lineWidth(stroke.width ?? 0.75);
    if (stroke.dash) doc.dash(stroke.dash, { space: stroke.dash });
    doc.stroke(stroke.color);
    if (stroke.dash) doc.undash();
  }

  /** A QR code as vector modules; see drawQrCode. */
  qrCode(text: string, x: number, y: number, size: number, options: { quietZone?: number } = {}): void {
    drawQrCode(this.doc, text, x, y, size, options);
    // Filling the modules changed the fill colour behind our back.
    this.color = "";
  }

  private apply(style: TextStyle): void {
    const weight = style.weight ?? "regular";
    if (weight !== this.weight || style.size !== this.size) {
      this.doc.font(weight, style.size);
      this.weight = weight;
      this.size = style.size;
    }
    const color = style.color ?? "#000000";
    if (color !== this.color) {
      this.doc.fillColor(color);
      this.color = color;
    }
  }
}
