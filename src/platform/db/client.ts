import { PGlite } from "@electric-sql/pglite";
import { type SQL, type SQLWrapper, sql } from "drizzle-orm";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import pg from "pg";
import { runHotQuery } from "./hot-query";
import * as schema from "./schema";

export type Schema = typeof schema;
/** The Drizzle database, the same type on PGlite and PostgreSQL. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle; services open it and pass it to repositories. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** Either the database or a transaction: repositories accept both. */
export type DbOrTx = Db | Tx;

/** Raw SQL for components that speak SQL themselves (pg-boss). */
export type ExecuteSql = (text: string, values?: unknown[]) => Promise<{ rows: unknown[] }>;

interface DatabaseBase {
  db: Db;
  executeSql: ExecuteSql;
  /**
   * A hot query as a named prepared statement (parsed and planned once per connection on
   * PostgreSQL; a plain parameterised query on PGlite). For the few paths where Drizzle's query
   * building and PostgreSQL's planning dominate (the consumer's scan).
   */
  prepared<T>(name: string, text: string, values: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}
export type Database =
  | (DatabaseBase & { kind: "pglite"; client: PGlite })
  | (DatabaseBase & { kind: "postgres"; pool: pg.Pool });

// PostgreSQL numeric and int8 are returned as strings by `pg`, as PGlite does for numeric; keep
// them strings (money never becomes a JS number). count(*) differs: cast to int in SQL.

export function fromPglite(client: PGlite, close?: () => Promise<void>): Database {
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    kind: "pglite",
    client,
    db,
    executeSql: async (text, values) => {
      // Without parameters pg-boss sends several statements at once (its schema install), which
      // only the simple query protocol accepts.
      if (!values || values.length === 0) {
        const results = await client.exec(text);
        return { rows: results.at(-1)?.rows ?? [] };
      }
      const res = await client.query(text, values as unknown[]);
      return { rows: res.rows };
    },
    prepared: async <T>(_name: string, text: string, values: unknown[]) =>
      (await client.query<T>(text, values)).rows,
    close: close ?? (() => client.close()),
  };
}

export function fromPgPool(pool: pg.Pool): Database {
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  return {
    kind: "postgres",
    pool,
    db,
    executeSql: async (text, values) => {
      const res = await pool.query(text, values as unknown[] | undefined);
      return { rows: res.rows };
    },
    prepared: <T>(name: string, text: string, values: unknown[]) => runHotQuery<T>(pool, name, text, values),
    close: () => pool.end(),
  };
}

export async function openPglite(dataDir: string | undefined): Promise<Database> {
  const client = await PGlite.create(dataDir ? { dataDir } : {});
  return fromPglite(client);
}

export function openPostgres(url: string, poolSize = 10): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, application_name: "piaoma" });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on("error", () => {});
  return fromPgPool(pool);
}

/**
 * Runs raw parameterised SQL ($1, $2 …) inside a Drizzle transaction, so components that speak SQL
 * (pg-boss `send`) can write in the same transaction as the state change they belong to.
 */
export function executeSqlIn(tx: DbOrTx): ExecuteSql {
  return async (text, values = []) => {
    const chunks: SQL[] = [];
    let last = 0;
    for (const m of text.matchAll(/\$(\d+)/g)) {
      chunks.push(sql.raw(text.slice(last, m.index)));
      chunks.push(sql`${values[Number(m[1]) - 1] ?? null}`);
      last = m.index + m[0].length;
    }
    chunks.push(sql.raw(text.slice(last)));
    const res = (await tx.execute(sql.join(chunks))) as unknown as { rows: unknown[] };
    return { rows: res.rows };
  };
}

/**
 * Runs several data-modifying statements (Drizzle inserts, updates, deletes — not yet run) as one
 * SQL statement of data-modifying CTEs: one round trip instead of one each. They see the same
 * snapshot and none may read what another writes; all happen or none does.
 */
export async function runTogether(tx: DbOrTx, statements: SQLWrapper[]): Promise<void> {
  if (statements.length === 0) return;
  const ctes = statements.map((s, i) => sql`${sql.raw(`s${i}`)} as (${s.getSQL()})`);
  await tx.execute(sql`with ${sql.join(ctes, sql`, `)} select 1`);
}
