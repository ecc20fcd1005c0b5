import { deflateSync } from "node:zlib";
import { type FontWeight, getFont, glyphOf, type LoadedFont } from "./pdf-fonts";
import type { PdfDocumentLike, PdfRef } from "./pdf-writer";
import type { TrueTypeSubset } from "./ttf-subset";

/**
 * Fonts as PDF objects: a Type0 font with Identity-H encoding over a CIDFontType2 whose CIDs are
 * the glyph ids of an embedded TrueType subset, with a ToUnicode map so that text can be extracted.
 * Text is shown as big-endian 16-bit CIDs, written in hex.
 *
 * Two kinds of subset:
 * - a document subset (DocumentSubset) collects the glyphs one document draws, and is encoded and
 *   compressed when the document is finished;
 * - a template subset (TemplateSubset) holds a fixed set of characters (the wording every invoice
 *   prints: labels, column titles, digits), so its font program, widths and ToUnicode map are built
 *   and compressed once per process, and each document embeds the same bytes as they are.
 */

/** How hard per-document streams are compressed: font programs barely compress, so speed wins. */
const DOCUMENT_LEVEL = 1;
/** Streams compressed once per process get the best compression. */
const ONCE_LEVEL = 9;

interface FontStreams {
  /** The compressed font program, and its length before compression. */
  program: Buffer;
  programLength: number;
  toUnicode: Buffer;
  /** Advance of each CID, in 1/1000 em. */
  widths: number[];
  baseFont: string;
}

type Ref = PdfRef;

function refData(ref: Ref): Record<string, unknown> {
  return ref.data as unknown as Record<string, unknown>;
}

const hex4 = (value: number) => value.toString(16).padStart(4, "0");

/** The CMap that maps each CID back to its characters (what text extraction reads). */
function toUnicodeCmap(codePoints: number[]): string {
  const entries = codePoints.map((codePoint) => {
    if (codePoint <= 0xffff) return `<${hex4(codePoint)}>`;
    const offset = codePoint - 0x10000;
    return `<${hex4(0xd800 | (offset >> 10))}${hex4(0xdc00 | (offset & 0x3ff))}>`;
  });
  // One bfrange line per 256 CIDs keeps every range inside one high byte, as the CMap format asks.
  const ranges: string[] = [];
  for (let start = 0; start < entries.length; start += 256) {
    const end = Math.min(start + 256, entries.length) - 1;
    ranges.push(`<${hex4(start)}> <${hex4(end)}> [${entries.slice(start, end + 1).join(" ")}]`);
  }
  return [
    "/CIDInit /ProcSet findresource begin",
    "12 dict begin",
    "begincmap",
    "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
    "/CMapName /Adobe-Identity-UCS def",
    "/CMapType 2 def",
    "1 begincodespacerange",
    "<0000> <ffff>",
    "endcodespacerange",
    `${ranges.length} beginbfrange`,
    ...ranges,
    "endbfrange",
    "endcmap",
    "CMapName currentdict /CMap defineresource pop",
    "end",
    "end",
  ].join("\n");
}

/**
 * The six-letter subset tag of a font name, from a hash of its glyphs: two different subsets get
 * different names, so tools that merge PDFs never mistake one for the other.
 */
function subsetTag(glyphIds: readonly number[]): string {
  let hash = 0x811c9dc5;
  for (const id of glyphIds) {
    hash ^= id & 0xff;
    hash = Math.imul(hash, 0x01000193);
    hash ^= id >>> 8;
    hash = Math.imul(hash, 0x01000193);
  }
  let tag = "";
  for (let i = 0; i < 6; i++) {
    tag += String.fromCharCode(65 + ((hash >>> 0) % 26));
    hash = Math.floor((hash >>> 0) / 26);
  }
  return tag;
}

function buildStreams(
  font: LoadedFont,
  subset: TrueTypeSubset,
  codePoints: number[],
  widths: number[],
  level: number,
): FontStreams {
  const program = subset.encode();
  return {
    program: deflateSync(program, { level }),
    programLength: program.length,
    toUnicode: deflateSync(Buffer.from(toUnicodeCmap(codePoints), "latin1"), { level }),
    widths,
    baseFont: `${subsetTag(subset.glyphIds())}+${font.font.postscriptName.replaceAll(" ", "_")}`,
  };
}

interface Descriptor {
  flags: number;
  bbox: number[];
  italicAngle: number;
  ascent: number;
  descent: number;
  capHeight: number;
  xHeight: number;
}

const descriptors = new Map<FontWeight, Descriptor>();

