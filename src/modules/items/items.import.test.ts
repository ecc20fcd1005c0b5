import zlib from "node:zlib";
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { buildXlsx, buildZip, inlineRows } from "../../../test/support/zip";
import { parseCsv, readItemSheet } from "./items.import";
import { MAX_CELL_CHARS, MAX_IMPORT_ROWS } from "./items.import-limits";
import { normalizeRate } from "./items.rules";

const HEADER = ["编码", "项目名称", "税收分类简称", "税收分类编码", "税率"];
const row = (i: number) => [`C${i}`, `项目${i}`, "餐饮服务", "3070401000000000000", "6%"];

async function refusal(reading: Promise<unknown>): Promise<{ code: string; message: string; file: string }> {
  const e = (await reading.then(
    () => {
      throw new Error("expected a refusal");
    },
    (err: unknown) => err,
  )) as { code: string; message: string; details: { fields: { file: string } } };
  return { code: e.code, message: e.message, file: e.details?.fields?.file };
}

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

  it("reads the first worksheet of a workbook Excel wrote, strings shared, numbers in short form", async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet("开票项");
    book.addWorksheet("其他").addRow(["不读这一张"]);
    sheet.addRow(["编码", "名称", "税收分类简称", "税收分类编码", "税率", "单位", "单价"]);
    sheet.addRow([]);
    sheet.addRow(["MILK-1L", "纯牛奶", "乳制品", 1030201000000000000, 0.13, "盒", 12.5]);
    sheet.addRow([
      "TEA",
      { richText: [{ text: "绿" }, { text: "茶" }] },
      "茶",
      "1010112000000000000",
      "13%",
      "",
      8,
    ]);
    const xlsx = Buffer.from(await book.xlsx.writeBuffer());
    expect(await readItemSheet("items.xlsx", xlsx)).toEqual([
      {
        code: "MILK-1L",
        name: "纯牛奶",
        shortName: "乳制品",
        taxCode: "1030201000000000000",
        taxRate: "0.13",
        unit: "盒",
        unitPrice: "12.5",
      },
      {
        code: "TEA",
        name: "绿茶",
        shortName: "茶",
        taxCode: "1010112000000000000",
        taxRate: "13%",
        unit: "",
        unitPrice: "8",
      },
    ]);
  });

  it("reads inline strings, cells placed by reference or in order, and leaves phonetic runs out", async () => {
    const xlsx = buildXlsx({
      sharedStrings: ["<t>项目名称</t>", "<r><t>午</t></r><r><t>餐</t></r><rPh><t>wu can</t></rPh>"],
      sheetData:
        inlineRows([["编码"]]).replace("</row>", "") +
        '<c t="s"><v>0</v></c><c r="D1" t="inlineStr"><is><t>税收分类编码</t></is></c>' +
        '<c r="C1" t="inlineStr"><is><t>税收分类简称</t></is></c><c r="E1" t="str"><v>税率</v></c>' +
        '<c r="F1" t="inlineStr"><is><t>规格型号</t></is></c></row>' +
        '<row r="3"><c r="A3" t="inlineStr"><is><t>LUNCH</t></is></c><c r="B3" t="s"><v>1</v></c>' +
        '<c r="C3" t="inlineStr"><is><t>餐饮服务</t></is></c><c r="D3" t="inlineStr"><is><t>3070401000000000000</t></is></c>' +
        '<c r="E3"><f>0.03*2</f><v>0.06</v></c><c r="F3" t="s"/></row>',
    });
    expect(await readItemSheet("a.xlsx", xlsx)).toEqual([
      {
        code: "LUNCH",
        name: "午餐",
        shortName: "餐饮服务",
        taxCode: "3070401000000000000",
        taxRate: "0.06",
        spec: "", // an empty shared-string cell is empty, not the first shared string
      },
    ]);
  });

  it("refuses a tiny archive declaring a huge sheet before reading it, and nothing else passes", async () => {
    const bomb = buildXlsx({ sheetData: inlineRows([HEADER, row(1)]), sheet: { declaredSize: 0xfffffff0 } });
    expect(bomb.length).toBeLessThan(2000);
    const e = await refusal(readItemSheet("items.xlsx", bomb));
    expect(e.code).toBe("IMPORT_LIMIT_EXCEEDED");
    expect(e.file).toMatch(/sheet1\.xml 解压后过大/);
  });

  it("refuses a real bomb whose header lies: a valid sheet followed by 64 MiB of spaces, declared 4 KB", async () => {
    const xml = `<worksheet><sheetData>${inlineRows([HEADER, row(1)])}`;
    const deflate = zlib.createDeflateRaw({ level: 9 });
    const compressed: Buffer[] = [];
    deflate.on("data", (c: Buffer) => compressed.push(c));
    deflate.write(xml);
    const spaces = Buffer.alloc(1024 * 1024, 0x20);
    for (let i = 0; i < 64; i++) deflate.write(spaces);
    deflate.end("</sheetData></worksheet>");
    await new Promise((resolve) => deflate.on("end", resolve));
    const sheet = { compressed: Buffer.concat(compressed), declaredSize: 4096 };
    expect(sheet.compressed.length).toBeLessThan(200_000);
    const e = await refusal(readItemSheet("items.xlsx", buildXlsx({ sheet })));
    expect(e.code).toBe("IMPORT_LIMIT_EXCEEDED");
    expect(e.file).toContain("实际解压大小超过其声明");
  });

  it("refuses a workbook with too many parts, and one whose shared strings declare a bomb's ratio", async () => {
    const many = buildXlsx({
      sheetData: inlineRows([HEADER]),
      extra: Array.from({ length: 1001 }, (_, i) => ({ name: `xl/media/image${i}.png`, data: "" })),
    });
    expect((await refusal(readItemSheet("items.xlsx", many))).file).toContain("文件过多");
    const ratio = buildXlsx({
      sheetData: inlineRows([HEADER]),
      extra: [{ name: "xl/sharedStrings.xml", data: "<sst/>", declaredSize: 30 * 1024 * 1024 }],
    });
    expect((await refusal(readItemSheet("items.xlsx", ratio))).file).toContain("压缩比异常");
  });

  it("stops at the first row beyond the limit, without reading the rest of the sheet", async () => {
    const rows = [HEADER, ...Array.from({ length: MAX_IMPORT_ROWS + 1 }, (_, i) => row(i))];
    // What follows the rows would be refused as unreadable if the reader went on.
    const xlsx = buildXlsx({ sheetData: `${inlineRows(rows)}<!DOCTYPE x>` });
    const e = await refusal(readItemSheet("items.xlsx", xlsx));
    expect(e).toMatchObject({
      code: "IMPORT_LIMIT_EXCEEDED",
      file: expect.stringContaining(`一次最多导入 ${MAX_IMPORT_ROWS} 行`),
    });
    expect(e.file).toContain(`第 ${MAX_IMPORT_ROWS + 2} 行超出`);
    const csv = rows.map((r) => r.join(",")).join("\n");
    expect((await refusal(readItemSheet("items.csv", Buffer.from(csv)))).code).toBe("IMPORT_LIMIT_EXCEEDED");
    const exactly = rows
      .slice(0, -1)
      .map((r) => r.join(","))
      .join("\n");
    expect(await readItemSheet("items.csv", Buffer.from(exactly))).toHaveLength(MAX_IMPORT_ROWS);
  });

  it("refuses an over-long cell in an imported column with its row and column, in .xlsx and CSV", async () => {
    const long = "长".repeat(MAX_CELL_CHARS + 1);
    const xlsx = buildXlsx({
      sheetData: inlineRows([HEADER, row(1), ["C2", long, "餐饮服务", "3070401000000000000", "6%"]]),
    });
    const e = await refusal(readItemSheet("items.xlsx", xlsx));
    expect(e).toEqual({
      code: "IMPORT_LIMIT_EXCEEDED",
      message: `第 3 行 B 列的内容超过 ${MAX_CELL_CHARS} 个字符，请检查`,
      file: `第 3 行 B 列的内容超过 ${MAX_CELL_CHARS} 个字符，请检查`,
    });
    const shared = buildXlsx({
      sharedStrings: [`<t>${long}</t>`],
      sheetData: `${inlineRows([HEADER])}<row r="2"><c r="C2" t="s"><v>0</v></c></row>`,
    });
    expect((await refusal(readItemSheet("items.xlsx", shared))).file).toContain("第 2 行 C 列");
    const csv = `${HEADER.join(",")}\nC1,"${long}",餐饮服务,3070401000000000000,6%\n`;
    expect((await refusal(readItemSheet("items.csv", Buffer.from(csv)))).file).toContain("第 2 行 B 列");
  });

  it("ignores long text in a column that is not imported", async () => {
    const csv = `${HEADER.join(",")},备注\n${row(1).join(",")},${"注".repeat(5000)}\n`;
    expect(await readItemSheet("items.csv", Buffer.from(csv))).toHaveLength(1);
  });

  it("refuses an old .xls, a DOCTYPE and a damaged archive as unreadable", async () => {
    const xls = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0]), Buffer.alloc(100)]);
    expect((await refusal(readItemSheet("items.xls", xls))).file).toContain("仅支持 .xlsx");
    const doctype = buildXlsx({ sheetData: '<!DOCTYPE x [<!ENTITY a "a">]>' });
    expect(await refusal(readItemSheet("items.xlsx", doctype))).toMatchObject({
      code: "VALIDATION_FAILED",
      file: expect.stringContaining("DOCTYPE"),
    });
    const cut = buildXlsx({ sheetData: inlineRows([HEADER]) }).subarray(0, 200);
    expect(await refusal(readItemSheet("items.xlsx", cut))).toMatchObject({
      code: "VALIDATION_FAILED",
      file: expect.stringContaining("无法读取 Excel 文件"),
    });
    const notZip = buildZip([]).subarray(0, 10);
    expect((await refusal(readItemSheet("items.xlsx", notZip))).file).toContain("不是有效的 zip");
  });
});
