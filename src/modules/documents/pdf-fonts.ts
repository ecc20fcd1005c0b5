import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { TrueTypeSource } from "./ttf-subset";

/**
 * The CJK fonts, loaded once per process.
 *
 * Noto Sans SC is a 10 MB TrueType file. Handing pdfkit the raw bytes makes it parse the font again
 * for every document (tens of milliseconds), so we parse it once with fontkit — the same library
 * pdfkit uses, resolved through pdfkit's own dependency — and give pdfkit the parsed font object,
 * which pdfkit 0.20 accepts as a font source. Each document still builds its own subset.
 *
 * pdfkit asks the font to lay out every string it draws, and fontkit's full OpenType shaping (script
 * detection, GSUB and GPOS lookups) cost about a quarter of an invoice's render time. Chinese text
 * needs none of it — no ligatures, no contextual forms, and Noto Sans SC's default glyphs are the
 * simplified-Chinese ones — so pdfkit gets a view of the font whose layout is a plain character to
 * glyph mapping. Latin kerning is the only thing lost, and our own measurements then match exactly
 * what is drawn.
 *
 * Subsetting (the font program embedded in each PDF) is ours too, from glyph data read once per
 * process (ttf-subset.ts).
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
  hasGlyphForCodePoint(codePoint: number): boolean;
  glyphForCodePoint(codePoint: number): FontkitGlyph;
  layout(text: string): GlyphRun;
}

interface Fontkit {
  create(buffer: Uint8Array): FontkitFont;
}

const FONT_MODULES: Record<FontWeight, string> = {
  regular: "@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf",
  bold: "@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf",
};

const localRequire = createRequire(import.meta.url);
const loaded = new Map<FontWeight, LoadedFont>();

export interface LoadedFont {
  font: FontkitFont;
  /** What pdfkit gets: the same font with character-to-glyph layout (see above). */
  pdfkitFont: FontkitFont;
  /** Advance width of each code point in em, filled lazily (wrapping measures every character). */
  advances: Map<number, number>;
}

function loadFontkit(): Fontkit {
  try {
    const pdfkitRequire = createRequire(localRequire.resolve("pdfkit"));
    return pdfkitRequire("fontkit") as Fontkit;
  } catch (cause) {
    throw new Error("documents: cannot load fontkit through pdfkit's dependencies", { cause });
  }
}

function forPdfkit(font: FontkitFont, source: TrueTypeSource): FontkitFont {
  // pdfkit scales the returned positions in place, so every call returns fresh position objects.
  const layout = (text: string): GlyphRun => {
    const glyphs: FontkitGlyph[] = [];
    const positions: GlyphPosition[] = [];
    let advanceWidth = 0;
    for (const char of text) {
      const glyph = font.glyphForCodePoint(char.codePointAt(0)!);
      glyphs.push(glyph);
      positions.push({ xAdvance: glyph.advanceWidth, yAdvance: 0, xOffset: 0, yOffset: 0 });
      advanceWidth += glyph.advanceWidth;
    }
    return { glyphs, positions, advanceWidth };
  };
  const createSubset = () => source.createSubset();
  // Everything else (metrics, tables) is the real font, read with the real font as `this`.
  return new Proxy(font, {
    get: (target, property) =>
      property === "layout"
        ? layout
        : property === "createSubset"
          ? createSubset
          : Reflect.get(target, property, target),
  });
}

export function getFont(weight: FontWeight): LoadedFont {
  let entry = loaded.get(weight);
  if (!entry) {
    const path = localRequire.resolve(FONT_MODULES[weight]);
    const bytes = readFileSync(path);
    const font = loadFontkit().create(bytes);
    entry = { font, pdfkitFont: forPdfkit(font, new TrueTypeSource(bytes)), advances: new Map() };
    loaded.set(weight, entry);
  }
  return entry;
}

/** Loads both weights now, so that the first request after boot does not pay for it. */
export function preloadDocumentFonts(): void {
  getFont("regular");
  getFont("bold");
}

/** Width of `text` in em (multiply by the font size for points); kerning is ignored. */
export function emWidth(weight: FontWeight, text: string): number {
  const { font, advances } = getFont(weight);
  let width = 0;
  for (const char of text) {
    const codePoint = char.codePointAt(0)!;
    let advance = advances.get(codePoint);
    if (advance === undefined) {
      advance = font.glyphForCodePoint(codePoint).advanceWidth / font.unitsPerEm;
      advances.set(codePoint, advance);
    }
    width += advance;
  }
  return width;
}
