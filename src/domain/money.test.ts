import { describe, expect, it } from "vitest";
import {
  compareDecimals,
  Dec,
  formatAmount,
  formatPrice,
  negateAmount,
  parseAmount,
  parseQuantity,
  parseUnitPrice,
  round2,
  sumAmounts,
  toDec,
} from "./money";

describe("round2 (half-up, ties away from zero)", () => {
  it.each([
    ["2.675", "2.68"],
    ["0.125", "0.13"],
    ["-0.125", "-0.13"],
    ["2.665", "2.67"],
    ["2.6749999", "2.67"],
    ["0.005", "0.01"],
    ["0.0049", "0.00"],
    ["-0.005", "-0.01"],
    ["-0.004", "0.00"],
    ["1.005", "1.01"],
    ["9999999999999999.995", "10000000000000000.00"],
  ])("%s → %s", (input, expected) => {
    expect(round2(new Dec(input)).toFixed(2)).toBe(expected);
  });

  it("never yields a negative zero", () => {
    expect(formatAmount("-0.001")).toBe("0.00");
    expect(round2(new Dec("-0.004")).isNegative()).toBe(false);
  });

  it("is not float arithmetic: 0.1 + 0.2 is 0.30 exactly and 1.005 rounds up", () => {
    expect(sumAmounts(["0.10", "0.20"])).toBe("0.30");
    expect(new Dec("0.1").plus("0.2").eq("0.3")).toBe(true);
    expect(formatAmount("1.005")).toBe("1.01");
  });
});

describe("parseAmount", () => {
  it.each([
    ["100", "100.00"],
    ["100.5", "100.50"],
    ["0.01", "0.01"],
    ["007.10", "7.10"],
    ["9999999999999999.99", "9999999999999999.99"],
    ["0000000000000000001", "1.00"],
  ])("accepts %j as %j", (input, expected) => {
    expect(parseAmount(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["1e3", "NUMBER_FORMAT_INVALID"],
    ["NaN", "NUMBER_FORMAT_INVALID"],
    ["Infinity", "NUMBER_FORMAT_INVALID"],
    ["+1", "NUMBER_FORMAT_INVALID"],
    [" 1", "NUMBER_FORMAT_INVALID"],
    ["1 ", "NUMBER_FORMAT_INVALID"],
    [".5", "NUMBER_FORMAT_INVALID"],
    ["5.", "NUMBER_FORMAT_INVALID"],
    ["1,000.00", "NUMBER_FORMAT_INVALID"],
    ["0x10", "NUMBER_FORMAT_INVALID"],
    ["１００", "NUMBER_FORMAT_INVALID"],
    ["", "FIELD_REQUIRED"],
    [undefined, "FIELD_REQUIRED"],
    [null, "FIELD_REQUIRED"],
    [100, "FIELD_TYPE_INVALID"],
    ["1.001", "NUMBER_TOO_MANY_DECIMALS"],
    ["10000000000000000", "NUMBER_TOO_MANY_DIGITS"],
    ["-1.00", "NUMBER_NOT_POSITIVE"],
    ["0", "NUMBER_NOT_POSITIVE"],
    ["-0.00", "NUMBER_NOT_POSITIVE"],
  ])("refuses %j with %s", (input, code) => {
    const r = parseAmount(input, "lines[2].amount");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues).toHaveLength(1);
      expect(r.issues[0]).toMatchObject({ code, path: "lines[2].amount" });
      expect(r.issues[0]?.message).toMatch(/金额/);
    }
  });

  it("takes negatives only when asked (discounts), and then refuses positives", () => {
    expect(parseAmount("-5.00", "discount", "negative")).toEqual({ ok: true, value: "-5.00" });
    const r = parseAmount("5.00", "discount", "negative");
    expect(r.ok ? null : r.issues[0]?.code).toBe("NUMBER_NOT_NEGATIVE");
    expect(parseAmount("-5", "x", "any")).toEqual({ ok: true, value: "-5.00" });
  });
});

describe("parseQuantity and parseUnitPrice", () => {
  it.each([
    ["2", "2"],
    ["2.500", "2.5"],
    ["0.0000000000001", "0.0000000000001"],
    ["12.5000000000000", "12.5"],
    ["9999999999999999.9999999999999", "9999999999999999.9999999999999"],
  ])("quantity %j → %j", (input, expected) => {
    expect(parseQuantity(input)).toEqual({ ok: true, value: expected });
    expect(parseUnitPrice(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["0.00000000000001", "NUMBER_TOO_MANY_DECIMALS"],
    ["0", "NUMBER_NOT_POSITIVE"],
    ["-2", "NUMBER_NOT_POSITIVE"],
    ["1e-3", "NUMBER_FORMAT_INVALID"],
    ["12345678901234567", "NUMBER_TOO_MANY_DIGITS"],
  ])("refuses %j with %s", (input, code) => {
    const q = parseQuantity(input);
    const p = parseUnitPrice(input);
    expect(q.ok ? null : q.issues[0]?.code).toBe(code);
    expect(p.ok ? null : p.issues[0]?.code).toBe(code);
  });
});

describe("formatting", () => {
  it.each([
    ["1.50000", "1.5"],
    ["100", "100"],
    ["0.12345678901234", "0.1234567890123"],
    ["0.12345678901235", "0.1234567890124"],
    ["0.00000000000005", "0.0000000000001"],
    ["0.00000000000004", "0"],
    ["123456789012345678.5", "123456789012345678.5"],
  ])("formatPrice(%s) = %s (13 decimals, half-up, no trailing zeros, no exponent)", (input, expected) => {
    expect(formatPrice(input)).toBe(expected);
  });

  it("formats amounts with exactly two decimals", () => {
    expect(formatAmount("5")).toBe("5.00");
    expect(formatAmount("-0.5")).toBe("-0.50");
    expect(negateAmount("88.50")).toBe("-88.50");
    expect(negateAmount("0.00")).toBe("0.00");
  });

  it("compares by value", () => {
    expect(compareDecimals("100", "100.00")).toBe(0);
    expect(compareDecimals("99.99", "100")).toBe(-1);
    expect(compareDecimals("-1", "-2")).toBe(1);
  });

  it("compares plain decimals as text exactly as by value (the fast path agrees with decimal.js)", () => {
    const texts = [
      "0",
      "0.00",
      "00.10",
      "0.1",
      "0.01",
      "1",
      "1.0",
      "9.99",
      "10",
      "010.000",
      "10.01",
      "99",
      "100",
      "100.5",
      "1000.00",
      "12345678901234567890.123",
      "12345678901234567890.1229",
    ];
    for (const a of texts)
      for (const b of [...texts, "-1", "-0.5"]) {
        const byValue = toDec(a).comparedTo(toDec(b));
        expect(compareDecimals(a, b), `${a} vs ${b}`).toBe(byValue);
        expect(compareDecimals(b, a), `${b} vs ${a}`).toBe(byValue === 0 ? 0 : -byValue);
      }
    expect(() => compareDecimals("1.", "2")).toThrow(TypeError);
    expect(() => compareDecimals("2", "")).toThrow(TypeError);
  });

  it("refuses to read back anything that is not a decimal string", () => {
    expect(() => toDec("1e3")).toThrow(TypeError);
    expect(() => toDec("")).toThrow(TypeError);
  });
});
