import { describe, expect, it } from "vitest";
import { chinaDateLabel, chinaDateTime, chinaMinute } from "./china-time";
import { capitalsFor, invoiceTitle, vatLabelName } from "./invoice-text";
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
    expect(vatLabelName({ invoiceType: "digital_special" })).toBe("增值税专用发票");
    expect(vatLabelName({ invoiceType: "digital_normal" })).toBe("普通发票");
  });

  it("starts a red invoice's capitals with 负 exactly once", () => {
    const totals = { amountExcludingTax: "-88.50", taxAmount: "-11.50", totalAmount: "-100.00" };
    expect(capitalsFor({ color: "red", totals: { ...totals, totalInCapitals: "壹佰圆整" } })).toBe(
      "负壹佰圆整",
    );
    expect(capitalsFor({ color: "red", totals: { ...totals, totalInCapitals: "负壹佰圆整" } })).toBe(
      "负壹佰圆整",
    );
    expect(capitalsFor({ color: "blue", totals: { ...totals, totalInCapitals: "壹佰圆整" } })).toBe(
      "壹佰圆整",
    );
  });
});
