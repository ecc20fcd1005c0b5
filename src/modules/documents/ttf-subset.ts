/**
 * TrueType subsetting for embedding in PDF, with every glyph read from the font file once per
 * process.
 *
 * pdfkit embeds a font through `font.createSubset()`: it calls `includeGlyph(gid)` for each glyph it
 * draws (getting the glyph's id in the subset) and `encode()` once, for the bytes of the embedded
 * font program. fontkit's own subset decodes every glyph again for every document — its outline,
 * its metrics, and the tables it copies — which was about a sixth of an invoice's server time. This
 * one keeps, per glyph, its bytes in the `glyf` table, where its components are, and its metrics,
 * and writes the few tables a PDF font program needs (head, hhea, maxp, hmtx, loca, glyf and the
 * hinting tables cvt, fpgm, prep) straight into one buffer.
 *
 * It reads TrueType outlines only (the `glyf` table), as our Noto Sans SC files are; a font without
 * one is refused when it is loaded, not at render time.
 */

interface TableRecord {
  offset: number;
  length: number;
}

interface GlyphData {
  /** The glyph's description in the source `glyf` table (shared; copied before patching). */
  bytes: Uint8Array;
  /** Byte positions of the glyph ids of a composite glyph's components, and those ids. */
  components: Array<{ pos: number; glyphId: number }>;
  advance: number;
  leftSideBearing: number;
}

// Composite glyph flags (OpenType glyf table).
const ARG_1_AND_2_ARE_WORDS = 0x0001;
const WE_HAVE_A_SCALE = 0x0008;
const MORE_COMPONENTS = 0x0020;
const WE_HAVE_AN_X_AND_Y_SCALE = 0x0040;
const WE_HAVE_A_TWO_BY_TWO = 0x0080;

/** The parts of one TrueType font that subsetting reads, parsed once. */
export class TrueTypeSource {
  private readonly view: DataView;
  private readonly tables = new Map<string, TableRecord>();
  private readonly locaLong: boolean;
  private readonly numGlyphs: number;
  private readonly numberOfHMetrics: number;
  private readonly glyphs = new Map<number, GlyphData>();

  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const numTables = this.view.getUint16(4);
    for (let i = 0; i < numTables; i++) {
      const at = 12 + i * 16;
      const tag = String.fromCharCode(...data.subarray(at, at + 4));
      this.tables.set(tag, { offset: this.view.getUint32(at + 8), length: this.view.getUint32(at + 12) });
    }
    for (const tag of ["head", "hhea", "maxp", "hmtx", "loca", "glyf"])
      if (!this.tables.has(tag)) throw new Error(`font has no ${tag} table (TrueType outlines are required)`);
    this.locaLong = this.view.getInt16(this.table("head").offset + 50) === 1;
    this.numGlyphs = this.view.getUint16(this.table("maxp").offset + 4);
    this.numberOfHMetrics = this.view.getUint16(this.table("hhea").offset + 34);
  }

  /** A new, empty subset for one document (glyph 0, .notdef, is always its first glyph). */
  createSubset(): TrueTypeSubset {
    return new TrueTypeSubset(this);
  }

  table(tag: string): TableRecord {
    const record = this.tables.get(tag);
    if (!record) throw new Error(`font has no ${tag} table`);
    return record;
  }

  /** The raw bytes of a table, or undefined when the font has none. */
  tableBytes(tag: string): Uint8Array | undefined {
    const record = this.tables.get(tag);
    return record && this.data.subarray(record.offset, record.offset + record.length);
  }

  glyph(gid: number): GlyphData {
    let glyph = this.glyphs.get(gid);
    if (!glyph) {
      glyph = this.readGlyph(gid < this.numGlyphs ? gid : 0);
      this.glyphs.set(gid, glyph);
    }
    return glyph;
  }

  private readGlyph(gid: number): GlyphData {
    const loca = this.table("loca").offset;
    const start = this.locaLong
      ? this.view.getUint32(loca + gid * 4)
      : this.view.getUint16(loca + gid * 2) * 2;
    const end = this.locaLong
      ? this.view.getUint32(loca + (gid + 1) * 4)
      : this.view.getUint16(loca + (gid + 1) * 2) * 2;
    const glyf = this.table("glyf").offset;
    const bytes = this.data.subarray(glyf + start, glyf + end);
    const components: GlyphData["components"] = [];
    // A composite glyph (negative contour count) names its components by glyph id.
    if (bytes.length >= 10 && this.view.getInt16(glyf + start) < 0) {
      let at = 10;
      for (;;) {
        const flags = this.view.getUint16(glyf + start + at);
        components.push({ pos: at + 2, glyphId: this.view.getUint16(glyf + start + at + 2) });
        at += 4 + (flags & ARG_1_AND_2_ARE_WORDS ? 4 : 2);
        if (flags & WE_HAVE_A_SCALE) at += 2;
        else if (flags & WE_HAVE_AN_X_AND_Y_SCALE) at += 4;
        else if (flags & WE_HAVE_A_TWO_BY_TWO) at += 8;
        if (!(flags & MORE_COMPONENTS)) break;
      }
    }
    const hmtx = this.table("hmtx").offset;
    const last = this.numberOfHMetrics - 1;
    const advance = this.view.getUint16(hmtx + Math.min(gid, last) * 4);
    const leftSideBearing =
      gid <= last
        ? this.view.getInt16(hmtx + gid * 4 + 2)
        : this.view.getInt16(hmtx + this.numberOfHMetrics * 4 + (gid - this.numberOfHMetrics) * 2);
    return { bytes, components, advance, leftSideBearing };
  }
}

