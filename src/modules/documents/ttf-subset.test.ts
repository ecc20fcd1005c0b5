import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { describeWithTools, runTool, runToolOk } from "../../../test/support/system-tools";
import { invoiceDocument } from "./documents.factories";
import { renderInvoicePdf } from "./invoice-pdf";
import { type FontkitFont, getFont } from "./pdf-fonts";
import { TrueTypeSource, TrueTypeSubset } from "./ttf-subset";

const localRequire = createRequire(import.meta.url);
const fontkit = createRequire(localRequire.resolve("pdfkit"))("fontkit") as {
  create(bytes: Uint8Array): FontkitFont & {
    numGlyphs: number;
    getGlyph(id: number): { path: { toSVG(): string }; advanceWidth: number };
  };
};
const fontBytes = readFileSync(
  localRequire.resolve("@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf"),
);

describe("TrueType subset", () => {
  const source = new TrueTypeSource(fontBytes);
  const original = fontkit.create(fontBytes);
  const text = "电子发票（普通发票）价税合计¥1,234.56 ABCxyz 餐饮服务*午餐 壹仟贰佰叁拾肆圆伍角陆分";

  it("is a font in which every included glyph has the original's outline and advance", () => {
    const subset = source.createSubset();
    const gids = [...new Set([...text].map((c) => original.glyphForCodePoint(c.codePointAt(0)!).id))];
    const ids = gids.map((gid) => subset.includeGlyph(gid));
    // .notdef first, then the glyphs in the order they were asked for.
    expect(ids).toEqual(gids.map((_, i) => i + 1));
    const parsed = fontkit.create(Buffer.from(subset.encode()));
    expect(parsed.numGlyphs).toBeGreaterThanOrEqual(gids.length + 1);
    gids.forEach((gid, i) => {
      const mine = parsed.getGlyph(ids[i]!);
      const theirs = original.getGlyph(gid);
      expect(mine.advanceWidth).toBe(theirs.advanceWidth);
      expect(mine.path.toSVG()).toBe(theirs.path.toSVG());
    });
  });

  it("is deterministic, and a new subset starts empty (only .notdef)", () => {
    const a = source.createSubset();
    const b = source.createSubset();
    for (const c of text) {
      a.includeGlyph(original.glyphForCodePoint(c.codePointAt(0)!).id);
      b.includeGlyph(original.glyphForCodePoint(c.codePointAt(0)!).id);
    }
    expect(Buffer.from(a.encode()).equals(Buffer.from(b.encode()))).toBe(true);
    const empty = fontkit.create(Buffer.from(source.createSubset().encode()));
    expect(empty.numGlyphs).toBe(1);
  });

  it("refuses a font without TrueType outlines when it is loaded", () => {
    const bytes = Buffer.from(fontBytes);
    // Rename the glyf table in the directory: the font now has no TrueType outlines.
    const at = bytes.indexOf("glyf", 12, "latin1");
    bytes.write("xxxx", at, "latin1");
    expect(() => new TrueTypeSource(bytes)).toThrow(/glyf/);
  });

  it("reads each weight's glyph data once per process", () => {
    for (const weight of ["regular", "bold"] as const) {
      expect(getFont(weight).source).toBe(getFont(weight).source);
      expect(getFont(weight).source.createSubset()).toBeInstanceOf(TrueTypeSubset);
    }
  });
});

describeWithTools(["pdffonts", "pdftoppm"], "embedded subset in a PDF", () => {
  it("is listed as an embedded TrueType subset and renders without font errors", async () => {
    const pdf = await renderInvoicePdf(invoiceDocument());
    const fonts = (await runToolOk("pdffonts", ["-"], pdf)).toString("utf8");
    expect(fonts).toMatch(/CID TrueType\s+Identity-H\s+yes\s+yes\s+yes/);
    const rendered = await runTool("pdftoppm", ["-r", "30", "-png", "-", "/tmp/piaoma-subset-check"], pdf);
    expect(rendered.exitCode).toBe(0);
    expect(rendered.stderr).not.toMatch(/error|warning/i);
  });
});
