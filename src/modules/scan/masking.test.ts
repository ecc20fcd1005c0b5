import { describe, expect, it } from "vitest";
import { maskEmail, maskMobile, maskTaxId } from "./masking";

describe("masking", () => {
  it.each([
    ["zhang.san@example.com", "z***n@example.com"],
    ["a@b.cn", "a***@b.cn"],
    ["broken", "***"],
    [null, null],
  ])("e-mail %s → %s", (input, expected) => {
    expect(maskEmail(input)).toBe(expected);
  });

  it.each([
    ["13800138000", "138****8000"],
    ["123", "****"],
    [undefined, null],
  ])("mobile %s → %s", (input, expected) => {
    expect(maskMobile(input)).toBe(expected);
  });

  it.each([
    ["91440300358768292H", "9144**********292H"],
    ["110101199003074514", "1101**********4514"],
    ["", ""],
  ])("tax ID %s → %s", (input, expected) => {
    expect(maskTaxId(input)).toBe(expected);
  });
});
