import { createHash } from "node:crypto";
import { deflateSync, constants as zlibConstants } from "node:zlib";

/**
 * The PDF file structure — numbered objects, pages, the info dictionary, the cross-reference table —
 * written straight into a list of byte chunks.
 *
 * It writes exactly what pdfkit writes for the subset of pdfkit our canvas used (same object numbers
 * and order, same dictionaries, same compression, same file ID), byte for byte, at zlib's default
 * level; the documents tests check that against pdfkit itself. The canvas asks for a faster level. What it leaves out is pdfkit's cost per object: a Readable stream
 * push per line, every string copied to bytes one character at a time, the XMP metadata it builds and
 * drops for PDF 1.3, and the mixins' set-up for every document.
 */

/** What the canvas, the fonts and the forms need from a document (pdfkit's interface, in part). */
export interface PdfDocumentLike {
  ref(data?: object): PdfRef;
  addPage(options: { size: [number, number]; margin: 0 }): unknown;
  addContent(data: Buffer): unknown;
  readonly page: unknown;
}

export interface PdfRef {
  readonly data: unknown;
  end(chunk?: Buffer): void;
}

const ESCAPES: Record<string, string> = {
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
  "\\": "\\\\",
  "(": "\\(",
  ")": "\\)",
};

function literal(value: string): string {
  let unicode = false;
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) > 0x7f) {
      unicode = true;
      break;
    }
  }
  let bytes = value;
  if (unicode) {
    // UTF-16BE with a byte-order mark, as one byte per character.
    let out = "\xfe\xff";
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      out += String.fromCharCode(code >> 8, code & 0xff);
    }
    bytes = out;
  } else {
    let out = "";
    for (let i = 0; i < value.length; i++) out += String.fromCharCode(value.charCodeAt(i) & 0xff);
    bytes = out;
  }
  return `(${bytes.replace(/[\n\r\t\b\f()\\]/g, (c) => ESCAPES[c]!)})`;
}

const pad = (value: number, length: number) => String(value).padStart(length, "0").slice(-length);

/** A number as pdfkit writes it in dictionaries: at most six decimals. */
function number(value: number): string {
  if (!(value > -1e21 && value < 1e21)) throw new Error(`documents: unsupported number: ${value}`);
  return String(Math.round(value * 1e6) / 1e6);
}

/**
 * An object as pdfkit writes it: a JS string is a name, a `String` object a literal string (UTF-16
 * when it has non-ASCII characters), arrays and plain objects nest.
 */
function convert(value: unknown): string {
  if (typeof value === "string") return `/${value}`;
  if (typeof value === "number") return number(value);
  if (value instanceof Ref) return `${value.id} 0 R`;
  if (value instanceof String) return literal(value.valueOf());
  if (value instanceof Uint8Array) return `<${Buffer.from(value).toString("hex")}>`;
  if (value instanceof Date) {
    return `(D:${pad(value.getUTCFullYear(), 4)}${pad(value.getUTCMonth() + 1, 2)}${pad(value.getUTCDate(), 2)}${pad(value.getUTCHours(), 2)}${pad(value.getUTCMinutes(), 2)}${pad(value.getUTCSeconds(), 2)}Z)`;
  }
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += " ";
      out += convert(value[i] === undefined ? null : value[i]);
    }
    return `${out}]`;
  }
  if (value instanceof RawDictionary) return value.text;
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    let out = "<<";
    for (const key in value) {
      const entry = (value as Record<string, unknown>)[key];
      if (entry === undefined) continue;
      out += `\n/${key} ${convert(entry)}`;
    }
    return `${out}\n>>`;
  }
  return `${value}`;
}

/** A dictionary already written out (the empty name tree pdfkit puts in every catalog). */
class RawDictionary {
  constructor(readonly text: string) {}
}

class Ref implements PdfRef {
  private chunks: Buffer[] = [];
  private readonly compress: boolean;

  constructor(
    private readonly writer: PdfWriter,
    readonly id: number,
    readonly data: Record<string, unknown>,
  ) {
    this.compress = !(data as { Filter?: unknown }).Filter;
  }

  write(chunk: Buffer): void {
    if (this.data.Length == null) this.data.Length = 0;
    this.chunks.push(chunk);
    (this.data.Length as number) += chunk.length;
    if (this.compress) this.data.Filter = "FlateDecode";
  }

  end(chunk?: Buffer): void {
    if (chunk) this.write(chunk);
    let stream: Buffer | undefined;
    if (this.chunks.length > 0) {
      stream = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      if (this.compress) stream = deflateSync(stream, { level: this.writer.level });
      this.data.Length = stream.length;
      this.chunks = [];
    }
    this.writer.object(this.id, convert(this.data), stream);
  }
}

interface Page {
  dictionary: Ref;
  resources: Ref;
  content: Ref;
  fonts: Record<string, PdfRef>;
  xobjects: Record<string, PdfRef>;
  ext_gstates: Record<string, PdfRef>;
}

export interface PdfInfo {
  Title: string;
  Author: string;
  Creator: string;
  CreationDate: Date;
}

