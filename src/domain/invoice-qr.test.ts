import { describe, expect, it } from "vitest";
import { crc16Hex, crc16Umts, invoiceQrText, isQrTextIntact } from "./invoice-qr";

/** QR texts read from real 数电 invoices (DOMAIN.md §7): a 普票 of 0.01 and a 专票 of 633.00. */
const REAL_QR_TEXTS = [
  "01,32,,24312000000136634917,0.01,20240514,,1DD6",
  "01,31,,24312000000358032546,633.00,20241118,,16C0",
];

describe("CRC-16/UMTS", () => {
  it.each([
    ["123456789", 0xfee8],
    ["", 0x0000],
    ["A", 0x0186],
  ])("crc(%j) = %s", (text, crc) => {
    expect(crc16Umts(text)).toBe(crc);
  });

  it("takes bytes and strings as UTF-8 alike", () => {
    expect(crc16Umts(new TextEncoder().encode("发票"))).toBe(crc16Umts("发票"));
    expect(crc16Umts(new Uint8Array([0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39]))).toBe(0xfee8);
  });

  it("prints 4 uppercase hex digits, zero-padded", () => {
    expect(crc16Hex("123456789")).toBe("FEE8");
    expect(crc16Hex("")).toBe("0000");
    expect(crc16Hex(new Uint8Array([0x21, 0xf9]))).toMatch(/^[0-9A-F]{4}$/);
  });
});

describe("the QR texts of real invoices", () => {
  it.each(REAL_QR_TEXTS)("%s verifies", (text) => {
    expect(isQrTextIntact(text)).toBe(true);
  });

  it.each(REAL_QR_TEXTS)("%s fails with any one digit of its content changed", (text) => {
    const crcAt = text.lastIndexOf(",") + 1;
    for (let i = 0; i < crcAt; i++) {
      const ch = text[i]!;
      if (!/\d/.test(ch)) continue;
      const changed = `${text.slice(0, i)}${(Number(ch) + 1) % 10}${text.slice(i + 1)}`;
      expect(isQrTextIntact(changed), changed).toBe(false);
    }
  });

  it("fails with a changed, missing or lowercase checksum", () => {
    const [text] = REAL_QR_TEXTS as [string];
    expect(isQrTextIntact(text.replace(/1DD6$/, "1DD7"))).toBe(false);
    expect(isQrTextIntact(text.replace(/1DD6$/, "1dd6"))).toBe(false);
    expect(isQrTextIntact(text.replace(/1DD6$/, ""))).toBe(false);
    expect(isQrTextIntact("")).toBe(false);
  });

  it("is what invoiceQrText writes for the same invoice", () => {
    expect(
      invoiceQrText({
        invoiceType: "digital_normal",
        number: "24312000000136634917",
        totalAmount: "0.01",
        issuedAt: new Date("2024-05-14T10:00:00+08:00"),
      }),
    ).toBe(REAL_QR_TEXTS[0]);
    expect(
      invoiceQrText({
        invoiceType: "digital_special",
        number: "24312000000358032546",
        totalAmount: "633",
        issuedAt: new Date("2024-11-18T09:00:00+08:00"),
      }),
    ).toBe(REAL_QR_TEXTS[1]);
  });
});

describe("invoice QR text", () => {
  const base = {
    invoiceType: "digital_normal" as const,
    number: "26442000000000000001",
    totalAmount: "100.00",
    issuedAt: new Date("2026-11-22T12:30:00+08:00"),
  };

  it("reads 01,32,,number,价税合计,date,,crc for a 普票", () => {
    const text = invoiceQrText(base);
    const signed = "01,32,,26442000000000000001,100.00,20261122,,";
    expect(text).toBe(`${signed}${crc16Hex(signed)}`);
    expect(isQrTextIntact(text)).toBe(true);
  });

  it("uses 31 for a 专票, the China date, 2 decimals and a minus for red", () => {
    const text = invoiceQrText({
      ...base,
      invoiceType: "digital_special",
      totalAmount: "-113",
      issuedAt: new Date("2026-11-22T16:30:00Z"),
    });
    expect(text.split(",").slice(0, 7)).toEqual([
      "01",
      "31",
      "",
      "26442000000000000001",
      "-113.00",
      "20261123",
      "",
    ]);
    expect(isQrTextIntact(text)).toBe(true);
  });

  it("has a CRC that changes with the content", () => {
    const a = invoiceQrText(base);
    const b = invoiceQrText({ ...base, totalAmount: "100.01" });
    expect(a.slice(-4)).not.toBe(b.slice(-4));
    expect(isQrTextIntact(a.replace("100.00", "100.01"))).toBe(false);
  });

  it("throws on a malformed number or amount", () => {
    expect(() => invoiceQrText({ ...base, number: "123" })).toThrow(RangeError);
    expect(() => invoiceQrText({ ...base, totalAmount: "abc" })).toThrow(TypeError);
  });
});
