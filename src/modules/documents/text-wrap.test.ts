import { describe, expect, it } from "vitest";
import { clampLines, wrapText } from "./text-wrap";

// One unit per character keeps the expected breaks easy to read.
const measure = (text: string) => [...text].length;

describe("wrapText", () => {
  it("keeps text that fits on one line", () => {
    expect(wrapText("*餐饮服务*午餐", 20, measure)).toEqual(["*餐饮服务*午餐"]);
  });

  it("tidies whitespace in text that fits as in text that wraps", () => {
    expect(wrapText("a  b", 20, measure)).toEqual(["a b"]);
    expect(wrapText(" a b ", 20, measure)).toEqual(["a b"]);
    expect(wrapText("a\tb", 20, measure)).toEqual(["a b"]);
    expect(wrapText("一\u3000二", 20, measure)).toEqual(["一 二"]);
  });

  it("breaks Chinese anywhere", () => {
    expect(wrapText("一二三四五六七", 3, measure)).toEqual(["一二三", "四五六", "七"]);
  });

  it("breaks Latin words at spaces and drops the space at the break", () => {
    expect(wrapText("Apple iPhone Pro", 7, measure)).toEqual(["Apple", "iPhone", "Pro"]);
  });

  it("splits a word longer than a line, filling the current line first", () => {
    expect(wrapText("型号ABCDEFGHIJ", 5, measure)).toEqual(["型号ABC", "DEFGH", "IJ"]);
  });

  it("never starts a line with closing punctuation or ends one with opening punctuation", () => {
    expect(wrapText("一二三，四五", 3, measure)).toEqual(["一二", "三，四", "五"]);
    expect(wrapText("一二（三四", 3, measure)).toEqual(["一二", "（三四"]);
  });

  it("starts a new line at each line feed and gives nothing for empty text", () => {
    expect(wrapText("一二\n三", 10, measure)).toEqual(["一二", "三"]);
    expect(wrapText("", 10, measure)).toEqual([]);
  });

  it("keeps each line within the width whatever the text", () => {
    const text =
      "*乳制品*特仑苏纯牛奶 Deluxe 250ml×12盒 礼盒装（限量版本，包含赠品与手提袋）SKU-123456789012345";
    for (const width of [4, 7, 10, 25]) {
      const lines = wrapText(text, width, measure);
      for (const line of lines) expect(measure(line), line).toBeLessThanOrEqual(width);
      expect(lines.join("").replace(/ /g, "")).toBe(text.replace(/ /g, ""));
    }
  });
});

describe("clampLines", () => {
  it("cuts extra lines and ends the last kept one with an ellipsis that fits", () => {
    expect(clampLines(["一二三", "四五六", "七"], 2, 3, measure)).toEqual(["一二三", "四五…"]);
    expect(clampLines(["一二三"], 2, 3, measure)).toEqual(["一二三"]);
  });
});
