import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { TrueTypeSource } from "./ttf-subset";

/**
 * The CJK fonts, loaded once per process.
 *
 * Noto Sans SC is a 10 MB TrueType file. We parse it once with fontkit — the library pdfkit uses,
 * resolved through pdfkit's own dependency — for its character map and metrics, and once with our
 * own reader (ttf-subset.ts) for the glyph data that subsets copy. pdfkit itself never sees the
 * fonts: the canvas writes text operators and font objects itself (pdf-canvas.ts, pdf-font-embed.ts).
 *
 * Text is mapped character by character to glyphs, without OpenType shaping: Chinese text needs
 * none (no ligatures, no contextual forms, and Noto Sans SC's default glyphs are the simplified
 * ones), so our measurements match exactly what is drawn. Latin kerning is the only thing lost.
 */

export type FontWeight = "regular" | "bold";

interface FontkitPath {
  translate(x: number, y: number): FontkitPath;
  toSVG(): string;
}

interface FontkitGlyph {
  id: number;
  advanceWidth: number;
  codePoints: number[];
  path: FontkitPath;
}

interface GlyphPosition {
  xAdvance: number;
  yAdvance: number;
  xOffset: number;
  yOffset: number;
}

interface GlyphRun {
  glyphs: FontkitGlyph[];
  positions: GlyphPosition[];
  advanceWidth: number;
}

export interface FontkitFont {
  unitsPerEm: number;
  ascent: number;
  descent: number;
  capHeight: number;
  xHeight: number;
  italicAngle: number;
  postscriptName: string;
  bbox: { minX: number; minY: number; maxX: number; maxY: number };
  hasGlyphForCodePoint(codePoint: number): boolean;
  glyphForCodePoint(codePoint: number): FontkitGlyph;
  layout(text: string): GlyphRun;
}

interface Fontkit {
  create(buffer: Uint8Array): FontkitFont;
}

/** A character's glyph: its id in the full font and its advance in em. */
export interface GlyphInfo {
  id: number;
  advance: number;
}

const FONT_MODULES: Record<FontWeight, string> = {
  regular: "@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf",
  bold: "@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf",
};

const localRequire = createRequire(import.meta.url);
const loaded = new Map<FontWeight, LoadedFont>();

export interface LoadedFont {
  weight: FontWeight;
  font: FontkitFont;
  /** Glyph data for subsets. */
  source: TrueTypeSource;
  /** Glyph of each code point seen so far, filled lazily (wrapping measures every character). */
  glyphs: Map<number, GlyphInfo>;
  /** Baseline below the top of a line of text, in em (pdfkit's convention for text placed by its top). */
  ascent: number;
}

function loadFontkit(): Fontkit {
  try {
    const pdfkitRequire = createRequire(localRequire.resolve("pdfkit"));
    return pdfkitRequire("fontkit") as Fontkit;
  } catch (cause) {
    throw new Error("documents: cannot load fontkit through pdfkit's dependencies", { cause });
  }
}

export function getFont(weight: FontWeight): LoadedFont {
  let entry = loaded.get(weight);
  if (!entry) {
    const path = localRequire.resolve(FONT_MODULES[weight]);
    const bytes = readFileSync(path);
    const font = loadFontkit().create(bytes);
    entry = {
      weight,
      font,
      source: new TrueTypeSource(bytes),
      glyphs: new Map(),
      ascent: font.ascent / font.unitsPerEm,
    };
    loaded.set(weight, entry);
  }
  return entry;
}

/** Loads both weights now, so that the first request after boot does not pay for it. */
export function preloadDocumentFonts(): void {
  getFont("regular");
  getFont("bold");
}

/** The glyph drawn for a code point (glyph 0, .notdef, when the font has none). */
export function glyphOf(font: LoadedFont, codePoint: number): GlyphInfo {
  let glyph = font.glyphs.get(codePoint);
  if (glyph === undefined) {
    const found = font.font.glyphForCodePoint(codePoint);
    glyph = { id: found.id, advance: found.advanceWidth / font.font.unitsPerEm };
    font.glyphs.set(codePoint, glyph);
  }
  return glyph;
}

/** Width of `text` in em (multiply by the font size for points); kerning is ignored. */
export function emWidth(weight: FontWeight, text: string): number {
  const font = getFont(weight);
  let width = 0;
  for (const char of text) width += glyphOf(font, char.codePointAt(0)!).advance;
  return width;
}
