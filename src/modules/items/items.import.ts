import { AppError } from "../../platform/errors";
import {
  columnName,
  importLimitExceeded,
  MAX_CELL_CHARS,
  MAX_COLUMNS,
  MAX_IMPORT_ROWS,
} from "./items.import-limits";
import { readFirstWorksheet } from "./items.import-xlsx";

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

export type SheetRecord = Record<string, string>;

/**
 * The records of an uploaded sheet, read within the import limits (items.import-limits.ts): an
 * .xlsx's first worksheet as a stream (items.import-xlsx.ts), a CSV row by row; both stop at the
 * first row beyond the limit, keep only the columns that are imported, and refuse an over-long cell.
 */
export async function readItemSheet(fileName: string, data: Buffer): Promise<SheetRecord[]> {
  return (await readItemSheetRows(fileName, data)).records;
}

/** An uploaded sheet's records with, for each, its row number in the file, and each field's column title. */
export interface ItemSheet {
  records: SheetRecord[];
  /** The row (line of a CSV, row of the worksheet) each record was read from, counting from 1. */
  rowNumbers: number[];
  /** Each imported field's column as the file names it (its header text). */
  columns: Record<string, string>;
}

/** readItemSheet, keeping where each record came from, for an error report by row and column. */
export async function readItemSheetRows(fileName: string, data: Buffer): Promise<ItemSheet> {
  const collector = new RecordCollector();
  const row = (rowNumber: number, cells: string[]) => collector.row(rowNumber, cells);
  if (/\.xls$/i.test(fileName) || data.subarray(0, 4).equals(OLE_SIGNATURE))
    throw AppError.validation({
      file: "仅支持 .xlsx 格式的 Excel 文件（可在 Excel 中另存为 .xlsx 或“CSV UTF-8”）",
    });
  if (/\.xlsx$/i.test(fileName) || data.subarray(0, 2).toString("latin1") === "PK")
    await readFirstWorksheet(data, row);
  else {
    for (const [rowNumber, cells] of csvRows(decodeText(data))) row(rowNumber, cells);
  }
  return collector.finish();
}

/** The first bytes of an old binary .xls (an OLE compound file). */
const OLE_SIGNATURE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0]);

/**
 * Turns rows into records: the first non-blank row is the header (its columns mapped to our fields,
 * and missing required ones refused at once), blank rows are skipped, the rest become records of the
 * mapped columns only.
 */
class RecordCollector {
  private fields: Array<string | undefined> | null = null;
  private readonly records: SheetRecord[] = [];
  private readonly rowNumbers: number[] = [];
  private readonly columns: Record<string, string> = {};

  row(rowNumber: number, cells: string[]): void {
    if (!cells.some((c) => c.trim() !== "")) return;
    if (!this.fields) {
      this.fields = cells.map(
        (h) => HEADERS[h.trim().replace(/\s+/g, "").toLowerCase()] ?? HEADERS[h.trim()],
      );
      this.fields.forEach((f, i) => {
        if (f && !this.columns[f]) this.columns[f] = cells[i]!.trim();
      });
      const missing = REQUIRED.filter((f) => !this.fields?.includes(f));
      if (missing.length > 0)
        throw AppError.validation({ file: `缺少列：${missing.join("、")}（第一行应为列名）` });
      return;
    }
    if (this.records.length >= MAX_IMPORT_ROWS)
      throw importLimitExceeded(`一次最多导入 ${MAX_IMPORT_ROWS} 行（第 ${rowNumber} 行超出），请分批导入`);
    const record: SheetRecord = {};
    this.fields.forEach((f, i) => {
      if (!f) return;
      const text = cells[i] ?? "";
      if (text.length > MAX_CELL_CHARS)
        throw importLimitExceeded(
          `第 ${rowNumber} 行 ${columnName(i + 1)} 列的内容超过 ${MAX_CELL_CHARS} 个字符，请检查`,
        );
      record[f] = text.trim();
    });
    if (record.zeroRateKind) record.zeroRateKind = ZERO_KINDS[record.zeroRateKind] ?? record.zeroRateKind;
    this.records.push(record);
    this.rowNumbers.push(rowNumber);
  }

  finish(): ItemSheet {
    if (!this.fields) throw AppError.validation({ file: "文件为空" });
    return { records: this.records, rowNumbers: this.rowNumbers, columns: this.columns };
  }
}

const REQUIRED = ["code", "name", "shortName", "taxCode", "taxRate"];

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
  return Array.from(csvRows(text), ([, cells]) => cells);
}

/**
 * CSV rows one at a time, each with the line it starts on. Cells are kept up to MAX_CELL_CHARS + 1
 * characters and rows up to MAX_COLUMNS cells, so a hostile file costs no more memory than a fair one.
 */
function* csvRows(text: string): Generator<[number, string[]]> {
  const keep = MAX_CELL_CHARS + 1;
  let row: string[] = [];
  let cell = "";
  let columns = 0;
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const add = (ch: string) => {
    if (cell.length < keep) cell += ch;
  };
  const endCell = () => {
    columns++;
    if (columns <= MAX_COLUMNS) row.push(cell);
    cell = "";
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        add('"');
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === "\n") line++;
        add(ch);
      }
    } else if (ch === '"' && cell === "") quoted = true;
    else if (ch === ",") endCell();
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      endCell();
      yield [rowLine, row];
      line++;
      rowLine = line;
      row = [];
      columns = 0;
    } else add(ch);
  }
  if (cell !== "" || row.length > 0) {
    endCell();
    yield [rowLine, row];
  }
}
