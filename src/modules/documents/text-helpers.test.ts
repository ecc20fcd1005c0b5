import { describe, expect, it } from "vitest";
import { chinaDateLabel, chinaDateTime, chinaMinute } from "../../domain";
import { invoiceLine } from "./documents.factories";
import { capitalsFor, invoiceTitle, printedCells, remarkText, vatLabel } from "./invoice-text";
import { multiLine, singleLine, stripForbiddenChars } from "./text-sanitize";

describe("china time", () => {
  it("prints instants in UTC+8 whatever the server's zone", () => {
    const lateEvening = new Date("2024-12-31T16:05:09Z");
    expect(chinaDateLabel(lateEvening)).toBe("2025年01月01日");
    expect(chinaDateTime(lateEvening)).toBe("2025-01-01 00:05:09");
    expect(chinaMinute(lateEvening)).toBe("2025-01-01 00:05");
    expect(chinaDateLabel(new Date("2024-03-05T15:59:59Z"))).toBe("2024年03月05日");
  });

  it("refuses an invalid date", () => {
    expect(() => chinaDateLabel(new Date("nope"))).toThrow(RangeError);
  });
});

describe("text sanitizing", () => {
  it("removes what XML 1.0 forbids and keeps tab, line feed and carriage return", () => {
    expect(stripForbiddenChars("a\u0000b\u0008c\u000bd\u000ce\u001ff\ufffeg\uffffh")).toBe("abcdefgh");
    expect(stripForbiddenChars("a\tb\nc\rd")).toBe("a\tb\nc\rd");
    expect(stripForbiddenChars("x\ud800y\udc00z")).toBe("xyz");
    expect(stripForbiddenChars("𠀀 emoji 🧾")).toBe("𠀀 emoji 🧾");
  });

  it("makes single lines and paragraphs", () => {
    expect(singleLine("  北京\t示例\r\n科技 \u0007 ")).toBe("北京 示例 科技");
    expect(singleLine(undefined)).toBe("");
    expect(multiLine("第一行\r\n第二行\r第三行  末尾  ")).toBe("第一行\n第二行\n第三行 末尾");
  });
});

describe("invoice wording", () => {
  it("names the invoice type", () => {
    expect(invoiceTitle({ invoiceType: "digital_normal" })).toBe("电子发票（普通发票）");
    expect(invoiceTitle({ invoiceType: "digital_special" })).toBe("电子发票（增值税专用发票）");
    expect(vatLabel({ invoiceType: "digital_special" })).toEqual({ code: "01", name: "增值税专用发票" });
    expect(vatLabel({ invoiceType: "digital_normal" })).toEqual({ code: "02", name: "普通发票" });
  });

  it("starts a red invoice's capitals with （负数） exactly once, in place of an older 负", () => {
    const totals = { amountExcludingTax: "-12389.38", taxAmount: "-1610.62", totalAmount: "-14000.00" };
    const capitals = (color: "blue" | "red", totalInCapitals: string) =>
      capitalsFor({ color, totals: { ...totals, totalInCapitals } });
    expect(capitals("red", "壹万肆仟圆整")).toBe("（负数）壹万肆仟圆整");
    expect(capitals("red", "（负数）壹万肆仟圆整")).toBe("（负数）壹万肆仟圆整");
    expect(capitals("red", "负壹万肆仟圆整")).toBe("（负数）壹万肆仟圆整");
    expect(capitals("blue", "壹万肆仟圆整")).toBe("壹万肆仟圆整");
  });

  it("writes the red 备注 with the blue number and the 确认单 number when known, never the reason", () => {
    const reverses = { number: "24442000000000012345", reason: "销货退回" };
    expect(remarkText({ reverses })).toBe("被红冲蓝字数电发票号码：24442000000000012345");
    expect(
      remarkText({
        reverses: { ...reverses, confirmationNumber: "44030024030800000017" },
        remark: "退货单 RT-1",
      }),
    ).toBe(
      "被红冲蓝字数电发票号码：24442000000000012345 红字发票信息确认单编号：44030024030800000017\n退货单 RT-1",
    );
    expect(remarkText({ remark: " 桌号：A12 " })).toBe("桌号：A12");
    expect(remarkText({})).toBe("");
  });

  it("leaves 规格型号, 单位, 数量 and 单价 off a discount line and prints *** as the tax of 免税 and 不征税", () => {
    const discount = invoiceLine({ kind: "discount", spec: "1L", amount: "-8.85", tax: "-1.15" });
    expect(printedCells(discount)).toEqual({
      spec: "",
      unit: "",
      quantity: "",
      unitPrice: "",
      taxRate: "13%",
      tax: "-1.15",
    });
    const free = (
      zeroRateKind: "exempt" | "not_taxable" | "ordinary_zero" | "export",
      taxRateLabel: string,
    ) => printedCells(invoiceLine({ zeroRateKind, taxRate: "0", taxRateLabel, tax: "0.00" }));
    expect(free("exempt", "免税")).toMatchObject({ taxRate: "免税", tax: "***", quantity: "2" });
    expect(free("not_taxable", "不征税")).toMatchObject({ taxRate: "不征税", tax: "***" });
    expect(free("export", "0%")).toMatchObject({ taxRate: "0%", tax: "0.00" });
    expect(free("ordinary_zero", "0%")).toMatchObject({ taxRate: "0%", tax: "0.00" });
  });
});
