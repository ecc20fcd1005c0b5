import { describe, expect, it } from "vitest";
import { parseCsv, readItemSheet } from "./items.import";
import { normalizeRate } from "./items.rules";

describe("item sheets", () => {
  it.each([
    ["13%", "0.13"],
    ["1.5%", "0.015"],
    ["0%", "0"],
    ["6", "0.06"],
    ["0.09", "0.09"],
    ["0", "0"],
    ["abc", "abc"],
  ])("reads the rate %j as %j", (text, rate) => {
    expect(normalizeRate(text)).toBe(rate);
  });

  it("parses quoted CSV fields with commas, quotes and line breaks", () => {
    expect(parseCsv('a,"b, c","say ""hi"""\r\n"multi\nline",x,\n')).toEqual([
      ["a", "b, c", 'say "hi"'],
      ["multi\nline", "x", ""],
    ]);
  });

  it("maps Chinese headers and zero-rate names, skipping blank lines", async () => {
    const csv =
      "\uFEFF编码,项目名称,税收分类简称,税收分类编码,税率,零税率类型\n\nBOOK,图书,图书,1060101000000000000,0%,免税\n";
    expect(await readItemSheet("a.csv", Buffer.from(csv))).toEqual([
      {
        code: "BOOK",
        name: "图书",
        shortName: "图书",
        taxCode: "1060101000000000000",
        taxRate: "0%",
        zeroRateKind: "exempt",
      },
    ]);
  });

  it("refuses a CSV that is not UTF-8 with a hint at the file field", async () => {
    const gbk = Buffer.from([0xb1, 0xe0, 0xc2, 0xeb, 0x2c, 0x61]);
    await expect(readItemSheet("a.csv", gbk)).rejects.toMatchObject({
      details: { fields: { file: expect.stringContaining("UTF-8") } },
    });
  });
});