/** One PDF file, written as pdfkit would with `{ compress: true, lang, displayTitle, info }`. */
export class PdfWriter implements PdfDocumentLike {
  private readonly chunks: Buffer[] = [];
  private text = "";
  private offset = 0;
  private readonly offsets: number[] = [];
  private readonly pages: Ref;
  private readonly names: Ref;
  private readonly root: Ref;
  private readonly outline: Ref;
  private readonly viewerPreferences: Ref;
  private readonly info: Record<string, string | Date>;
  private readonly id: Uint8Array;
  private current: Page | undefined;

  /** zlib level of the streams it compresses itself (page content; the others come compressed). */
  readonly level: number;

  constructor(options: { lang: string; info: PdfInfo; level?: number }) {
    this.level = options.level ?? zlibConstants.Z_DEFAULT_COMPRESSION;
    this.pages = this.ref({ Type: "Pages", Count: 0, Kids: [] });
    this.names = this.ref({ Dests: new RawDictionary("<<\n  /Names [\n]\n>>") });
    this.root = this.ref({ Type: "Catalog", Pages: this.pages, Names: this.names });
    (this.root.data as Record<string, unknown>).Lang = new String(options.lang);
    this.outline = this.ref({});
    this.viewerPreferences = this.ref({ DisplayDocTitle: true });
    (this.root.data as Record<string, unknown>).ViewerPreferences = this.viewerPreferences;
    // pdfkit's defaults first, then ours over them (the key order is the info dictionary's).
    const info: Record<string, string | Date> = {
      Producer: "PDFKit",
      Creator: "PDFKit",
      CreationDate: new Date(),
    };
    Object.assign(info, options.info);
    this.info = info;
    let idSource = `${(info.CreationDate as Date).getTime()}\n`;
    for (const key in info) idSource += `${key}: ${info[key]!.valueOf()}\n`;
    this.id = createHash("md5").update(idSource, "utf8").digest();
    this.raw("%PDF-1.3\n%\xff\xff\xff\xff\n");
  }

  get page(): Page | undefined {
    return this.current;
  }

  ref(data: object = {}): Ref {
    this.offsets.push(0);
    return new Ref(this, this.offsets.length, data as Record<string, unknown>);
  }

  addPage(options: { size: [number, number]; margin: 0 }): this {
    this.endPage();
    const [width, height] = options.size;
    const content = this.ref();
    const resources = this.ref({ ProcSet: ["PDF", "Text", "ImageB", "ImageC", "ImageI"] });
    const dictionary = this.ref({
      Type: "Page",
      Parent: this.pages,
      MediaBox: [0, 0, width, height],
      Contents: content,
      Resources: resources,
      UserUnit: 1,
    });
    const data = resources.data as Record<string, Record<string, PdfRef>>;
    this.current = {
      dictionary,
      resources,
      content,
      get fonts() {
        data.Font ??= {};
        return data.Font;
      },
      get xobjects() {
        data.XObject ??= {};
        return data.XObject;
      },
      get ext_gstates() {
        data.ExtGState ??= {};
        return data.ExtGState;
      },
    };
    const pages = this.pages.data as { Kids: Ref[]; Count: number };
    pages.Kids.push(dictionary);
    pages.Count++;
    // pdfkit starts every page by flipping the y axis, so that the origin is at the top left.
    content.write(Buffer.from(`1 0 0 -1 0 ${number(height)} cm\n`, "latin1"));
    return this;
  }

  addContent(data: Buffer): this {
    this.current!.content.write(data);
    return this;
  }

  /** Ends the document and returns the file. */
  end(): Buffer {
    this.endPage();
    const info = this.ref();
    for (const key in this.info) {
      const value = this.info[key]!;
      const entry = this.ref(typeof value === "string" ? new String(value) : value);
      entry.end();
      (info.data as Record<string, unknown>)[key] = entry;
    }
    info.end();
    this.outline.end();
    this.root.end();
    this.pages.end();
    this.names.end();
    this.viewerPreferences.end();
    const xref = this.offset;
    let out = `xref\n0 ${this.offsets.length + 1}\n0000000000 65535 f \n`;
    for (const offset of this.offsets) out += `${`0000000000${offset}`.slice(-10)} 00000 n \n`;
    out += `trailer\n${convert({ Size: this.offsets.length + 1, Root: this.root, Info: info, ID: [this.id, this.id] })}\n`;
    out += `startxref\n${xref}\n%%EOF\n`;
    this.raw(out);
    this.flushText();
    return Buffer.concat(this.chunks, this.offset);
  }

  /** Called by a reference as it ends: its object, written where the file now ends. */
  object(id: number, dictionary: string, stream: Buffer | undefined): void {
    this.offsets[id - 1] = this.offset;
    if (stream) {
      this.raw(`${id} 0 obj\n${dictionary}\nstream\n`);
      this.flushText();
      this.chunks.push(stream);
      this.offset += stream.length;
      this.raw("\nendstream\nendobj\n");
    } else {
      this.raw(`${id} 0 obj\n${dictionary}\nendobj\n`);
    }
  }

  private endPage(): void {
    const page = this.current;
    if (!page) return;
    page.dictionary.end();
    (page.resources.data as Record<string, unknown>).ColorSpace ??= {};
    page.resources.end();
    page.content.end();
    this.current = undefined;
  }

  /** Latin-1 text, gathered into one chunk until the next stream. */
  private raw(text: string): void {
    this.text += text;
    this.offset += text.length;
  }

  private flushText(): void {
    if (this.text) this.chunks.push(Buffer.from(this.text, "latin1"));
    this.text = "";
  }
}
