import Decimal from "decimal.js";
import { type Column, getTableColumns, getTableName, type Table } from "drizzle-orm";

/**
 * Whole rows written through one JSON parameter: `json_populate_recordset(null::table, $n::json)`
 * turns a JSON array keyed by column names into rows of the table. A statement inserting any
 * number of rows this way keeps one text, so it is parsed and planned once per connection (a named
 * prepared statement) and Drizzle builds nothing per call — for the few hot paths (the consumer's
 * submit, saving an issued invoice) where building and planning cost more than the work itself.
 *
 * Rows must carry every column: a key missing from the JSON is NULL, not the column's default.
 * Their TypeScript type ($inferSelect) makes sure of that; `storedRow` puts numerics in the form
 * PostgreSQL returns them, so the row in hand is the row as stored. Not for bytea columns.
 */
export interface RecordShape {
  /** The table's name, quoted for SQL. */
  sqlName: string;
  /** [property, column name, numeric scale or null] for every column, in the table's order. */
  columns: Array<[string, string, number | null]>;
}

const shapes = new WeakMap<Table, RecordShape>();

export function recordShape(table: Table): RecordShape {
  let shape = shapes.get(table);
  if (!shape) {
    const columns = Object.entries(getTableColumns(table)).map(
      ([key, column]): [string, string, number | null] => [
        key,
        (column as Column).name,
        numericScale(column as Column),
      ],
    );
    shape = { sqlName: `"${getTableName(table)}"`, columns };
    shapes.set(table, shape);
  }
  return shape;
}

/** The row as PostgreSQL stores it: numerics at their column's scale ("2" → "2.0000000000000"). */
export function storedRow<T extends Table>(table: T, row: T["$inferSelect"]): T["$inferSelect"] {
  const out = { ...row } as Record<string, unknown>;
  for (const [key, , scale] of recordShape(table).columns) {
    const value = out[key];
    if (scale !== null && typeof value === "string") out[key] = new Decimal(value).toFixed(scale);
  }
  return out as T["$inferSelect"];
}

/** Rows as the JSON array `json_populate_recordset` reads (dates become ISO-8601 strings). */
export function recordsJson<T extends Table>(table: T, rows: Array<T["$inferSelect"]>): string {
  const { columns } = recordShape(table);
  return JSON.stringify(
    rows.map((row) => {
      const record: Record<string, unknown> = {};
      for (const [key, name] of columns) record[name] = (row as Record<string, unknown>)[key] ?? null;
      return record;
    }),
  );
}

/**
 * SQL selecting the rows of a `recordsJson` parameter, for `insert into <table> <this>` (columns in
 * the table's order, so no column list is needed). `from` joins another relation, typically a CTE
 * whose row must exist for the insert to happen.
 */
export function selectRecords(table: Table, param: string, from?: string): string {
  const { sqlName } = recordShape(table);
  return `select r.* from json_populate_recordset(null::${sqlName}, ${param}::json) r${from ? `, ${from}` : ""}`;
}

/**
 * SQL building one row of `alias` (a row of `table`) as a JSON object keyed by property names, for
 * reading child rows with their parent in one statement (`json_agg(<this>)`). Numerics are written
 * as strings, exactly as stored, never as JSON numbers. Not for timestamp or bytea columns.
 */
export function recordObjectSql(table: Table, alias: string): string {
  const pairs = recordShape(table).columns.map(
    ([key, name, scale]) => `'${key}', ${alias}."${name}"${scale === null ? "" : "::text"}`,
  );
  return `json_build_object(${pairs.join(", ")})`;
}

function numericScale(column: Column): number | null {
  if (column.columnType !== "PgNumeric") return null;
  const scale = (column as Column & { scale?: number }).scale;
  return typeof scale === "number" ? scale : null;
}
