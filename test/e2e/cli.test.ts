import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// Each test starts real processes (tsx + PGlite boot): generous timeouts for a loaded machine.
import { describePostgres } from "../support/db";
import { makeUscc } from "../support/factories";
import { adminQuery, withDatabase } from "../support/global-setup";
import { runCli, type ServerProcess, startServer } from "../support/processes";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-cli-"));
const env = { PIAOMA_DATA_DIR: dataDir };
// The server test starts from an empty folder: the demo is seeded only into an empty database.
const serveDir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-serve-"));
const serveEnv = { PIAOMA_DATA_DIR: serveDir, PIAOMA_DEMO: "true" };
const servers: ServerProcess[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop("SIGKILL");
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(serveDir, { recursive: true, force: true });
});

describe("piaoma command line on PGlite", () => {
  const taxId = makeUscc();

  it("creates an organization, a user and credentials, printing JSON", async () => {
    const org = await runCli(
      ["org:create", "--name", "命令行测试有限公司", "--tax-id", taxId, "--limit", "5000"],
      env,
    );
    expect(org.code, org.stderr).toBe(0);
    expect(org.json).toEqual({ id: expect.stringMatching(/^org_/), taxId });

    const user = await runCli(
      [
        "user:create",
        "--username",
        "cli-admin",
        "--password",
        "long-enough",
        "--role",
        "admin",
        "--org",
        taxId,
      ],
      env,
    );
    expect(user.code, user.stderr).toBe(0);
    expect(user.json).toMatchObject({ username: "cli-admin", role: "admin" });

    const creds = await runCli(["credentials:create", "--org", taxId], env);
    expect(creds.code, creds.stderr).toBe(0);
    expect(creds.json).toEqual({ appKey: expect.stringMatching(/^pk_/), appSecret: expect.any(String) });
  }, 180_000);

  it("answers bad input with a JSON error body and a non-zero exit", async () => {
    const bad = await runCli(["org:create", "--name", "x", "--tax-id", "123"], env);
    expect(bad.code).toBe(1);
    expect(bad.json).toMatchObject({
      error: { code: "VALIDATION_FAILED", details: { fields: { taxId: expect.any(String) } } },
    });
    // Merchant URLs are checked as in the console: loopback spelled as an IPv4-mapped address too.
    const lan = await runCli(
      ["org:create", "--name", "内网", "--tax-id", makeUscc(), "--webhook-url", "http://[::ffff:7f00:1]/h"],
      { ...env, PIAOMA_ALLOW_PRIVATE_URLS: "false" },
    );
    expect(lan.code).toBe(1);
    expect(lan.json).toMatchObject({
      error: {
        code: "VALIDATION_FAILED",
        details: { fields: { webhookUrl: expect.stringContaining("内网") } },
      },
    });
    // The same text gate as every other interface: a control character, a limit too big to store.
    const gated = await runCli(
      [
        "org:create",
        "--name",
        "命令行\u001b[31m公司",
        "--tax-id",
        makeUscc(),
        "--limit",
        "12345678901234567",
      ],
      env,
    );
    expect(gated.code).toBe(1);
    const fields = (gated.json as { error: { details: { fields: Record<string, string> } } }).error.details
      .fields;
    expect(Object.keys(fields).sort()).toEqual(["limit", "name"]);
    const unknown = await runCli(["frobnicate"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  }, 180_000);

  it("stops on a bad configuration with the list of problems", async () => {
    const r = await runCli(["migrate"], { ...env, PORT: "abc", DATABASE_URL: "mysql://x" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Configuration is invalid");
    expect(r.stderr).toContain('PORT: must be a port number (got "abc")');
    expect(r.stderr).toContain("DATABASE_URL: must be a postgres://");
  }, 180_000);

  it("serves health, docs, console and the demo consumer page; a second process is refused; data survives a restart", async () => {
    const server = await startServer(serveEnv);
    servers.push(server);
    const out = server.output();
    // The output is a pipe, not a terminal: the password and App Secret go to a file only its owner reads.
    const credentialsFile = path.join(serveDir, "demo-credentials.txt");
    expect(out).toContain(`演示登录 Demo login   demo / 见 see ${credentialsFile}`);
    expect(out).toContain(`开放接口 App Secret  见 see ${credentialsFile}`);
    expect(out).not.toContain("piaoma-demo");
    expect(fs.statSync(credentialsFile).mode & 0o777).toBe(0o600);
    const credentials = fs.readFileSync(credentialsFile, "utf8");
    expect(credentials).toContain("演示登录 Demo login   demo / piaoma-demo");
    const secret = credentials.match(/App Secret {2}(\S+)/)?.[1] ?? "missing";
    expect(secret.length).toBeGreaterThan(20);
    expect(out).not.toContain(secret);
    const consumerUrl = out.match(/扫码页 Consumer page (\S+)/)?.[1];
    expect(consumerUrl).toMatch(/\/s\/[A-Za-z0-9_-]{22,}$/);

    const health = await fetch(`${server.baseUrl}/health`);
    expect(await health.json()).toEqual({ status: "ok", db: "ok", version: expect.any(String) });
    expect((await fetch(`${server.baseUrl}/docs`)).status).toBe(200);
    const openapi = (await (await fetch(`${server.baseUrl}/openapi.json`)).json()) as { paths: object };
    expect(Object.keys(openapi.paths)).toContain("/health");
    expect(await (await fetch(`${server.baseUrl}/admin/`)).text()).toContain("票码");
    expect(await (await fetch(consumerUrl ?? "")).text()).toContain("扫码开票");
    const missing = await fetch(`${server.baseUrl}/no/such/page`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");

    // PGlite is single-process: a command against the same folder must stop cleanly.
    const second = await runCli(["migrate"], serveEnv);
    expect(second.code).toBe(1);
    expect(second.json).toMatchObject({ error: { code: "DATA_DIR_LOCKED" } });
    expect(second.stderr).toContain("in use by another Piaoma process");

    expect(await server.stop("SIGTERM")).toBe(0);
    const again = await startServer(serveEnv);
    servers.push(again);
    // The demo is not seeded twice and the organization made before the restart is still there.
    expect(again.output()).toContain(consumerUrl?.split("/s/")[1] ?? "missing");
    await again.stop("SIGTERM");
    const dup = await runCli(
      ["org:create", "--name", "再来一次", "--tax-id", "91440300PMDEM0017W"],
      serveEnv,
    );
    expect(dup.json).toMatchObject({ error: { code: "CONFLICT" } });
  }, 180_000);
});

describePostgres("piaoma on PostgreSQL", () => {
  it("migrates an empty database and serves on it", async () => {
    const admin = process.env.TEST_DATABASE_URL ?? "";
    const name = `piaoma_cli_${Date.now()}`;
    await adminQuery(admin, `create database ${name}`);
    const pgEnv = { ...env, DATABASE_URL: withDatabase(admin, name) };
    try {
      const migrated = await runCli(["migrate"], pgEnv);
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(migrated.json).toEqual({ migrated: true, database: "postgres" });
      const server = await startServer({ ...pgEnv, PIAOMA_DEMO: "true" });
      servers.push(server);
      const health = await fetch(`${server.baseUrl}/health`);
      expect(await health.json()).toMatchObject({ status: "ok", db: "ok" });
      expect(server.output()).toContain("PostgreSQL");
      expect(await server.stop()).toBe(0);
    } finally {
      await adminQuery(admin, `drop database if exists ${name} with (force)`);
    }
  }, 180_000);
});
