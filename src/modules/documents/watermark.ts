import { deflateSync } from "node:zlib";
import type { PdfCanvas } from "./pdf-canvas";
import { getFont } from "./pdf-fonts";
import type { PdfDocumentLike } from "./pdf-writer";

/**
 * Large diagonal marks (沙箱测试发票, 预览) are drawn as glyph outlines, not as text: rotated text
 * would be picked up by text extraction and interleaved with the invoice's real content, while the
 * same words are printed once as ordinary, extractable text by the caller.
 *
 * The outlines of a bold CJK phrase are tens of kilobytes of path operators, so they are turned into
 * PDF operators and compressed once per process, embedded once per document as a form XObject, and
 * painted on each page by reference.
 */

interface PathCommand {
  command: "moveTo" | "lineTo" | "quadraticCurveTo" | "bezierCurveTo" | "closePath";
  args: number[];
}

interface MarkForm {
  /** Compressed content stream of the form, in font units with y growing upwards. */
  stream: Buffer;
  bbox: [number, number, number, number];
  width: number;
  /** Height of the visual middle of CJK glyphs above the baseline, in font units. */
  middle: number;
  unitsPerEm: number;
}

const forms = new Map<string, MarkForm>();

const fmt = (value: number) => String(Math.round(value * 10) / 10);

/** PDF path operators for the commands; TrueType quadratic curves become the equivalent cubic ones. */
function pathOperators(commands: PathCommand[], dx: number, bounds: number[]): string {
  const out: string[] = [];
  let x = 0;
  let y = 0;
  let startX = 0;
  let startY = 0;
  const point = (px: number, py: number) => {
    bounds[0] = Math.min(bounds[0]!, px + dx);
    bounds[1] = Math.min(bounds[1]!, py);
    bounds[2] = Math.max(bounds[2]!, px + dx);
    bounds[3] = Math.max(bounds[3]!, py);
    return `${fmt(px + dx)} ${fmt(py)}`;
  };
  for (const { command, args: a } of commands) {
    if (command === "moveTo") {
      out.push(`${point(a[0]!, a[1]!)} m`);
      [x, y, startX, startY] = [a[0]!, a[1]!, a[0]!, a[1]!];
    } else if (command === "lineTo") {
      out.push(`${point(a[0]!, a[1]!)} l`);
      [x, y] = [a[0]!, a[1]!];
    } else if (command === "quadraticCurveTo") {
      const [qx, qy, ex, ey] = [a[0]!, a[1]!, a[2]!, a[3]!];
      const c1 = point(x + (2 / 3) * (qx - x), y + (2 / 3) * (qy - y));
      const c2 = point(ex + (2 / 3) * (qx - ex), ey + (2 / 3) * (qy - ey));
      out.push(`${c1} ${c2} ${point(ex, ey)} c`);
      [x, y] = [ex, ey];
    } else if (command === "bezierCurveTo") {
      out.push(`${point(a[0]!, a[1]!)} ${point(a[2]!, a[3]!)} ${point(a[4]!, a[5]!)} c`);
      [x, y] = [a[4]!, a[5]!];
    } else {
      out.push("h");
      [x, y] = [startX, startY];
    }
  }
  return out.join("\n");
}

function formOf(text: string): MarkForm {
  let form = forms.get(text);
  if (!form) {
    const { font } = getFont("bold");
    const run = font.layout(text);
    const bounds = [0, 0, 0, 0];
    const parts: string[] = [];
    let pen = 0;
    run.glyphs.forEach((glyph, index) => {
      const commands = (glyph.path as unknown as { commands: PathCommand[] }).commands;
      parts.push(pathOperators(commands, pen, bounds));
      pen += run.positions[index]?.xAdvance ?? glyph.advanceWidth;
    });
    parts.push("f");
    form = {
      stream: deflateSync(Buffer.from(parts.join("\n"), "latin1")),
      bbox: [bounds[0]!, bounds[1]!, bounds[2]!, bounds[3]!],
      width: pen,
      middle: 0.38 * font.unitsPerEm,
      unitsPerEm: font.unitsPerEm,
    };
    forms.set(text, form);
  }
  return form;
}

export interface MarkOptions {
  centerX: number;
  centerY: number;
  size: number;
  /** Counter-clockwise, in degrees. */
  angle: number;
  color: string;
  opacity: number;
}

export function drawOutlinedMark(canvas: PdfCanvas, text: string, options: MarkOptions): void {
  const form = formOf(text);
  const scale = options.size / form.unitsPerEm;
  const angle = (-options.angle * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const source = {
    key: `mark:${text}`,
    create(doc: PdfDocumentLike) {
      // A Filter in the dictionary tells pdfkit the stream is already compressed.
      const ref = doc.ref({ Type: "XObject", Subtype: "Form", BBox: form.bbox, Filter: "FlateDecode" });
      ref.end(form.stream);
      return ref;
    },
  };
  canvas.form(
    source,
    [
      [1, 0, 0, 1, options.centerX, options.centerY],
      // Counter-clockwise on the page, whose y axis points down.
      [cos, sin, -sin, cos, 0, 0],
      // Font units grow upwards; the page's y axis grows downwards.
      [scale, 0, 0, -scale, 0, 0],
      [1, 0, 0, 1, -form.width / 2, -form.middle],
    ],
    { color: options.color, opacity: options.opacity },
  );
}
