import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { fromPglite, openPostgres } from "../../src/platform/db/client";
import { runMigrations } from "../../src/platform/db/migrate";
import { JobQueue } from "../../src/platform/jobs";

declare module "vitest" {
  export interface ProvidedContext {
    /** A tarball of a migrated PGlite data folder; each test file loads its own copy. */
    pgliteTemplate: string;
    /** A migrated PostgreSQL database to clone with CREATE DATABASE … TEMPLATE, or "" when none. */
    postgresTemplate: string;
  }
}

interface Templates {
  pgliteTemplate: string;
  postgresTemplate: string;
  drop(): Promise<void>;
}

/**
 * The projects that need a database (medium, http, e2e: vitest.config.ts) each run this setup;
 * they share one set of templates per `vitest run` (global setups run in the main process, one
 * after the other), and the last teardown drops them.
 */
const shared = globalThis as typeof globalThis & {
  piaomaTemplates?: { users: number; ready: Promise<Templates> };
};

/**
 * Migrates one PGlite and (when TEST_DATABASE_URL is set) one PostgreSQL template database. Test
 * files clone them, so every file starts from a fresh, migrated database in well under a second.
 * The web pages are built by global-setup-web.ts, for the projects that serve them.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  shared.piaomaTemplates ??= { users: 0, ready: createTemplates() };
  const entry = shared.piaomaTemplates;
  entry.users++;
  const templates = await entry.ready;
  project.provide("pgliteTemplate", templates.pgliteTemplate);
  project.provide("postgresTemplate", templates.postgresTemplate);
  return async () => {
    if (--entry.users > 0) return;
    shared.piaomaTemplates = undefined;
    await templates.drop();
  };
}

async function createTemplates(): Promise<Templates> {
  const ci = process.env.CI === "true";
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-test-"));
  const client = await PGlite.create();
  const database = fromPglite(client);
  await runMigrations(database);
  await JobQueue.install(database);
  const dump = await client.dumpDataDir("none");
  const tarball = path.join(dir, "pglite-template.tar");
  fs.writeFileSync(tarball, Buffer.from(await dump.arrayBuffer()));
  await client.close();

  let postgresTemplate = "";
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    postgresTemplate = `piaoma_tpl_${randomBytes(4).toString("hex")}`;
    await adminQuery(url, `create database ${postgresTemplate}`);
    const templateDb = openPostgres(withDatabase(url, postgresTemplate), 2);
    await runMigrations(templateDb);
    await JobQueue.install(templateDb);
    await templateDb.close();
  } else if (ci) {
    throw new Error("CI=true but TEST_DATABASE_URL is not set: the PostgreSQL tests must run in CI");
  }

  return {
    pgliteTemplate: tarball,
    postgresTemplate,
    drop: async () => {
      fs.rmSync(dir, { recursive: true, force: true });
      if (url && postgresTemplate)
        await adminQuery(url, `drop database if exists ${postgresTemplate} with (force)`);
    },
  };
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
