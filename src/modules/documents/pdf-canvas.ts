import PDFDocument from "pdfkit";
import { DocumentFonts, type FontSlot, type TemplateSubset } from "./pdf-font-embed";
import { emWidth, type FontWeight } from "./pdf-fonts";
import { type PdfDocumentLike, type PdfRef, PdfWriter } from "./pdf-writer";
import { qrPath } from "./qr-vector";
import { clampLines, type MeasureText, wrapText } from "./text-wrap";

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

/** Where a line's top is relative to the visual middle of CJK and digits: ascent 1.16 em minus 0.38 em. */
const MIDDLE_FROM_TOP = 0.78;
/** Distance between wrapped lines, in em. */
export const LINE_SPACING = 1.3;

/** Who writes the file structure: our PdfWriter, or pdfkit (same bytes; kept as the tests' reference). */
export type PdfEngine = "writer" | "pdfkit";

/**
 * zlib level of page content. Level 1 deflates an invoice page (about 10 KB of operators) in about
 * 45 µs instead of about 130 µs at zlib's default, for about 300 more bytes per page (measured in
 * issue 23; the default is 6).
 */
export const PAGE_CONTENT_LEVEL = 1;

/** A form XObject the canvas can paint: built once per document, on first use. */
export interface FormSource {
  /** Identifies the form within a document. */
  key: string;
  create(doc: PdfDocumentLike): PdfRef;
}

/** A number as written in content streams: at most four decimals, no exponent. */
export function pdfNumber(value: number): string {
  return String(Math.round(value * 10000) / 10000);
}

/** Width measurers by style: styles are constants, and wrapping every cell would make one each time. */
const measurers = new WeakMap<TextStyle, MeasureText>();

function measurerOf(style: TextStyle): MeasureText {
  let measure = measurers.get(style);
  if (!measure) {
    measure = (piece: string) => emWidth(style.weight ?? "regular", piece) * style.size;
    measurers.set(style, measure);
  }
  return measure;
}

const colors = new Map<string, string>();

