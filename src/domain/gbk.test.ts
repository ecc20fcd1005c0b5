import { describe, expect, it } from "vitest";
import type { DomainIssue } from "./errors";
import { gbkByteLength, readText, validateRemark } from "./gbk";

describe("GBK byte length", () => {
  it.each([
    ["", 0],
    ["abc", 3],
    ["午餐", 4],
    ["*餐饮服务*午餐", 14],
    ["１２３", 6],
    ["，。", 4],
    ["é", 2],
    ["😀", 2],
    ["A座1001室", 9],
  ])("%j is %i bytes", (text, bytes) => {
    expect(gbkByteLength(text)).toBe(bytes);
  });
});

describe("a text field goes through the text gate", () => {
  const read = (value: unknown, multiline = false) => {
    const issues: DomainIssue[] = [];
    const text = readText(value, { path: "f", label: "名称", required: true, multiline }, issues);
    return { text, issues: issues.map((i) => [i.code, i.message]) };
  };
  it.each([
    ["a\tb", false],
    ["a\nb", false],
    ["a\u0000b", true],
    ["a\u0085b", false],
    ["a\u202eb", true],
    ["a\ud800b", true],
    ["a\uffffb", true],
  ])("%j is refused with a field issue (multi-line: %s)", (value, multiline) => {
    const r = read(value, multiline);
    expect(r.text).toBeNull();
    expect(r.issues).toEqual([["TEXT_INVALID_CHARACTER", expect.stringMatching(/^名称/)]]);
  });
  it("keeps line breaks in multi-line fields (CR LF as LF), NFC-normalises and trims", () => {
    expect(read("a\r\nb", true)).toEqual({ text: "a\nb", issues: [] });
    expect(read(" Cafe\u0301 ")).toEqual({ text: "Café", issues: [] });
    expect(read("桌号 12")).toEqual({ text: "桌号 12", issues: [] });
  });
});

describe("remark", () => {
  it("is optional, trimmed, multi-line, at most 200 bytes", () => {
    expect(validateRemark(undefined)).toEqual({ ok: true, value: null });
    expect(validateRemark("  桌号 12\n人数 4 ")).toEqual({ ok: true, value: "桌号 12\n人数 4" });
    expect(validateRemark("备".repeat(100))).toEqual({ ok: true, value: "备".repeat(100) });
    const r = validateRemark(`${"备".repeat(100)}x`);
    expect(r.ok ? [] : r.issues.map((i) => [i.code, i.path, i.details])).toEqual([
      ["TEXT_TOO_LONG", "remark", { bytes: "201", maxBytes: "200" }],
    ]);
  });
});
