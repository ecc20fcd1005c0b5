import { describe, expect, it } from "vitest";
import {
  checkTaxId,
  isValidIdCard,
  isValidTaxId,
  isValidUscc,
  normalizeTaxId,
  orgCodeCheckCharacter,
  provinceCodeOf,
  usccCheckCharacter,
} from "./tax-id";

const VALID_USCC = ["91110000600037341L", "91440300358768292H", "91330110MA2CC1X505", "91440300665885384A"];

describe("统一社会信用代码 (GB 32100-2015)", () => {
  it.each(VALID_USCC)("%s is valid", (code) => {
    expect(isValidUscc(code)).toBe(true);
    expect(checkTaxId(code)).toBeNull();
  });

  it.each(VALID_USCC)("the last character of %s is the mod-31 check", (code) => {
    expect(usccCheckCharacter(code.slice(0, 17))).toBe(code.charAt(17));
  });

  it.each(VALID_USCC)("position 17 of %s is the organization-code check", (code) => {
    expect(orgCodeCheckCharacter(code.slice(8, 16))).toBe(code.charAt(16));
  });

  it("computes the organization-code check with X for 10 and 0 for 11", () => {
    // Σ(value × weight) mod 11 = 1 → c = 10 → X; = 0 → c = 11 → 0.
    expect(orgCodeCheckCharacter("MA2CC1X5")).toBe("0");
    expect(orgCodeCheckCharacter("00000001")).toBe("9");
    expect(orgCodeCheckCharacter("00000000")).toBe("0");
    expect(orgCodeCheckCharacter("00000010")).toBe("7");
    expect(orgCodeCheckCharacter("00000100")).toBe("3");
    expect(orgCodeCheckCharacter("40000000")).toBe("X");
  });

  it.each([
    ["91110000600037341M", "wrong mod-31 check"],
    ["91110000600037342L", "wrong organization-code check"],
    ["91440300358768292I", "I is not in the alphabet"],
    ["91440300358768292O", "O is not in the alphabet"],
    ["9144030035876829H", "17 characters"],
    ["91440300358768292h", "lowercase (normalise first)"],
  ])("%s is invalid: %s", (code) => {
    expect(isValidUscc(code)).toBe(false);
  });

  it("catches every single-character change of a valid code", () => {
    const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    for (const code of VALID_USCC) {
      for (let pos = 0; pos < 18; pos++) {
        for (const ch of alphabet) {
          if (ch === code[pos]) continue;
          const changed = code.slice(0, pos) + ch + code.slice(pos + 1);
          expect(isValidUscc(changed), changed).toBe(false);
        }
      }
    }
  });
});

describe("tax ID format", () => {
  it("normalises by uppercasing and removing spaces (also full-width)", () => {
    expect(normalizeTaxId(" 9144 0300 3587 6829 2h ")).toBe("91440300358768292H");
    expect(normalizeTaxId("91440300\u3000358768292H")).toBe("91440300358768292H");
  });

  it.each([
    ["110101123456789", null],
    ["11010112345678901", null],
    ["11010519491231002X01", null],
    ["110101MA12345AB", null],
    ["91440300358768292H", null],
    ["91440300358768292A", "check"],
    ["1101011234567", "format"],
    ["1101011234567890", "format"],
    ["110101123456789012345", "format"],
    ["110101-12345678", "format"],
    ["９１４４０３００３５８７６８２９２Ｈ", "format"],
  ])("%s → %s", (taxId, problem) => {
    expect(checkTaxId(taxId)).toBe(problem);
  });

  it("isValidTaxId normalises first", () => {
    expect(isValidTaxId("91440300 358768292h")).toBe(true);
    expect(isValidTaxId("91440300358768292X")).toBe(false);
  });

  it("finds the province: positions 3–4 of a USCC, 1–2 otherwise", () => {
    expect(provinceCodeOf("91440300358768292H")).toBe("44");
    expect(provinceCodeOf("91110000600037341L")).toBe("11");
    expect(provinceCodeOf("91330110MA2CC1X505")).toBe("33");
    expect(provinceCodeOf("310101123456789")).toBe("31");
    expect(provinceCodeOf("91AB0000600037341L")).toBeNull();
  });
});

describe("ID card (GB 11643)", () => {
  it.each([
    ["11010519491231002X", true],
    ["110105194912310021", false],
    ["440524188001010014", true],
    ["440524188001010015", false],
    ["11010519491231002x", false],
    ["1101051949123100", false],
    ["A1010519491231002X", false],
  ])("%s → %s", (id, valid) => {
    expect(isValidIdCard(id)).toBe(valid);
  });
});