function descriptorOf(font: LoadedFont): Descriptor {
  let descriptor = descriptors.get(font.weight);
  if (!descriptor) {
    const f = font.font;
    const scale = 1000 / f.unitsPerEm;
    descriptor = {
      // Symbolic (the font's own encoding, not a standard Latin one), as for any CJK subset.
      flags: 4,
      bbox: [f.bbox.minX * scale, f.bbox.minY * scale, f.bbox.maxX * scale, f.bbox.maxY * scale],
      italicAngle: f.italicAngle,
      ascent: f.ascent * scale,
      descent: f.descent * scale,
      capHeight: (f.capHeight || f.ascent) * scale,
      xHeight: (f.xHeight || 0) * scale,
    };
    descriptors.set(font.weight, descriptor);
  }
  return descriptor;
}

/** Writes the font's objects into the document, filling `fontRef` (the Type0 font the pages use). */
function writeFont(doc: PdfDocumentLike, fontRef: Ref, font: LoadedFont, streams: FontStreams): void {
  const program = doc.ref({ Length1: streams.programLength, Filter: "FlateDecode" });
  program.end(streams.program);
  const d = descriptorOf(font);
  const descriptor = doc.ref({
    Type: "FontDescriptor",
    FontName: streams.baseFont,
    Flags: d.flags,
    FontBBox: d.bbox,
    ItalicAngle: d.italicAngle,
    Ascent: d.ascent,
    Descent: d.descent,
    CapHeight: d.capHeight,
    XHeight: d.xHeight,
    StemV: 0,
    FontFile2: program,
  });
  descriptor.end(undefined);
  const cidFont = doc.ref({
    Type: "Font",
    Subtype: "CIDFontType2",
    BaseFont: streams.baseFont,
    CIDSystemInfo: { Registry: new String("Adobe"), Ordering: new String("Identity"), Supplement: 0 },
    FontDescriptor: descriptor,
    W: [0, streams.widths],
    CIDToGIDMap: "Identity",
  });
  cidFont.end(undefined);
  const toUnicode = doc.ref({ Filter: "FlateDecode" });
  toUnicode.end(streams.toUnicode);
  Object.assign(refData(fontRef), {
    Type: "Font",
    Subtype: "Type0",
    BaseFont: streams.baseFont,
    Encoding: "Identity-H",
    DescendantFonts: [cidFont],
    ToUnicode: toUnicode,
  });
  fontRef.end(undefined);
}

/** The glyphs one document draws in one weight. */
class DocumentSubset {
  private readonly subset: TrueTypeSubset;
  /** CID hex of each code point drawn so far. */
  private readonly cids = new Map<number, string>();
  /** Per CID: its advance (1/1000 em) and the character it shows. */
  private readonly widths: number[];
  private readonly codePoints: number[] = [0];

  constructor(private readonly font: LoadedFont) {
    this.subset = font.source.createSubset();
    this.widths = [glyphOf(font, 0).advance * 1000];
  }

  /** The CID (hex) of a code point, adding its glyph to the subset if new. */
  cid(codePoint: number): string {
    let cid = this.cids.get(codePoint);
    if (cid === undefined) {
      const glyph = glyphOf(this.font, codePoint);
      const index = this.subset.includeGlyph(glyph.id);
      // Two characters drawn with one glyph (rare) share its CID; the first one names it.
      if (index === this.widths.length) {
        this.widths.push(glyph.advance * 1000);
        this.codePoints.push(codePoint);
      }
      cid = hex4(index);
      this.cids.set(codePoint, cid);
    }
    return cid;
  }

  streams(): FontStreams {
    // The same characters in the same order make the same subset, byte for byte: a merchant's
    // invoices repeat their names and items, so the last ones built are kept (least recently used
    // dropped first) rather than encoded and compressed again.
    let built = recentSubsets.get(this.font);
    if (!built) {
      built = new Map();
      recentSubsets.set(this.font, built);
    }
    const key = this.codePoints.join(",");
    let streams = built.get(key);
    if (streams) built.delete(key);
    else {
      streams = buildStreams(this.font, this.subset, this.codePoints, this.widths, DOCUMENT_LEVEL);
      if (built.size >= RECENT_SUBSETS) built.delete(built.keys().next().value!);
    }
    built.set(key, streams);
    return streams;
  }
}

/** Document subsets kept per font (a few tens of KB each), by their characters in order. */
const RECENT_SUBSETS = 128;
const recentSubsets = new WeakMap<LoadedFont, Map<string, FontStreams>>();

/** A fixed set of characters whose font objects are built and compressed once per process. */
export class TemplateSubset {
  readonly font: LoadedFont;
  private readonly cids = new Map<number, string>();
  readonly streams: FontStreams;

  private constructor(weight: FontWeight, characters: string) {
    this.font = getFont(weight);
    const subset = this.font.source.createSubset();
    const codePoints = [0];
    const widths = [glyphOf(this.font, 0).advance * 1000];
    const sorted = [...new Set(Array.from(characters, (char) => char.codePointAt(0)!))].sort((a, b) => a - b);
    for (const codePoint of sorted) {
      if (!this.font.font.hasGlyphForCodePoint(codePoint)) continue;
      const glyph = glyphOf(this.font, codePoint);
      const index = subset.includeGlyph(glyph.id);
      if (index === widths.length) {
        widths.push(glyph.advance * 1000);
        codePoints.push(codePoint);
      }
      this.cids.set(codePoint, hex4(index));
    }
    this.streams = buildStreams(this.font, subset, codePoints, widths, ONCE_LEVEL);
  }

