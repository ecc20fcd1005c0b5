import { createRequire } from "node:module";
import pg from "pg";

/**
 * node-postgres handling a hot statement's rows for less: a named prepared statement is described
 * (its row's columns and their parsers) on its first run in this pool only. After that its runs are
 * Bind / Execute / Sync without Describe — PostgreSQL sends no RowDescription, the driver decodes
 * none and builds no parser list — and each row is made by a function compiled for the statement's
 * columns (an object literal of fixed shape) instead of the driver's per-row copy of a template
 * object keyed name by name. On the scan's 33-column row that was a fifth of the server's JavaScript
 * time (BENCHMARKS.md "Scan").
 *
 * Rows are the same as the driver's: the same names, the same parsers (the pool's type parsers of
 * the described columns). A statement's columns cannot change under its name: PostgreSQL refuses to
 * run a prepared statement whose result type changed ("cached plan must not change result type").
 */

type Parser = (text: string) => unknown;
type RowBuilder = (fields: Array<string | null>) => Record<string, unknown>;

/** What the driver's Query keeps internally and what this subclass needs of it. */
interface DriverQuery {
  name?: string;
  text: string;
  values?: unknown[];
  types?: unknown;
  binary?: boolean;
  portal: string;
  callback?: (err: Error | null, res?: unknown) => void;
  _result: {
    fields: Array<{ name: string; format?: string }>;
    _parsers?: Parser[];
    rows: unknown[];
  };
  _canceledDueToError: unknown;
  hasBeenParsed(connection: Connection): boolean;
  handleError(err: unknown, connection: Connection): void;
  handleRowDescription(msg: { fields: Array<{ name: string; format?: string }> }): void;
  handleDataRow(msg: { fields: Array<string | null> }): void;
  prepare(connection: Connection): void;
}

interface Connection {
  parse(q: { text: string; name?: string; types?: unknown }): void;
  bind(b: {
    portal: string;
    statement?: string;
    values?: unknown[];
    binary?: boolean;
    valueMapper: unknown;
  }): void;
  describe(d: { type: "P"; name: string }): void;
  execute(e: { portal: string; rows?: number }): void;
  close(c: { type: "S"; name?: string }): void;
  sync(): void;
  submittedNamedStatements: Record<string, string>;
}

const DriverQuery = pg.Query as unknown as new (text: string, values?: unknown[]) => DriverQuery;
// The driver's own value mapping for Bind (dates, arrays, JSON, buffers), as its Query uses it.
const { prepareValue } = createRequire(import.meta.url)("pg/lib/utils.js") as { prepareValue: unknown };

/** A compiled row maker for these columns, or null when a name would not be an ordinary property. */
function compileRow(names: string[], parsers: Parser[]): RowBuilder | null {
  if (names.some((n) => n === "__proto__")) return null;
  const props = names.map((n, i) => `${JSON.stringify(n)}: (v = f[${i}]) === null ? null : p[${i}](v)`);
  // Compiled once per statement (as fast-json-stringify compiles its serializers); the names are JSON literals.
  return new Function("p", `return function (f) { let v; return { ${props.join(", ")} }; };`)(
    parsers,
  ) as RowBuilder;
}

/** Row makers of the statements described so far, per pool (its type parsers) and statement name. */
const described = new WeakMap<pg.Pool, Map<string, RowBuilder>>();

class HotQuery extends DriverQuery {
  private readonly build: RowBuilder | undefined;

  constructor(
    private readonly builders: Map<string, RowBuilder>,
    name: string,
    text: string,
    values: unknown[],
  ) {
    super(text, values);
    this.name = name;
    this.build = builders.get(name);
  }

  override prepare(connection: Connection): void {
    if (!this.build || this.binary) {
      super.prepare(connection);
      return;
    }
    // The driver's prepare, without the Describe.
    if (!this.hasBeenParsed(connection)) {
      connection.parse({ text: this.text, name: this.name, types: this.types });
      connection.submittedNamedStatements[this.name as string] = this.text;
    }
    try {
      connection.bind({
        portal: this.portal,
        statement: this.name,
        values: this.values,
        binary: this.binary,
        valueMapper: prepareValue,
      });
    } catch (err) {
      connection.close({ type: "S", name: this.name });
      connection.sync();
      this.handleError(err, connection);
      return;
    }
    connection.execute({ portal: this.portal });
    connection.sync();
  }

  override handleRowDescription(msg: { fields: Array<{ name: string; format?: string }> }): void {
    super.handleRowDescription(msg);
    const parsers = this._result._parsers;
    if (this.build || !parsers || msg.fields.some((f) => f.format === "binary")) return;
    const build = compileRow(
      msg.fields.map((f) => f.name),
      parsers,
    );
    if (build) this.builders.set(this.name as string, build);
  }

  override handleDataRow(msg: { fields: Array<string | null> }): void {
    // Described on this run (the first in the pool): the driver's own row.
    if (!this.build || this._result.fields?.length) {
      super.handleDataRow(msg);
      return;
    }
    if (this._canceledDueToError) return;
    try {
      this._result.rows.push(this.build(msg.fields));
    } catch (err) {
      this._canceledDueToError = err;
    }
  }
}

/** Runs a named prepared statement on the pool; rows as `pool.query({ name, text, values })` gives them. */
export function runHotQuery<T>(pool: pg.Pool, name: string, text: string, values: unknown[]): Promise<T[]> {
  let builders = described.get(pool);
  if (!builders) {
    builders = new Map();
    described.set(pool, builders);
  }
  const query = new HotQuery(builders, name, text, values);
  return new Promise((resolve, reject) => {
    // pool.query takes a Submittable (the driver's Query is one) like a query's text or config.
    (
      pool.query as unknown as (
        q: unknown,
        v: undefined,
        cb: (err: Error | null, res?: unknown) => void,
      ) => void
    )(query, undefined, (err, res) => (err ? reject(err) : resolve((res as { rows: T[] }).rows)));
  });
}
