import { AppError } from "../../platform/errors";
import type { ZipLimits } from "../../platform/zip-reader";

/**
 * What an item import may hold. The upload itself is at most 5 MB (items.routes.ts); these bound what
 * it may expand to, so that one upload cannot take the process's memory or time from other tenants.
 */

/** Data rows (the header not counted); reading stops at the first row beyond. */
export const MAX_IMPORT_ROWS = 5000;
/** Characters in a cell that is imported (the longest item field, 项目名称, allows 100). */
export const MAX_CELL_CHARS = 200;
/** Columns read per row; cells further right are ignored. */
export const MAX_COLUMNS = 64;
/** Distinct strings of an .xlsx (its shared-string table), and their characters together. */
export const MAX_SHARED_STRINGS = 100_000;
export const MAX_SHARED_STRING_CHARS = 8_000_000;

/** A 5,000-row item sheet is a few MB of XML; a workbook with much more is not an item list. */
export const XLSX_ZIP_LIMITS: ZipLimits = {
  maxEntries: 1000,
  maxEntryBytes: 32 * 1024 * 1024,
  maxTotalBytes: 64 * 1024 * 1024,
  maxRatio: 100,
  ratioFloorBytes: 1024 * 1024,
};

/** A file beyond the limits: nothing is imported and the console shows `message` at the file. */
export function importLimitExceeded(message: string): AppError {
  return new AppError("IMPORT_LIMIT_EXCEEDED", message, { fields: { file: message } });
}

/** Excel's column name: 1 → A, 27 → AA. */
export function columnName(column: number): string {
  let name = "";
  for (let n = column; n > 0; n = Math.floor((n - 1) / 26))
    name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}
