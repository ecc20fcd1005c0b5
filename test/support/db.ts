import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { describe, inject } from "vitest";
import { type Database, fromPglite, openPostgres } from "../../src/platform/db/client";
import { adminQuery, withDatabase } from "./global-setup";

export type DatabaseKind = "pglite" | "postgres";

/** A fresh PGlite loaded from the migrated template (~0.4 s). */
export async function openTestPglite(): Promise<Database> {
  const tar = fs.readFileSync(inject("pgliteTemplate"));
  const client = await PGlite.create({ loadDataDir: new Blob([tar]) });
  return fromPglite(client);
}

/** A fresh PostgreSQL database cloned from the migrated template, by URL (for server processes). */
export async function clonePostgresTemplate(): Promise<{ url: string; drop(): Promise<void> }> {
  const url = process.env.TEST_DATABASE_URL;
  const template = inject("postgresTemplate");
  if (!url || !template) throw new Error("PostgreSQL tests need TEST_DATABASE_URL");
  const name = `piaoma_t_${randomBytes(5).toString("hex")}`;
  // Two files cloning at the same moment can briefly see each other on the template: retry.
  for (let attempt = 0; ; attempt++) {
    try {
      await adminQuery(url, `create database ${name} template ${template}`);
      break;
    } catch (e) {
      if (attempt >= 20 || !/being accessed by other users/.test(String(e))) throw e;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  return {
    url: withDatabase(url, name),
    drop: () => adminQuery(url, `drop database if exists ${name} with (force)`),
  };
}

/** A fresh PostgreSQL database cloned from the migrated template; dropped on close. */
export async function openTestPostgres(poolSize = 10): Promise<Database> {
  const clone = await clonePostgresTemplate();
  const database = openPostgres(clone.url, poolSize);
  const close = database.close;
  database.close = async () => {
    await close();
    await clone.drop();
  };
  return database;
}

export function openTestDatabase(kind: DatabaseKind): Promise<Database> {
  return kind === "pglite" ? openTestPglite() : openTestPostgres();
}

/** The database kinds this run covers: PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export function databaseKinds(): DatabaseKind[] {
  return process.env.TEST_DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];
}

/**
 * Runs a suite once per database kind. PostgreSQL-only suites (real concurrency) use
 * `describePostgres`, which is skipped without TEST_DATABASE_URL (and CI always sets it).
 */
export function describeEachDatabase(name: string, suite: (kind: DatabaseKind) => void): void {
  for (const kind of databaseKinds()) describe(`${name} [${kind}]`, () => suite(kind));
}

/**
 * Runs a suite once, on PostgreSQL when TEST_DATABASE_URL is set (CI always sets it) and on PGlite
 * otherwise. For suites that drive routes over HTTP: what they check is the routes' behaviour, not
 * SQL dialect, and a fresh PGlite per test costs several times a PostgreSQL clone. The SQL itself is
 * covered on both databases by the suites that use `describeEachDatabase`, and the whole application
 * runs on PGlite in the browser, command-line and demo tests.
 */
export function describeOneDatabase(name: string, suite: (kind: DatabaseKind) => void): void {
  const kind: DatabaseKind = process.env.TEST_DATABASE_URL ? "postgres" : "pglite";
  describe(`${name} [${kind}]`, () => suite(kind));
}

export const describePostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

/**
 * A connection of its own to the PostgreSQL database a test app uses (a copy with its own name), for
 * holding locks or committing while the app's requests wait. The caller ends it.
 */
export async function connectToSameDatabase(database: Database): Promise<pg.Client> {
  if (database.kind !== "postgres") throw new Error("expects PostgreSQL");
  const client = await database.pool.connect();
  const dbName = (await client.query("select current_database() as name")).rows[0].name as string;
  client.release();
  const url = new URL(process.env.TEST_DATABASE_URL ?? "");
  url.pathname = `/${dbName}`;
  const other = new pg.Client({ connectionString: url.toString() });
  await other.connect();
  return other;
}
