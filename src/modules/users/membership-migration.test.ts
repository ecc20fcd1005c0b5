import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { afterEach, expect, it } from "vitest";
import { describeEachDatabase } from "../../../test/support/db";
import { adminQuery, withDatabase } from "../../../test/support/global-setup";
import { type Database, fromPglite, openPostgres } from "../../platform/db/client";
import { migrationsFolder, runMigrations } from "../../platform/db/migrate";

/** drizzle/ as it was before 0006: the migrations up to 0005 and their journal. */
function foldersBefore0006(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-mig-"));
  fs.mkdirSync(path.join(dir, "meta"));
  const journal = JSON.parse(fs.readFileSync(path.join(migrationsFolder, "meta/_journal.json"), "utf8"));
  journal.entries = journal.entries.filter((e: { idx: number }) => e.idx <= 5);
  fs.writeFileSync(path.join(dir, "meta/_journal.json"), JSON.stringify(journal));
  for (const e of journal.entries as Array<{ tag: string }>)
    fs.copyFileSync(path.join(migrationsFolder, `${e.tag}.sql`), path.join(dir, `${e.tag}.sql`));
  return dir;
}

describeEachDatabase("migration 0006: roles move to memberships", (kind) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** An empty database migrated to 0005. */
  async function databaseAt0005(): Promise<Database> {
    const folder = foldersBefore0006();
    cleanups.push(async () => fs.rmSync(folder, { recursive: true, force: true }));
    if (kind === "pglite") {
      const database = fromPglite(await PGlite.create());
      cleanups.push(() => database.close());
      await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder: folder });
      return database;
    }
    const url = process.env.TEST_DATABASE_URL as string;
    const name = `piaoma_m_${Math.random().toString(16).slice(2, 10)}`;
    await adminQuery(url, `create database ${name}`);
    cleanups.push(() => adminQuery(url, `drop database if exists ${name} with (force)`));
    const database = openPostgres(withDatabase(url, name), 2);
    cleanups.push(() => database.close());
    await migratePg(database.db as unknown as NodePgDatabase, { migrationsFolder: folder });
    return database;
  }

  it("gives each existing membership its user's former role and active flag", async () => {
    const database = await databaseAt0005();
    const sql = (text: string) => database.executeSql(text, []);
    await sql(`insert into organizations (id, name, tax_id) values
      ('org_a', '甲', '91440300000000001A'), ('org_b', '乙', '91440300000000002B')`);
    await sql(`insert into users (id, username, password_hash, role, is_active) values
      ('usr_1', 'boss', 'x', 'admin', true), ('usr_2', 'gone', 'x', 'operator', false)`);
    await sql(`insert into user_organizations (user_id, org_id) values
      ('usr_1', 'org_a'), ('usr_1', 'org_b'), ('usr_2', 'org_a')`);

    await runMigrations(database);

    const { rows } = await database.executeSql(
      "select user_id, org_id, role, is_active from user_organizations order by user_id, org_id",
      [],
    );
    expect(rows).toEqual([
      { user_id: "usr_1", org_id: "org_a", role: "admin", is_active: true },
      { user_id: "usr_1", org_id: "org_b", role: "admin", is_active: true },
      { user_id: "usr_2", org_id: "org_a", role: "operator", is_active: false },
    ]);
    const { rows: columns } = await database.executeSql(
      "select column_name from information_schema.columns where table_name = 'users' and column_name in ('role', 'is_active')",
      [],
    );
    expect(columns).toEqual([]);
  });
});
