import { describe, expect, it } from "vitest";
import { amountInCapitals } from "./capitals";

describe("价税合计 in Chinese capitals", () => {
  it.each([
    // DOMAIN.md §4 examples.
    ["1234.56", "壹仟贰佰叁拾肆圆伍角陆分"],
    ["100.00", "壹佰圆整"],
    ["1005.00", "壹仟零伍圆整"],
    ["10.05", "壹拾圆零伍分"],
    ["0.50", "伍角"],
    ["100000.00", "壹拾万圆整"],
    ["120003.40", "壹拾贰万零叁圆肆角"],
    // Our conventions around them.
    ["0.00", "零圆整"],
    ["0.01", "壹分"],
    ["0.05", "伍分"],
    ["0.55", "伍角伍分"],
    ["1", "壹圆整"],
    ["10.00", "壹拾圆整"],
    ["15.00", "壹拾伍圆整"],
    ["10.50", "壹拾圆伍角"],
    ["1050.00", "壹仟零伍拾圆整"],
    ["1500.00", "壹仟伍佰圆整"],
    ["1001.10", "壹仟零壹圆壹角"],
    ["10010.00", "壹万零壹拾圆整"],
    ["10100.00", "壹万零壹佰圆整"],
    ["110000.00", "壹拾壹万圆整"],
    ["1001000.00", "壹佰万壹仟圆整"],
    ["1000100.00", "壹佰万零壹佰圆整"],
    ["99999.99", "玖万玖仟玖佰玖拾玖圆玖角玖分"],
    ["100000000.00", "壹亿圆整"],
    ["100000001.00", "壹亿零壹圆整"],
    ["100100000.07", "壹亿零壹拾万圆零柒分"],
    ["120000000.00", "壹亿贰仟万圆整"],
    ["1000000000000.00", "壹万亿圆整"],
    ["1000100000000.00", "壹万零壹亿圆整"],
    ["9999999999999999.99", "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖圆玖角玖分"],
  ])("%s → %s", (amount, capitals) => {
    expect(amountInCapitals(amount)).toBe(capitals);
  });

  it("prints （负数） before a red invoice's amount, as real red invoices do", () => {
    expect(amountInCapitals("-14000.00")).toBe("（负数）壹万肆仟圆整");
    expect(amountInCapitals("-1234.56")).toBe("（负数）壹仟贰佰叁拾肆圆伍角陆分");
    expect(amountInCapitals("-0.50")).toBe("（负数）伍角");
    expect(amountInCapitals("-0.00")).toBe("零圆整");
  });

  it("throws on what is not an amount (a programming error)", () => {
    expect(() => amountInCapitals("1e3")).toThrow();
    expect(() => amountInCapitals("10000000000000000.00")).toThrow(RangeError);
  });
});
