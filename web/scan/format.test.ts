import { describe, expect, it } from "vitest";
import type { ReceiptLine } from "./api";
import {
  compareAmounts,
  contactsText,
  formatAmount,
  formatChinaDateTime,
  formatMoney,
  formatUnitPrice,
  invoiceFileName,
  lineDetail,
  maskEmail,
  maskMobile,
  trimDecimal,
} from "./format";

describe("money display", () => {
  it.each([
    ["0.00", "0.00"],
    ["5", "5.00"],
    ["12.5", "12.50"],
    ["1240.50", "1,240.50"],
    ["1234567.89", "1,234,567.89"],
    ["-36.00", "-36.00"],
    ["-1000", "-1,000.00"],
    ["007.10", "7.10"],
    ["abc", "abc"],
  ])("formatAmount(%s) = %s", (input, expected) => {
    expect(formatAmount(input)).toBe(expected);
  });

  it("puts the sign before the currency mark", () => {
    expect(formatMoney("1204.50")).toBe("¥1,204.50");
    expect(formatMoney("-36.00")).toBe("-¥36.00");
  });

  it("shows quantities without trailing zeros and unit prices with at least two decimals", () => {
    expect(trimDecimal("2.000")).toBe("2");
    expect(trimDecimal("0.5000")).toBe("0.5");
    expect(trimDecimal("3")).toBe("3");
    expect(formatUnitPrice("388.00")).toBe("¥388.00");
    expect(formatUnitPrice("12.5")).toBe("¥12.50");
    expect(formatUnitPrice("3.14159000")).toBe("¥3.14159");
    expect(formatUnitPrice("1000")).toBe("¥1,000.00");
  });
});

describe("compareAmounts", () => {
  it.each([
    ["10000.00", "10000", 0],
    ["10000.01", "10000.00", 1],
    ["9999.99", "10000.00", -1],
    ["0.10", "0.09", 1],
    ["100", "99.999", 1],
    ["-5.00", "1.00", -1],
    ["-5.00", "-4.00", -1],
    ["-0.00", "0", 0],
    ["00012.3", "12.30", 0],
  ])("compareAmounts(%s, %s) = %d", (a, b, expected) => {
    expect(compareAmounts(a, b)).toBe(expected);
  });
});

describe("purchase line detail", () => {
  const line = (over: Partial<ReceiptLine>): ReceiptLine => ({
    kind: "normal",
    itemName: "*住宿服务*标准间",
    name: "标准间",
    spec: "",
    unit: "间夜",
    quantity: "2",
    unitPrice: "388.00",
    amount: "776.00",
    taxRateLabel: "6%",
    ...over,
  });

  it("shows quantity, unit and price", () => {
    expect(lineDetail(line({}))).toBe("2 间夜 × ¥388.00");
    expect(lineDetail(line({ unit: "", quantity: "1.500", unitPrice: "10" }))).toBe("1.5 × ¥10.00");
  });

  it("adds the spec and leaves out what is missing", () => {
    expect(lineDetail(line({ spec: "1L" }))).toBe("1L · 2 间夜 × ¥388.00");
    expect(lineDetail(line({ quantity: null, unitPrice: null }))).toBe("");
    expect(lineDetail(line({ kind: "discount", quantity: null, unitPrice: null, amount: "-36.00" }))).toBe(
      "",
    );
  });
});

describe("China time", () => {
  it("shows an instant in UTC+8 whatever the phone's zone", () => {
    expect(formatChinaDateTime("2026-11-22T16:30:00Z")).toBe("2026-11-23 00:30");
    expect(formatChinaDateTime("2026-11-22T12:30:00+08:00")).toBe("2026-11-22 12:30");
    expect(formatChinaDateTime("2026-01-01T00:05:00+08:00", false)).toBe("2026-01-01");
  });

  it("copes with nothing or nonsense", () => {
    expect(formatChinaDateTime(null)).toBe("—");
    expect(formatChinaDateTime("soon")).toBe("soon");
  });
});

describe("masking what the consumer typed", () => {
  it("masks e-mail and mobile like the server does on re-scan", () => {
    expect(maskEmail("zhangsan@example.com")).toBe("z***n@example.com");
    expect(maskEmail("a@example.com")).toBe("a***@example.com");
    expect(maskMobile("13800138000")).toBe("138****8000");
  });

  it("leaves already masked or odd text alone", () => {
    expect(maskEmail("z***n@example.com")).toBe("z***n@example.com");
    expect(maskEmail("no-at-sign")).toBe("no-at-sign");
    expect(maskMobile("138****8000")).toBe("138****8000");
  });

  it("names the channels in one phrase", () => {
    expect(contactsText("zhangsan@example.com", "13800138000")).toBe(
      "邮箱 z***n@example.com、手机 138****8000",
    );
    expect(contactsText(null, "13800138000")).toBe("手机 138****8000");
    expect(contactsText(null, null)).toBe("");
  });
});

it("names downloaded files by the invoice number", () => {
  expect(invoiceFileName("26442000000000000123", "inv_1", "pdf")).toBe("发票_26442000000000000123.pdf");
  expect(invoiceFileName(null, "inv_1", "xml")).toBe("发票_inv_1.xml");
});
