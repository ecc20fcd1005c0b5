import ExcelJS from "exceljs";
import { AppError } from "../../platform/errors";

/**
 * Reads an item sheet (CSV or Excel) into records keyed by our field names. The first row is the
 * header; Chinese and English column names are both understood, in any order.
 */
const HEADERS: Record<string, string> = {
  编码: "code",
  开票项编码: "code",
  商品编码: "code",
  code: "code",
  名称: "name",
  项目名称: "name",
  商品名称: "name",
  name: "name",
  税收分类简称: "shortName",
  简称: "shortName",
  shortname: "shortName",
  税收分类编码: "taxCode",
  taxcode: "taxCode",
  税率: "taxRate",
  "税率/征收率": "taxRate",
  taxrate: "taxRate",
  零税率类型: "zeroRateKind",
  zeroratekind: "zeroRateKind",
  规格型号: "spec",
  规格: "spec",
  spec: "spec",
  单位: "unit",
  unit: "unit",
  单价: "unitPrice",
  unitprice: "unitPrice",
};

const ZERO_KINDS: Record<string, string> = {
  免税: "exempt",
  不征税: "not_taxable",
  普通零税率: "ordinary_zero",
  出口零税率: "export",
};

export const MAX_IMPORT_ROWS = 5000;

export type SheetRecord = Record<string, string>;

export async function readItemSheet(fileName: string, data: Buffer): Promise<SheetRecord[]> {
  const isExcel = /\.xlsx$/i.test(fileName) || data.subarray(0, 2).toString("latin1") === "PK";
  const table = isExcel ? await readXlsx(data) : parseCsv(decodeText(data));
  const [header, ...rows] = table.filter((r) => r.some((c) => c.trim() !== ""));
  if (!header) throw AppError.validation({ file: "文件为空" });
  const fields = header.map((h) => HEADERS[h.trim().replace(/\s+/g, "").toLowerCase()] ?? HEADERS[h.trim()]);
  const missing = ["code", "name", "shortName", "taxCode", "taxRate"].filter((f) => !fields.includes(f));
  if (missing.length > 0)
    throw AppError.validation({ file: `缺少列：${missing.join("、")}（第一行应为列名）` });
  if (rows.length > MAX_IMPORT_ROWS)
    throw AppError.validation({ file: `一次最多导入 ${MAX_IMPORT_ROWS} 行` });
  return rows.map((cells) => {
    const record: SheetRecord = {};
    fields.forEach((f, i) => {
      if (f) record[f] = (cells[i] ?? "").trim();
    });
    if (record.zeroRateKind) record.zeroRateKind = ZERO_KINDS[record.zeroRateKind] ?? record.zeroRateKind;
    return record;
  });
}

/** UTF-8 (with or without BOM); Excel in China often saves CSV as GBK, which we refuse clearly. */
function decodeText(data: Buffer): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(data).replace(/^\uFEFF/, "");
  } catch {
    throw AppError.validation({ file: "CSV 文件须为 UTF-8 编码（可在 Excel 中另存为“CSV UTF-8”）" });
  }
}

/** RFC 4180: quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === "") quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += ch;
  }
  if (cell !== "" || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

async function readXlsx(data: Buffer): Promise<string[][]> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(data as unknown as ArrayBuffer);
  } catch {
    throw AppError.validation({ file: "无法读取 Excel 文件（仅支持 .xlsx）" });
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) return [];
  const out: string[][] = [];
  sheet.eachRow({ includeEmpty: false }, (row) => {
    const cells: string[] = [];
    for (let c = 1; c <= sheet.columnCount; c++) cells.push(cellText(row.getCell(c).value));
    out.push(cells);
  });
  return out;
}

/** Cell values as text; numbers keep their shortest decimal form ("12.5", "3070401000000000000" as text). */
function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "object") {
    if ("richText" in value) return value.richText.map((r) => r.text).join("");
    if ("result" in value) return cellText(value.result as ExcelJS.CellValue);
    if ("text" in value) return String(value.text);
    if (value instanceof Date) return value.toISOString();
  }
  return String(value);
}
