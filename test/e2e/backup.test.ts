import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { openPostgres } from "../../src/platform/db/client";
import { clonePostgresTemplate, describePostgres } from "../support/db";
import { runCli, type ServerProcess, startServer } from "../support/processes";
import { waitUntil } from "../support/wait";

/** `piaoma backup` / `piaoma restore` round trips, as an operator runs them. */
const dirs: string[] = [];
const tmp = (name: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `piaoma-${name}-`));
  dirs.push(dir);
  return dir;
};
const servers: ServerProcess[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop("SIGKILL");
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("backup and restore on PGlite", () => {
  it("backs up a running server's data folder, restores it into another, and the invoice and its files come back", async () => {
    const source = tmp("backup-src");
    const env = { PIAOMA_DATA_DIR: source, PIAOMA_FILE_STORE: "local" };
    const server = await startServer(env);
    servers.push(server);
    const token = /扫码页 Consumer page \S+\/s\/(\S+)/.exec(server.output())?.[1];
    expect(token).toBeDefined();
    const submit = await fetch(`${server.baseUrl}/api/scan/${token}/submit`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        invoiceType: "digital_normal",
        buyer: { type: "individual", name: "备份测试" },
        email: "backup@example.com",
      }),
    });
    expect(submit.status).toBe(202);
    const invoice = await waitUntil(async () => {
      const view = (await (await fetch(`${server.baseUrl}/api/scan/${token}`)).json()) as {
        invoices?: Array<{ id: string; status: string; number: string }>;
      };
      return view.invoices?.find((i) => i.status === "issued");
    }, "the demo invoice issued");
    const pdfUrl = (base: string) => `${base}/api/scan/${token}/invoices/${invoice.id}.pdf`;
    const pdf = Buffer.from(await (await fetch(pdfUrl(server.baseUrl))).arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");

    // While it runs: the server writes the backup (its folder is locked to it).
    const backup = path.join(tmp("backup-out"), "b1");
    const taken = await runCli(["backup", "--out", backup], env);
    expect(taken.code, taken.stderr).toBe(0);
    const manifest = taken.json as {
      takenBy: string;
      secretIncluded: boolean;
      files: Array<{ path: string }>;
    };
    expect(manifest.takenBy).toBe("running server");
    expect(manifest.secretIncluded).toBe(true);
    const names = manifest.files.map((f) => f.path);
    expect(names).toContain("pglite.tar.gz");
    expect(names).toContain("secret.key");
    expect(names.filter((n) => n.startsWith("files/invoices/"))).toHaveLength(2); // PDF and XML
    expect(await server.stop("SIGTERM")).toBe(0);

    // A damaged backup is refused before anything is touched.
    const damaged = path.join(tmp("backup-bad"), "b");
    fs.cpSync(backup, damaged, { recursive: true });
    const tarball = path.join(damaged, "pglite.tar.gz");
    const bytes = fs.readFileSync(tarball);
    const middle = bytes.length >> 1;
    bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
    fs.writeFileSync(tarball, bytes);
    const target = tmp("backup-dst");
    const refused = await runCli(["restore", "--from", damaged], { PIAOMA_DATA_DIR: target });
    expect(refused.code).toBe(1);
    expect(refused.json).toMatchObject({ error: { code: "VALIDATION_FAILED" } });
    expect(fs.readdirSync(target)).toEqual([]);

    const restored = await runCli(["restore", "--from", backup], { PIAOMA_DATA_DIR: target });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.json).toMatchObject({ restored: true, database: "pglite", files: 2, secret: "restored" });
    expect(fs.readFileSync(path.join(target, "secret.key"))).toEqual(
      fs.readFileSync(path.join(source, "secret.key")),
    );

    const again = await startServer({
      PIAOMA_DATA_DIR: target,
      PIAOMA_FILE_STORE: "local",
      PIAOMA_DEMO: "false",
    });
    servers.push(again);
    const view = (await (await fetch(`${again.baseUrl}/api/scan/${token}`)).json()) as {
      invoices: Array<{ id: string; number: string; status: string }>;
    };
    expect(view.invoices).toEqual([
      expect.objectContaining({ id: invoice.id, number: invoice.number, status: "issued" }),
    ]);
    expect(Buffer.from(await (await fetch(pdfUrl(again.baseUrl))).arrayBuffer())).toEqual(pdf);
    await again.stop("SIGTERM");
  }, 240_000);
});

describePostgres("backup and restore on PostgreSQL", () => {
  it("pg_dump's backup restores into another database with the same rows", async () => {
    const source = await clonePostgresTemplate();
    const target = await clonePostgresTemplate();
    try {
      const dataDir = tmp("backup-pg");
      const seeded = await runCli(["seed"], { DATABASE_URL: source.url, PIAOMA_DATA_DIR: dataDir });
      expect(seeded.code, seeded.stderr).toBe(0);
      const backup = path.join(dataDir, "backup");
      const env = {
        DATABASE_URL: source.url,
        PIAOMA_DATA_DIR: dataDir,
        PIAOMA_SECRET: "backup-secret-backup-secret-backup-secret-0",
      };
      const taken = await runCli(["backup", "--out", backup], env);
      expect(taken.code, taken.stderr).toBe(0);
      expect(taken.json).toMatchObject({ database: "postgres", secretIncluded: false });
      const restored = await runCli(["restore", "--from", backup], { ...env, DATABASE_URL: target.url });
      expect(restored.code, restored.stderr).toBe(0);

      const counts = async (url: string) => {
        const db = openPostgres(url, 1);
        try {
          const r = await db.db.execute(sql`select
            (select count(*) from organizations)::int as orgs,
            (select count(*) from receipt_codes)::int as codes,
            (select count(*) from users)::int as users,
            (select string_agg(tax_id, ',' order by tax_id) from organizations) as tax_ids`);
          return (r as unknown as { rows: unknown[] }).rows[0];
        } finally {
          await db.close();
        }
      };
      const before = await counts(source.url);
      expect(before).toMatchObject({ orgs: 1, codes: 1, users: 1 });
      expect(await counts(target.url)).toEqual(before);
    } finally {
      await source.drop();
      await target.drop();
    }
  }, 120_000);
});
