import { describe, expect, it } from "vitest";
import { gbkByteLength, hasControlCharacter, validateRemark } from "./gbk";

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

describe("control characters", () => {
  it("are refused, except line breaks in multi-line fields", () => {
    expect(hasControlCharacter("a\tb")).toBe(true);
    expect(hasControlCharacter("a\nb")).toBe(true);
    expect(hasControlCharacter("a\nb", true)).toBe(false);
    expect(hasControlCharacter("a\r\nb", true)).toBe(false);
    expect(hasControlCharacter("a\u0000b", true)).toBe(true);
    expect(hasControlCharacter("a\u0085b")).toBe(true);
    expect(hasControlCharacter("桌号 12")).toBe(false);
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
