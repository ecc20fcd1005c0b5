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
 * reading child rows with their parent in one statement (`json_agg(<this>)`); only the properties
 * `keys` when given. Numerics are written as strings, exactly as stored, never as JSON numbers. Not
 * for timestamp or bytea columns.
 */
export function recordObjectSql(table: Table, alias: string, keys?: ReadonlyArray<string>): string {
  const columns = keys
    ? keys.map((key) => {
        const column = recordShape(table).columns.find(([k]) => k === key);
        if (!column) throw new Error(`${recordShape(table).sqlName} has no column ${key}`);
        return column;
      })
    : recordShape(table).columns;
  const pairs = columns.map(
    ([key, name, scale]) => `'${key}', ${alias}."${name}"${scale === null ? "" : "::text"}`,
  );
  return `json_build_object(${pairs.join(", ")})`;
}

function numericScale(column: Column): number | null {
  if (column.columnType !== "PgNumeric") return null;
  const scale = (column as Column & { scale?: number }).scale;
  return typeof scale === "number" ? scale : null;
}

/** A row's properties named `${prefix}${Property}` (the names columnsSql gives with a prefix). */
export type Prefixed<R, P extends string> = { [K in keyof R & string as `${P}${Capitalize<K>}`]: R[K] };

/** Every property may be null (the columns of a left-joined row that may be missing). */
export type Nullable<R> = { [K in keyof R]: R[K] | null };

/**
 * SQL selecting these columns of `alias` (a row of `table`), each named as its property — or,
 * with a prefix, `prefixProperty` — so a hand-written statement returns rows in the table's own
 * TypeScript shape (`Pick<T["$inferSelect"], K>`, with Prefixed for a prefix). Numerics as text,
 * exactly as stored. Not for bytea columns.
 */
export function columnsSql<T extends Table>(
  table: T,
  alias: string,
  keys: ReadonlyArray<keyof T["$inferSelect"] & string>,
  prefix = "",
): string {
  const byKey = new Map(recordShape(table).columns.map(([key, name, scale]) => [key, { name, scale }]));
  return keys
    .map((key) => {
      const column = byKey.get(key);
      if (!column) throw new Error(`${recordShape(table).sqlName} has no column ${key}`);
      const as = prefix ? `${prefix}${key[0]!.toUpperCase()}${key.slice(1)}` : key;
      return `${alias}."${column.name}"${column.scale === null ? "" : "::text"} as "${as}"`;
    })
    .join(", ");
}

/** SQL naming these columns of `table`, for `insert into <table> (<this>)`. */
export function columnNamesSql<T extends Table>(
  table: T,
  keys: ReadonlyArray<keyof T["$inferSelect"] & string>,
) {
  const names = new Map(recordShape(table).columns.map(([key, name]) => [key, name]));
  return keys.map((key) => `"${names.get(key) ?? key}"`).join(", ");
}

/**
 * A hot-path statement: a fixed text run as a named prepared statement (parsed and planned once per
 * connection). `P` is what its parameters take, `R` the row it returns. Declared in the module's
 * `*.queries.ts`, run with `runStatement`.
 */
export interface HotStatement<P extends unknown[], R> {
  name: string;
  text: string;
  /** Only carries the types. */
  readonly types?: { params: P; row: R };
}

export function hotStatement<P extends unknown[], R = never>(name: string, text: string): HotStatement<P, R> {
  return { name, text };
}

export function runStatement<P extends unknown[], R>(
  database: { prepared<T>(name: string, text: string, values: unknown[]): Promise<T[]> },
  statement: HotStatement<P, R>,
  values: P,
): Promise<R[]> {
  return database.prepared<R>(statement.name, statement.text, values);
}
