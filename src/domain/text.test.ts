import { describe, expect, it } from "vitest";
import { normalizeTaxId } from "./tax-id";
import {
  cleanText,
  findTextProblem,
  normalizeIdentifier,
  type TextProblem,
  textProblemMessage,
} from "./text";

const LONE_HIGH = "\ud800";
const LONE_LOW = "\udc00";

describe("the text gate: what a one-line field refuses", () => {
  it.each<[string, string, TextProblem]>([
    ["NUL", "\u0000", "control"],
    ["SOH", "\u0001", "control"],
    ["tab", "\t", "control"],
    ["ESC", "\u001b", "control"],
    ["unit separator", "\u001f", "control"],
    ["DEL", "\u007f", "control"],
    ["C1 PAD", "\u0080", "control"],
    ["C1 CSI", "\u009b", "control"],
    ["C1 APC", "\u009f", "control"],
    ["LF", "\n", "line_break"],
    ["CR", "\r", "line_break"],
    ["CR LF", "\r\n", "line_break"],
    ["NEL", "\u0085", "line_break"],
    ["line separator", "\u2028", "line_break"],
    ["paragraph separator", "\u2029", "line_break"],
    ["arabic letter mark", "\u061c", "bidi"],
    ["LRM", "\u200e", "bidi"],
    ["RLM", "\u200f", "bidi"],
    ["LRE", "\u202a", "bidi"],
    ["RLO", "\u202e", "bidi"],
    ["LRI", "\u2066", "bidi"],
    ["PDI", "\u2069", "bidi"],
    ["U+FDD0", "\ufdd0", "noncharacter"],
    ["U+FDEF", "\ufdef", "noncharacter"],
    ["U+FFFE", "\ufffe", "noncharacter"],
    ["U+FFFF", "\uffff", "noncharacter"],
    ["U+1FFFE", "\u{1fffe}", "noncharacter"],
    ["U+10FFFF", "\u{10ffff}", "noncharacter"],
    ["U+EFFFF", "\u{effff}", "noncharacter"],
    ["lone high surrogate", LONE_HIGH, "surrogate"],
    ["lone low surrogate", LONE_LOW, "surrogate"],
    ["surrogates in the wrong order", `${LONE_LOW}${LONE_HIGH}`, "surrogate"],
  ])("%s", (_name, bad, problem) => {
    for (const text of [bad, `张${bad}三`, `abc${bad}`, `${bad}abc`]) {
      expect(findTextProblem(text)).toBe(problem);
      expect(cleanText(text)).toEqual({ ok: false, problem });
    }
  });

  it.each([
    ["Chinese", "北京某某科技有限公司"],
    ["full-width punctuation and the ideographic space", "（北京）　分公司，。"],
    ["an emoji (a surrogate pair)", "午餐😀"],
    ["a CJK extension B character (a surrogate pair)", "𠀀𠀁"],
    ["U+FFFD typed on purpose", "a\ufffdb"],
    ["zero-width joiner in an emoji", "👩\u200d💻"],
    ["private use", "\ue000"],
    ["U+FDCF and U+FDF0, next to the non-characters", "\ufdcf\ufdf0"],
    ["U+1FFFD, next to a plane's non-characters", "\u{1fffd}"],
    ["Latin with accents", "Crème Brûlée"],
    ["symbols", "<script>' or 1=1 -- %00 \\0"],
  ])("lets through %s", (_name, text) => {
    expect(findTextProblem(text)).toBeNull();
    expect(cleanText(text)).toEqual({ ok: true, value: text });
  });
});

describe("the text gate: multi-line fields", () => {
  it("allow line feeds; CR LF and a lone CR become LF", () => {
    expect(cleanText("桌号 12\n人数 4", { multiline: true })).toEqual({ ok: true, value: "桌号 12\n人数 4" });
    expect(cleanText("a\r\nb\rc", { multiline: true })).toEqual({ ok: true, value: "a\nb\nc" });
    expect(findTextProblem("a\r\nb", { multiline: true })).toBeNull();
  });

  it.each<[string, TextProblem]>([
    ["\u0000", "control"],
    ["\t", "control"],
    ["\u001b", "control"],
    ["\u007f", "control"],
    ["\u0085", "line_break"],
    ["\u2028", "line_break"],
    ["\u2029", "line_break"],
    ["\u202e", "bidi"],
    ["\uffff", "noncharacter"],
    [LONE_HIGH, "surrogate"],
  ])("refuse everything else a one-line field refuses: %j", (bad, problem) => {
    expect(cleanText(`第一行\n第二${bad}行`, { multiline: true })).toEqual({ ok: false, problem });
  });
});

describe("the text gate: normalisation", () => {
  it("trims leading and trailing white space, the ideographic space and a BOM included", () => {
    expect(cleanText("  张三  ")).toEqual({ ok: true, value: "张三" });
    expect(cleanText("\u3000张三\u3000")).toEqual({ ok: true, value: "张三" });
    expect(cleanText("\ufeff张三")).toEqual({ ok: true, value: "张三" });
    expect(cleanText("\n备注\n\n", { multiline: true })).toEqual({ ok: true, value: "备注" });
  });

  it("NFC-normalises: a decomposed character is stored composed", () => {
    const decomposed = "Cafe\u0301";
    expect(cleanText(decomposed)).toEqual({ ok: true, value: "Caf\u00e9" });
    // Hangul jamo compose too; compatibility forms (full-width digits) are left alone.
    expect(cleanText("\u1100\u1161")).toEqual({ ok: true, value: "\uac00" });
    expect(cleanText("１２３")).toEqual({ ok: true, value: "１２３" });
  });

  it("checks before trimming: a line break at the end of a one-line field is refused, not dropped", () => {
    expect(cleanText("张三\n")).toEqual({ ok: false, problem: "line_break" });
    expect(cleanText("张三\u0000")).toEqual({ ok: false, problem: "control" });
  });
});

describe("identifiers (tax IDs): NFKC-folded, white space removed, uppercase", () => {
  it.each([
    ["９１４４０３００３５８７６８２９２Ｈ", "91440300358768292H"],
    ["91440300 358768292h", "91440300358768292H"],
    ["\u30009144 0300\u3000358768292H ", "91440300358768292H"],
    ["ｍａ２ｃｃ", "MA2CC"],
  ])("%j → %j", (typed, normalised) => {
    expect(normalizeIdentifier(typed)).toBe(normalised);
    expect(normalizeTaxId(typed)).toBe(normalised);
  });
});

describe("messages", () => {
  it.each<[TextProblem, RegExp]>([
    ["control", /^购买方名称不能包含控制字符/],
    ["line_break", /^购买方名称不能换行/],
    ["bidi", /^购买方名称不能包含文字方向控制字符/],
    ["noncharacter", /^购买方名称不能包含非字符码位/],
    ["surrogate", /^购买方名称包含无效的 Unicode 字符/],
  ])("%s names the field and the problem in Chinese", (problem, wording) => {
    expect(textProblemMessage(problem, "购买方名称")).toMatch(wording);
    expect(textProblemMessage(problem)).not.toMatch(/^购买方/);
  });
});