  private static readonly built = new Map<string, TemplateSubset>();

  /** The subset of these characters, built on first use and kept for the life of the process. */
  static of(weight: FontWeight, characters: string): TemplateSubset {
    const key = `${weight}:${characters}`;
    let template = TemplateSubset.built.get(key);
    if (!template) {
      template = new TemplateSubset(weight, characters);
      TemplateSubset.built.set(key, template);
    }
    return template;
  }

  /** The CID (hex) of a code point, or undefined when it is not in the set. */
  cid(codePoint: number): string | undefined {
    return this.cids.get(codePoint);
  }
}

/** Consecutive characters of a text shown with one font, as hex CIDs. */
export interface FontRun {
  font: FontSlot;
  hex: string;
}

/** A font as one document uses it: its name in page resources and the object it stands for. */
export interface FontSlot {
  readonly resourceName: string;
  readonly ref: Ref;
  /** Baseline below the top of a line, in em. */
  readonly ascent: number;
}

interface Slot extends FontSlot {
  streams(): FontStreams;
  font: LoadedFont;
}

/**
 * The fonts of one document. Each character is shown with the template subset of its weight when
 * it is there, otherwise with the document's own subset, so that no glyph is embedded twice: a
 * seller's tax ID, say, takes its digits from the template and only its letters from the document.
 * A text may thus be shown in a few runs, one after the other on the same line; text extraction
 * (pdftotext, viewers' search and copy) reads them as one word, as they touch.
 */
export class DocumentFonts {
  private readonly slots: Slot[] = [];
  private readonly own = new Map<FontWeight, { slot: Slot; subset: DocumentSubset }>();
  private readonly templateSlots = new Map<TemplateSubset, Slot>();
  private readonly shownRegular = new Map<string, FontRun[]>();
  private readonly shownBold = new Map<string, FontRun[]>();

  constructor(
    private readonly doc: PdfDocumentLike,
    private readonly templates: readonly TemplateSubset[] = [],
  ) {}

  /**
   * The text as runs of hex CIDs, each with its font: characters of the weight's template subset
   * are shown with it, the others with the document's own subset.
   */
  show(weight: FontWeight, text: string): FontRun[] {
    // A document prints the same short texts many times (column titles on every page, units, rates):
    // their runs are worked out once per document. Runs only grow the subsets, so they stay valid.
    const shown = weight === "bold" ? this.shownBold : this.shownRegular;
    let runs = shown.get(text);
    if (runs === undefined) {
      runs = this.runsOf(weight, text);
      shown.set(text, runs);
    }
    return runs;
  }

  private runsOf(weight: FontWeight, text: string): FontRun[] {
    let template: TemplateSubset | undefined;
    for (const t of this.templates) if (t.font.weight === weight) template = template ?? t;
    const runs: FontRun[] = [];
    let font: Slot | undefined;
    let hex = "";
    for (const char of text) {
      const codePoint = char.codePointAt(0)!;
      let charFont: Slot;
      let cid = template?.cid(codePoint);
      if (cid !== undefined) {
        charFont = this.templateSlot(template!);
      } else {
        const own = this.ownSubset(weight);
        charFont = own.slot;
        cid = own.subset.cid(codePoint);
      }
      if (charFont !== font) {
        if (font) runs.push({ font, hex });
        font = charFont;
        hex = "";
      }
      hex += cid;
    }
    if (font) runs.push({ font, hex });
    return runs;
  }

  private templateSlot(template: TemplateSubset): Slot {
    let slot = this.templateSlots.get(template);
    if (!slot) {
      slot = this.addSlot(`T${this.slots.length + 1}`, template.font, () => template.streams);
      this.templateSlots.set(template, slot);
    }
    return slot;
  }

  private ownSubset(weight: FontWeight): { slot: Slot; subset: DocumentSubset } {
    let own = this.own.get(weight);
    if (!own) {
      const subset = new DocumentSubset(getFont(weight));
      own = {
        slot: this.addSlot(`F${this.slots.length + 1}`, getFont(weight), () => subset.streams()),
        subset,
      };
      this.own.set(weight, own);
    }
    return own;
  }

  private addSlot(resourceName: string, font: LoadedFont, streams: () => FontStreams): Slot {
    const slot = { resourceName, ref: this.doc.ref({}), ascent: font.ascent, font, streams };
    this.slots.push(slot);
    return slot;
  }

  /** Writes every font used into the document; call once, after the last text. */
  embed(): void {
    for (const slot of this.slots) writeFont(this.doc, slot.ref, slot.font, slot.streams());
  }
}
