import { AppError } from "../../platform/errors";
import { XmlError, type XmlHandler, XmlScanner } from "../../platform/xml-scanner";
import { openZip, readZipEntry, type ZipArchive, ZipError } from "../../platform/zip-reader";
import {
  importLimitExceeded,
  MAX_CELL_CHARS,
  MAX_COLUMNS,
  MAX_SHARED_STRING_CHARS,
  MAX_SHARED_STRINGS,
  XLSX_ZIP_LIMITS,
} from "./items.import-limits";

/**
 * Reads the first worksheet of an .xlsx row by row, without a spreadsheet library: the archive is
 * judged by its central directory first (sizes, entries, ratio — zip-reader.ts), then only the parts
 * needed are inflated and tokenized as streams: the package and workbook relationships, the workbook
 * (to find the first sheet), the shared strings and the sheet itself. Every cell's text is cut at
 * MAX_CELL_CHARS + 1 characters as it is read, so the caller can refuse an over-long cell without
 * ever holding it; the caller stops the reading (by throwing) at its row limit.
 */

/** One row: its number in the sheet (1-based) and its cells, column A first, "" where empty. */
export type RowHandler = (rowNumber: number, cells: string[]) => void;

const REL_OFFICE_DOCUMENT = /\/officeDocument$/;
const REL_SHARED_STRINGS = /\/sharedStrings$/;
const KEEP = MAX_CELL_CHARS + 1;

export async function readFirstWorksheet(data: Buffer, onRow: RowHandler): Promise<void> {
  try {
    const archive = openZip(data, XLSX_ZIP_LIMITS);
    const workbookPath =
      (await readRelationships(archive, "_rels/.rels")).find((r) => REL_OFFICE_DOCUMENT.test(r.type))
        ?.target ?? "xl/workbook.xml";
    const workbookRels = await readRelationships(archive, relsPathOf(workbookPath));
    const sheetRelId = await firstSheetRelationship(archive, workbookPath);
    const sheetRel = workbookRels.find((r) => r.id === sheetRelId);
    if (!sheetRel) throw unreadable("找不到第一个工作表");
    const sharedRel = workbookRels.find((r) => REL_SHARED_STRINGS.test(r.type));
    const shared = sharedRel ? await readSharedStrings(archive, resolve(workbookPath, sharedRel.target)) : [];
    const found = await scanPart(
      archive,
      resolve(workbookPath, sheetRel.target),
      sheetHandler(shared, onRow),
    );
    if (!found) throw unreadable("找不到第一个工作表");
  } catch (e) {
    if (e instanceof ZipError) {
      const beyondLimits = e.problem !== "not_zip" && e.problem !== "corrupt" && e.problem !== "unsupported";
      throw beyondLimits ? importLimitExceeded(e.message) : unreadable(e.message);
    }
    if (e instanceof AppError) throw e;
    if (e instanceof XmlError) throw unreadable(e.message);
    throw e;
  }
}

function unreadable(reason: string): AppError {
  return AppError.validation({ file: `无法读取 Excel 文件：${reason}（仅支持 .xlsx）` });
}

/** Feeds one part of the package to a handler; false when the package has no such part. */
async function scanPart(archive: ZipArchive, path: string, handler: XmlHandler): Promise<boolean> {
  const entry = archive.entries.get(path.toLowerCase());
  if (!entry) return false;
  const scanner = new XmlScanner(handler);
  for await (const chunk of readZipEntry(archive, entry)) scanner.write(chunk);
  scanner.end();
  return true;
}

interface Relationship {
  id: string;
  type: string;
  target: string;
}

async function readRelationships(archive: ZipArchive, path: string): Promise<Relationship[]> {
  const found: Relationship[] = [];
  await scanPart(archive, path, {
    open: (name, a) => {
      if (name === "Relationship" && found.length < 10_000 && a.TargetMode !== "External")
        found.push({ id: a.Id ?? "", type: a.Type ?? "", target: a.Target ?? "" });
    },
    close: () => {},
    text: () => {},
  });
  return found;
}

/** The relationship id of the workbook's first <sheet> (the first tab, hidden or not). */
async function firstSheetRelationship(archive: ZipArchive, workbookPath: string): Promise<string> {
  let id: string | undefined;
  await scanPart(archive, workbookPath, {
    open: (name, a) => {
      if (name !== "sheet" || id !== undefined) return;
      const key = Object.keys(a).find((k) => k.endsWith(":id"));
      id = key ? a[key] : "";
    },
    close: () => {},
    text: () => {},
  });
  if (id === undefined) throw unreadable("工作簿中没有工作表");
  return id;
}

/** `xl/workbook.xml` → `xl/_rels/workbook.xml.rels`. */
function relsPathOf(part: string): string {
  const slash = part.lastIndexOf("/");
  return `${part.slice(0, slash + 1)}_rels/${part.slice(slash + 1)}.rels`;
}

