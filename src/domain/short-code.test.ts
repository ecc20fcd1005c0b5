import { describe, expect, it } from "vitest";
import { formatShortCode, normalizeShortCode, SHORT_CODE_ALPHABET, SHORT_CODE_SPACE } from "./short-code";

describe("开票码", () => {
  it("uses an alphabet without look-alikes, 29⁶ codes", () => {
    expect(SHORT_CODE_ALPHABET).toHaveLength(29);
    // One of each look-alike pair is left out: 0/O both, 1/I/L all, S (for 5), Z (for 2).
    for (const lookAlike of "0O1ILSZ") expect(SHORT_CODE_ALPHABET).not.toContain(lookAlike);
    expect(new Set(SHORT_CODE_ALPHABET).size).toBe(29);
    expect(SHORT_CODE_SPACE).toBe(594_823_321);
  });

  it("reads a code as typed: case, spaces and dashes do not matter", () => {
    expect(normalizeShortCode("k7m 3qx")).toBe("K7M3QX");
    expect(normalizeShortCode(" K7M-3QX ")).toBe("K7M3QX");
    expect(normalizeShortCode("K7M3QX7")).toBeNull();
    expect(normalizeShortCode("K7M3Q")).toBeNull();
    // A look-alike cannot be part of a code.
    expect(normalizeShortCode("K7M3Q0")).toBeNull();
    expect(normalizeShortCode("K7M3QO")).toBeNull();
  });

  it("prints as two groups of three", () => {
    expect(formatShortCode("K7M3QX")).toBe("K7M 3QX");
  });
});