/** One document's subset: the interface pdfkit uses (`includeGlyph`, `encode`). */
export class TrueTypeSubset {
  private readonly glyphs: number[] = [];
  private readonly mapping = new Map<number, number>();
  /** pdfkit checks this to tell CFF fonts apart; ours are TrueType. */
  readonly cff = undefined;

  constructor(private readonly source: TrueTypeSource) {
    this.includeGlyph(0);
  }

  /** The glyph's id in the subset, adding it if new. */
  includeGlyph(glyph: number | { id: number }): number {
    const gid = typeof glyph === "number" ? glyph : glyph.id;
    let id = this.mapping.get(gid);
    if (id === undefined) {
      id = this.glyphs.length;
      this.glyphs.push(gid);
      this.mapping.set(gid, id);
    }
    return id;
  }

  /** Source glyph ids of the subset's glyphs, by subset id (components appear once encoded). */
  glyphIds(): readonly number[] {
    return this.glyphs;
  }

  /** The font program: the glyphs included so far (and the components they use). */
  encode(): Uint8Array {
    const source = this.source;
    const outlines: Uint8Array[] = [];
    const metrics: Array<[number, number]> = [];
    // Components found on the way are appended to `glyphs`, so this loop also covers them.
    for (let i = 0; i < this.glyphs.length; i++) {
      const glyph = source.glyph(this.glyphs[i]!);
      let bytes = glyph.bytes;
      if (glyph.components.length > 0) {
        bytes = Uint8Array.from(bytes);
        const view = new DataView(bytes.buffer);
        for (const c of glyph.components) view.setUint16(c.pos, this.includeGlyph(c.glyphId));
      }
      outlines.push(bytes);
      metrics.push([glyph.advance, glyph.leftSideBearing]);
    }
    const count = outlines.length;

    // glyf, each glyph padded to 4 bytes, with a long-format loca pointing into it.
    const glyfLength = outlines.reduce((n, b) => n + pad4(b.length), 0);
    const glyf = new Uint8Array(glyfLength);
    const loca = new DataView(new ArrayBuffer((count + 1) * 4));
    let offset = 0;
    outlines.forEach((b, i) => {
      loca.setUint32(i * 4, offset);
      glyf.set(b, offset);
      offset += pad4(b.length);
    });
    loca.setUint32(count * 4, offset);

    const hmtx = new DataView(new ArrayBuffer(count * 4));
    metrics.forEach(([advance, lsb], i) => {
      hmtx.setUint16(i * 4, advance);
      hmtx.setInt16(i * 4 + 2, lsb);
    });

    const head = Uint8Array.from(source.tableBytes("head")!);
    const headView = new DataView(head.buffer);
    headView.setUint32(8, 0); // checkSumAdjustment, set once the whole file is known
    headView.setInt16(50, 1); // indexToLocFormat: long
    const hhea = Uint8Array.from(source.tableBytes("hhea")!);
    new DataView(hhea.buffer).setUint16(34, count); // numberOfHMetrics
    const maxp = Uint8Array.from(source.tableBytes("maxp")!);
    new DataView(maxp.buffer).setUint16(4, count); // numGlyphs

    const tables: Array<[string, Uint8Array]> = [
      ["head", head],
      ["hhea", hhea],
      ["maxp", maxp],
      ["hmtx", new Uint8Array(hmtx.buffer)],
      ["loca", new Uint8Array(loca.buffer)],
      ["glyf", glyf],
    ];
    for (const tag of ["cvt ", "fpgm", "prep"]) {
      const bytes = source.tableBytes(tag);
      if (bytes) tables.push([tag, bytes]);
    }
    return writeFont(tables);
  }
}

/** An sfnt file of these tables: the directory sorted by tag, tables 4-byte aligned, checksums. */
function writeFont(tables: Array<[string, Uint8Array]>): Uint8Array {
  tables.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const numTables = tables.length;
  const directoryLength = 12 + numTables * 16;
  const total = directoryLength + tables.reduce((n, [, b]) => n + pad4(b.length), 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const power = 2 ** Math.floor(Math.log2(numTables));
  view.setUint32(0, 0x00010000);
  view.setUint16(4, numTables);
  view.setUint16(6, power * 16);
  view.setUint16(8, Math.log2(power));
  view.setUint16(10, numTables * 16 - power * 16);
  let offset = directoryLength;
  let headOffset = 0;
  tables.forEach(([tag, bytes], i) => {
    const at = 12 + i * 16;
    for (let k = 0; k < 4; k++) view.setUint8(at + k, tag.charCodeAt(k));
    out.set(bytes, offset);
    view.setUint32(at + 4, checksum(view, offset, bytes.length));
    view.setUint32(at + 8, offset);
    view.setUint32(at + 12, bytes.length);
    if (tag === "head") headOffset = offset;
    offset += pad4(bytes.length);
  });
  view.setUint32(headOffset + 8, (0xb1b0afba - checksum(view, 0, total)) >>> 0);
  return out;
}

function checksum(view: DataView, offset: number, length: number): number {
  let sum = 0;
  const end = offset + pad4(length);
  for (let i = offset; i < end; i += 4) sum = (sum + view.getUint32(i)) >>> 0;
  return sum;
}

const pad4 = (n: number) => (n + 3) & ~3;
