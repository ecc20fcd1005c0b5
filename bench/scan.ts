import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { loadConfig } from "../src/config";
import { systemActor } from "../src/context";
import { createOrganization } from "../src/modules/organizations/organizations.service";
import { openPostgres } from "../src/platform/db/client";
import { startServer } from "../test/support/processes";
import {
  benchLines,
  freshDatabase,
  machine,
  percentiles,
  pool,
  round,
  seedReceiptCodes,
  smokeCheck,
  writeSection,
} from "./support";

/**
 * Scan: GET /api/scan/{token} and GET /s/{token} with C connections on PostgreSQL, against a bare
 * Fastify route doing one primary-key select (the ceiling). Target: ≥ 50% of the ceiling.
 *
 *   npm run bench -- scan [requests=20000] [connections=50]
 */
export default async function run(args: string[]): Promise<void> {
  const requests = Number(args[0] ?? 20_000);
  const connections = Number(args[1] ?? 50);
  const db = await freshDatabase("piaoma_bench_scan");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-bench-"));
  const env = {
    DATABASE_URL: db.url,
    PIAOMA_DATA_DIR: dataDir,
    PIAOMA_SECRET: "bench-secret-bench-secret-bench-secret-00",
    PIAOMA_DEMO: "false",
    LOG_LEVEL: "warn",
    DB_POOL_SIZE: "20",
  };
  const server = await startServer(env);
  const baseline = spawn(
    process.execPath,
    ["--import", "tsx", path.join(import.meta.dirname, "baseline-server.ts")],
    {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  try {
    const baselineUrl = await new Promise<string>((resolve) =>
      baseline.stdout.on("data", (d: Buffer) => {
        const m = String(d).match(/listening (\S+)/);
        if (m?.[1]) resolve(m[1]);
      }),
    );
    const database = openPostgres(db.url, 10);
    const config = loadConfig({ ...env, PUBLIC_URL: server.baseUrl });
    const org = await createOrganization(
      { database },
      { actor: systemActor("bench"), input: { name: "压测酒店", taxId: "91440300PMDEM0017W" } },
    );
    const tokens = await seedReceiptCodes({ database, config }, org.id, Math.min(500, requests), {
      prefix: "SCAN",
      lines: benchLines.slice(0, 2),
    });
    await database.close();

    // Keep-alive sockets, at most `connections` of them, like a pool of phones behind a proxy.
    const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
    const get = (url: string, headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        http
          .get(url, { agent, headers }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          })
          .on("error", reject);
      });
    async function load(url: (token: string) => string, poll: boolean) {
      const latencies: number[] = [];
      let errors = 0;
      const start = performance.now();
      await pool([...Array(requests).keys()], connections, async (i) => {
        const t = performance.now();
        const status = await get(url(tokens[i % tokens.length]!), poll ? { "x-piaoma-poll": "1" } : {});
        latencies.push(performance.now() - t);
        if (status !== 200) errors++;
      });
      const seconds = (performance.now() - start) / 1000;
      smokeCheck(errors === 0, `${errors} requests not answered 200`);
      return { rps: requests / seconds, ...percentiles(latencies), errors };
    }
    // Warm up every target with a tenth of the run over all the connections: the JIT compiles the
    // hot code and the pools open their connections before anything is measured. A single request
    // each (before 2026-12-04) left the first target after the ceiling, the poll, measuring part of
    // the server's warm-up: a second poll run in the same process was some 30% cheaper in CPU.
    const warm = Math.min(2000, Math.ceil(requests / 10));
    for (const [u, poll] of [
      [`${baselineUrl}/bare/`, false],
      [`${server.baseUrl}/api/scan/`, true],
      [`${server.baseUrl}/api/scan/`, false],
      [`${server.baseUrl}/s/`, false],
    ] as const)
      await pool([...Array(warm).keys()], connections, async (i) => {
        await get(`${u}${tokens[i % tokens.length]}`, poll ? { "x-piaoma-poll": "1" } : {});
      });

    const ceiling = await load((t) => `${baselineUrl}/bare/${t}`, false);
    const api = await load((t) => `${server.baseUrl}/api/scan/${t}`, true);
    const apiCounted = await load((t) => `${server.baseUrl}/api/scan/${t}`, false);
    const page = await load((t) => `${server.baseUrl}/s/${t}`, false);
    agent.destroy();

    const row = (name: string, r: typeof ceiling) =>
      `| ${name} | ${round(r.rps)} | ${round((100 * r.rps) / ceiling.rps)}% | ${round(r.p50, 2)} | ${round(r.p99, 2)} | ${r.errors} |`;
    const table = [
      "| target | requests/s | of ceiling | p50 ms | p99 ms | errors |",
      "| --- | --- | --- | --- | --- | --- |",
      row("bare Fastify + one PK select (ceiling)", ceiling),
      row("GET /api/scan/{token} (poll: no scan counted)", api),
      row("GET /api/scan/{token} (first load: counts the scan, one UPDATE)", apiCounted),
      row("GET /s/{token} (the page's HTML)", page),
    ].join("\n");
    process.stdout.write(`${table}\n`);
    writeSection(
      "Scan",
      `Command: \`npm run bench -- scan ${requests} ${connections}\` — ${requests} requests per target over ${connections} connections, PostgreSQL, pool of 20 per server process; the load generator runs on the same machine.\nMachine: ${machine()}.\n\n${table}`,
    );
  } finally {
    baseline.kill("SIGKILL");
    await server.stop("SIGTERM");
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
