import { describe, expect, it } from "vitest";
import { crc16CcittFalse, crc16Hex, invoiceQrText, isQrTextIntact } from "./invoice-qr";

describe("CRC-16/CCITT-FALSE", () => {
  it.each([
    ["123456789", 0x29b1],
    ["", 0xffff],
    ["A", 0xb915],
  ])("crc(%j) = %s", (text, crc) => {
    expect(crc16CcittFalse(text)).toBe(crc);
  });

  it("takes bytes and strings as UTF-8 alike", () => {
    expect(crc16CcittFalse(new TextEncoder().encode("发票"))).toBe(crc16CcittFalse("发票"));
    expect(crc16CcittFalse(new Uint8Array([0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39]))).toBe(
      0x29b1,
    );
  });

  it("prints 4 uppercase hex digits, zero-padded", () => {
    expect(crc16Hex("123456789")).toBe("29B1");
    expect(crc16Hex("A")).toBe("B915");
    expect(crc16Hex("")).toBe("FFFF");
    expect(crc16Hex(new Uint8Array([0x21, 0xf9]))).toMatch(/^[0-9A-F]{4}$/);
  });
});

describe("invoice QR text", () => {
  const base = {
    invoiceType: "digital_normal" as const,
    number: "26442000000000000001",
    amountExcludingTax: "88.50",
    issuedAt: new Date("2026-11-22T12:30:00+08:00"),
  };

  it("reads 01,32,,number,amount,date,,crc for a 普票", () => {
    const text = invoiceQrText(base);
    const signed = "01,32,,26442000000000000001,88.50,20261122,";
    expect(text).toBe(`${signed},${crc16Hex(signed)}`);
    expect(text).toMatch(/^01,32,,\d{20},88\.50,20261122,,[0-9A-F]{4}$/);
    expect(isQrTextIntact(text)).toBe(true);
  });

  it("uses 31 for a 专票, the China date, 2 decimals and a minus for red", () => {
    const text = invoiceQrText({
      ...base,
      invoiceType: "digital_special",
      amountExcludingTax: "-100",
      issuedAt: new Date("2026-11-22T16:30:00Z"),
    });
    expect(text.split(",").slice(0, 6)).toEqual([
      "01",
      "31",
      "",
      "26442000000000000001",
      "-100.00",
      "20261123",
    ]);
    expect(isQrTextIntact(text)).toBe(true);
  });

  it("has a CRC that changes with the content", () => {
    const a = invoiceQrText(base);
    const b = invoiceQrText({ ...base, amountExcludingTax: "88.51" });
    expect(a.slice(-4)).not.toBe(b.slice(-4));
    expect(isQrTextIntact(a.replace("88.50", "88.51"))).toBe(false);
  });

  it("throws on a malformed number or amount", () => {
    expect(() => invoiceQrText({ ...base, number: "123" })).toThrow(RangeError);
    expect(() => invoiceQrText({ ...base, amountExcludingTax: "abc" })).toThrow(TypeError);
  });
});