/** A relationship target, relative to the part that names it or absolute from the package root. */
function resolve(fromPart: string, target: string): string {
  const base = target.startsWith("/") ? [] : fromPart.split("/").slice(0, -1);
  for (const segment of target.split("/")) {
    if (segment === "..") base.pop();
    else if (segment !== "." && segment !== "") base.push(segment);
  }
  return base.join("/");
}

/**
 * Appends text to a buffer up to KEEP characters: enough to know a cell is too long without holding
 * more of it.
 */
function capped(buffer: string, text: string): string {
  return buffer.length >= KEEP ? buffer : buffer + text.slice(0, KEEP - buffer.length);
}

/** The shared-string table (<si> items: plain <t>, or rich-text runs; phonetic <rPh> left out). */
async function readSharedStrings(archive: ZipArchive, path: string): Promise<string[]> {
  const strings: string[] = [];
  let total = 0;
  let current: string | null = null;
  let inText = false;
  let phonetic = 0;
  await scanPart(archive, path, {
    open: (name, _a, selfClosing) => {
      if (name === "si") current = "";
      else if (name === "rPh") phonetic++;
      else if (name === "t" && !selfClosing) inText = phonetic === 0 && current !== null;
    },
    close: (name) => {
      if (name === "t") inText = false;
      else if (name === "rPh") phonetic--;
      else if (name === "si" && current !== null) {
        if (strings.length >= MAX_SHARED_STRINGS)
          throw importLimitExceeded(`Excel 文件中的不同文字过多（超过 ${MAX_SHARED_STRINGS} 个）`);
        total += current.length;
        if (total > MAX_SHARED_STRING_CHARS) throw importLimitExceeded("Excel 文件中的文字总量过大");
        strings.push(current);
        current = null;
      }
    },
    text: (text) => {
      if (inText && current !== null) current = capped(current, text);
    },
  });
  return strings;
}

/** Column of a cell reference: `C12` → 3; 0 when the reference has no letters. */
function columnOf(reference: string): number {
  let column = 0;
  for (const ch of reference.toUpperCase()) {
    const code = ch.charCodeAt(0);
    if (code < 65 || code > 90) break;
    column = column * 26 + (code - 64);
    if (column > 16_384) return 16_385;
  }
  return column;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function cellValue(type: string, raw: string, inline: string, shared: string[]): string {
  switch (type) {
    case "s":
      return raw === "" ? "" : (shared[Number(raw)] ?? "");
    case "inlineStr":
      return inline;
    case "b":
      return raw === "1" ? "true" : "false";
    case "n":
      // Numbers in their shortest decimal form ("12.5"; 19-digit codes typed as numbers stay digits).
      return NUMBER.test(raw) && Number.isFinite(Number(raw)) ? String(Number(raw)) : raw;
    default:
      return raw; // str (a formula's text), e (an error such as #N/A), d (an ISO date)
  }
}

function sheetHandler(shared: string[], onRow: RowHandler): XmlHandler {
  let rowNumber = 0;
  let cells: string[] | null = null;
  let nextColumn = 1;
  let cell: { column: number; type: string; raw: string; inline: string } | null = null;
  let capture: "v" | "t" | null = null;
  let inInline = false;
  let phonetic = 0;
  return {
    open: (name, a) => {
      if (name === "row") {
        const r = Number(a.r);
        rowNumber = Number.isInteger(r) && r > rowNumber ? r : rowNumber + 1;
        cells = [];
        nextColumn = 1;
      } else if (name === "c" && cells) {
        const column = a.r ? columnOf(a.r) || nextColumn : nextColumn;
        nextColumn = column + 1;
        cell = { column, type: a.t ?? "n", raw: "", inline: "" };
      } else if (!cell) return;
      else if (name === "v") capture = "v";
      else if (name === "is") inInline = true;
      else if (name === "rPh") phonetic++;
      else if (name === "t" && inInline && phonetic === 0) capture = "t";
    },
    close: (name) => {
      if (name === "v" || name === "t") capture = null;
      else if (name === "is") inInline = false;
      else if (name === "rPh") phonetic--;
      else if (name === "c" && cell && cells) {
        if (cell.column <= MAX_COLUMNS) {
          while (cells.length < cell.column - 1) cells.push("");
          cells[cell.column - 1] = cellValue(cell.type, cell.raw, cell.inline, shared);
        }
        cell = null;
      } else if (name === "row" && cells) {
        const done = cells;
        cells = null;
        onRow(rowNumber, done);
      }
    },
    text: (text) => {
      if (!cell || !capture || cell.column > MAX_COLUMNS) return;
      if (capture === "v") cell.raw = capped(cell.raw, text);
      else cell.inline = capped(cell.inline, text);
    },
  };
}