/** `#RRGGBB` as the three components of a DeviceRGB colour. */
function rgb(color: string): string {
  let out = colors.get(color);
  if (out === undefined) {
    if (!/^#[0-9a-fA-F]{6}$/.test(color)) throw new RangeError(`documents: not a #RRGGBB colour: ${color}`);
    const value = Number.parseInt(color.slice(1), 16);
    out = [value >> 16, (value >> 8) & 0xff, value & 0xff].map((c) => pdfNumber(c / 255)).join(" ");
    colors.set(color, out);
  }
  return out;
}

/**
 * What our documents draw: text placed by its top, middle or anchor
 * with widths we can compute before drawing, lines, rectangles, QR codes and form XObjects.
 *
 * PdfWriter (pdf-writer.ts) writes the file structure (objects, pages, info, cross-reference table)
 * as pdfkit did, byte for byte, at a fraction of its cost; the page content is written here directly
 * as PDF operators, one string per page. pdfkit's own text and path calls
 * cost far more per call than what they write (every text in its own q/BT/ET/Q with the colour
 * and font set again), and rendering is on the issuing path. Unchanged state — font, size, colours,
 * line width, dash — is not written again; consecutive texts share one text object.
 *
 * Coordinates are pdfkit's: points, origin at the top left, y growing downwards (pdfkit starts each
 * page's content with the matrix that flips PDF's y axis). Text is positioned with a text matrix
 * that flips it back upright.
 */
export class PdfCanvas {
  private readonly doc: PdfDocumentLike;
  /** pdfkit's output, when the canvas writes through pdfkit (the reference PdfWriter is tested against). */
  private readonly pdfkitBytes: Promise<Buffer> | undefined;
  private readonly fonts: DocumentFonts;
  private readonly forms = new Map<string, { name: string; ref: PdfRef }>();
  private readonly opacities = new Map<number, { name: string; ref: PdfRef }>();
  /** The current page's content, and what its graphics state is known to be (empty: unknown). */
  private ops: string[] = [];
  /** The last QR code drawn, as operators. */
  private qr: { text: string; count: number; path: string } | undefined;
  private hasPage = false;
  private pageResources = new Set<string>();
  private inText = false;
  private font: FontSlot | undefined;
  private fontSize = 0;
  private fillColor = "";
  private strokeColor = "";
  private lineWidth = -1;
  private dash = -1;

  /**
   * `templates`: fixed character sets whose subsets are built once per process; characters found
   * there are drawn from them, the others from the document's own subsets (pdf-font-embed.ts).
   */
  constructor(info: {
    title: string;
    createdAt: Date;
    templates?: readonly TemplateSubset[];
    /** `pdfkit`: write the file through pdfkit instead of PdfWriter (tests compare the two). */
    engine?: PdfEngine;
    /** zlib level of page content with PdfWriter (pdfkit always uses zlib's default). */
    contentLevel?: number;
  }) {
    const fileInfo = { Title: info.title, Author: "Piaoma", Creator: "Piaoma", CreationDate: info.createdAt };
    if (info.engine === "pdfkit") {
      const doc = new PDFDocument({
        autoFirstPage: false,
        compress: true,
        // No default font: pdfkit would parse Helvetica's metrics for every document, and we never use it.
        font: "",
        lang: "zh-CN",
        displayTitle: true,
        info: fileInfo,
      });
      const chunks: Buffer[] = [];
      doc.on("data", (chunk: Buffer) => chunks.push(chunk));
      this.pdfkitBytes = new Promise((resolve, reject) => {
        doc.on("end", () => resolve(Buffer.concat(chunks)));
        doc.on("error", reject);
      });
      this.doc = doc as unknown as PdfDocumentLike;
    } else {
      this.doc = new PdfWriter({
        lang: "zh-CN",
        info: fileInfo,
        level: info.contentLevel ?? PAGE_CONTENT_LEVEL,
      });
    }
    this.fonts = new DocumentFonts(this.doc, info.templates);
  }

  addPage(width: number, height: number): void {
    this.flushPage();
    this.doc.addPage({ size: [width, height], margin: 0 });
    this.hasPage = true;
    // A new page starts a new content stream, in the default graphics state.
    this.pageResources = new Set();
    this.font = undefined;
    this.fontSize = 0;
    this.fillColor = "";
    this.strokeColor = "";
    this.lineWidth = -1;
    this.dash = -1;
  }

  finish(): Promise<Buffer> {
    this.flushPage();
    this.fonts.embed();
    for (const { ref } of this.opacities.values()) ref.end(undefined);
    if (this.doc instanceof PdfWriter) return Promise.resolve(this.doc.end());
    (this.doc as unknown as PDFKit.PDFDocument).end();
    return this.pdfkitBytes!;
  }

  measure(text: string, style: TextStyle): number {
    return emWidth(style.weight ?? "regular", text) * style.size;
  }

  wrap(text: string, width: number, style: TextStyle, maxLines = Number.POSITIVE_INFINITY): string[] {
    const measure = measurerOf(style);
    const lines = wrapText(text, width, measure);
    return Number.isFinite(maxLines) ? clampLines(lines, maxLines, width, measure) : lines;
  }

  lineHeight(style: TextStyle): number {
    return style.size * LINE_SPACING;
  }

  /** One line of text whose box starts at `top`; `x` is the left edge, centre or right edge per `align`. */
  text(text: string, x: number, top: number, style: TextStyle, align: Align = "left"): void {
    if (!text) return;
    const runs = this.fonts.show(style.weight ?? "regular", text);
    const width = align === "left" ? 0 : this.measure(text, style);
    const left = align === "left" ? x : align === "center" ? x - width / 2 : x - width;
    if (!this.inText) {
      this.ops.push("BT");
      this.inText = true;
    }
    this.setFill(style.color ?? "#000000");
    // y-down page space: the text matrix flips glyphs upright, its origin is the baseline (all runs
    // are of one weight, so of one ascent).
    const baseline = top + runs[0]!.font.ascent * style.size;
    this.ops.push(`1 0 0 -1 ${pdfNumber(left)} ${pdfNumber(baseline)} Tm`);
    // Each run starts where the previous one ended (showing text advances the text matrix).
    for (const { font, hex } of runs) {
      if (font !== this.font || style.size !== this.fontSize) {
        this.addResource("Font", font.resourceName, font.ref);
        this.ops.push(`/${font.resourceName} ${pdfNumber(style.size)} Tf`);
        this.font = font;
        this.fontSize = style.size;
      }
      this.ops.push(`<${hex}> Tj`);
    }
  }

  /** One line of text centred vertically on `middle`. */
  textMiddle(text: string, x: number, middle: number, style: TextStyle, align: Align = "left"): void {
    this.text(text, x, middle - style.size * MIDDLE_FROM_TOP, style, align);
  }

  /** Lines stacked from `top`, each `lineHeight` apart and vertically centred in its slot. */
  lines(lines: string[], x: number, top: number, style: TextStyle, align: Align = "left"): void {
    const step = this.lineHeight(style);
    // A loop, not forEach: a closure per call costs more than the call (tsx names every function).
    for (let index = 0; index < lines.length; index++) {
      this.textMiddle(lines[index]!, x, top + step * index + step / 2, style, align);
    }
  }

  line(x1: number, y1: number, x2: number, y2: number, stroke: StrokeStyle): void {
    this.graphics();
    this.setStroke(stroke);
    this.ops.push(`${pdfNumber(x1)} ${pdfNumber(y1)} m ${pdfNumber(x2)} ${pdfNumber(y2)} l S`);
  }

  rect(x: number, y: number, width: number, height: number, stroke: StrokeStyle): void {
    this.graphics();
    this.setStroke(stroke);
    this.ops.push(`${pdfNumber(x)} ${pdfNumber(y)} ${pdfNumber(width)} ${pdfNumber(height)} re S`);
  }

  /**
   * A QR code as filled vector modules, black. `size` is the side of the symbol including
   * `quietZone` light modules on each side (left unpainted: put the code on a light background).
   */
  qrCode(text: string, x: number, y: number, size: number, options: { quietZone?: number } = {}): void {
    const quietZone = options.quietZone ?? 0;
    // Every page of a long invoice repeats the same code: it is computed once per document.
    if (this.qr?.text !== text) this.qr = { text, ...qrPath(text) };
    const { count, path } = this.qr;
    const module = size / (count + 2 * quietZone);
    const origin = quietZone * module;
    this.graphics();
    // In its own graphics state, scaled so that one module is one unit.
    this.ops.push(
      "q",
      "0 0 0 rg",
      `${pdfNumber(module)} 0 0 ${pdfNumber(module)} ${pdfNumber(x + origin)} ${pdfNumber(y + origin)} cm`,
      path,
      "f",
      "Q",
    );
  }

  /**
   * Paints a form XObject through `matrix` (concatenated to the page's y-down space), filled with
   * `color` at `opacity`, in its own graphics state.
   */
  form(source: FormSource, matrix: number[][], fill: { color: string; opacity: number }): void {
    let form = this.forms.get(source.key);
    if (!form) {
      form = { name: `X${this.forms.size + 1}`, ref: source.create(this.doc) };
      this.forms.set(source.key, form);
    }
    let gs = this.opacities.get(fill.opacity);
    if (!gs) {
      gs = {
        name: `G${this.opacities.size + 1}`,
        ref: this.doc.ref({ Type: "ExtGState", ca: fill.opacity }),
      };
      this.opacities.set(fill.opacity, gs);
    }
    this.graphics();
    this.addResource("XObject", form.name, form.ref);
    this.addResource("ExtGState", gs.name, gs.ref);
    this.ops.push("q", `/${gs.name} gs`, `${rgb(fill.color)} rg`);
    for (const m of matrix) this.ops.push(`${m.map(pdfNumber).join(" ")} cm`);
    this.ops.push(`/${form.name} Do`, "Q");
  }

  /** Leaves the text object, if in one: path operators may not appear inside it. */
  private graphics(): void {
    if (this.inText) {
      this.ops.push("ET");
      this.inText = false;
    }
  }

  private setFill(color: string): void {
    if (color !== this.fillColor) {
      this.ops.push(`${rgb(color)} rg`);
      this.fillColor = color;
    }
  }

  private setStroke(stroke: StrokeStyle): void {
    const width = stroke.width ?? 0.75;
    if (width !== this.lineWidth) {
      this.ops.push(`${pdfNumber(width)} w`);
      this.lineWidth = width;
    }
    const dash = stroke.dash ?? 0;
    if (dash !== this.dash) {
      this.ops.push(dash ? `[${pdfNumber(dash)} ${pdfNumber(dash)}] 0 d` : "[] 0 d");
      this.dash = dash;
    }
    if (stroke.color !== this.strokeColor) {
      this.ops.push(`${rgb(stroke.color)} RG`);
      this.strokeColor = stroke.color;
    }
  }

  /** Lists an object in the current page's resources (once per page). */
  private addResource(kind: "Font" | "XObject" | "ExtGState", name: string, ref: PdfRef): void {
    const key = `${kind}/${name}`;
    if (this.pageResources.has(key)) return;
    this.pageResources.add(key);
    const page = this.doc.page as unknown as { fonts: object; xobjects: object; ext_gstates: object };
    const dictionary = (
      kind === "Font" ? page.fonts : kind === "XObject" ? page.xobjects : page.ext_gstates
    ) as Record<string, PdfRef>;
    dictionary[name] = ref;
  }

  /** Hands the current page's operators to the writer, which compresses them when the page ends. */
  private flushPage(): void {
    if (!this.hasPage) return;
    this.graphics();
    if (this.ops.length > 0) this.doc.addContent(Buffer.from(`${this.ops.join("\n")}\n`, "latin1"));
    this.ops = [];
  }
}
