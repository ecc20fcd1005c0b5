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
 * Fastify route doing one primary-key select (the ceiling). Target (issue 23): ≥ 70% of the ceiling, polling and first load.
 *
 *   npm run bench -- scan [requests=20000] [connections=50] [rounds=3]
 */
export default async function run(args: string[]): Promise<void> {
  const requests = Number(args[0] ?? 20_000);
  const connections = Number(args[1] ?? 50);
  const rounds = Math.max(1, Number(args[2] ?? 3));
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

    // Rounds, each running every target once, in an order rotated from round to round: a machine
    // whose speed drifts during the run (a noisy neighbour, a CPU's boost) moves every target of a
    // round alike, and each target's share of the ceiling is taken within its round. The table
    // shows each target's median round.
    const targets = [
      {
        name: "bare Fastify + one PK select (ceiling)",
        url: (t: string) => `${baselineUrl}/bare/${t}`,
        poll: false,
      },
      {
        name: "GET /api/scan/{token} (poll: no scan counted)",
        url: (t: string) => `${server.baseUrl}/api/scan/${t}`,
        poll: true,
      },
      {
        name: "GET /api/scan/{token} (first load: counted, written in batches)",
        url: (t: string) => `${server.baseUrl}/api/scan/${t}`,
        poll: false,
      },
      {
        name: "GET /s/{token} (the page's HTML)",
        url: (t: string) => `${server.baseUrl}/s/${t}`,
        poll: false,
      },
    ];
    type Result = Awaited<ReturnType<typeof load>>;
    const results: Result[][] = targets.map(() => []);
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < targets.length; k++) {
        const i = (k + r) % targets.length;
        const target = targets[i]!;
        results[i]!.push(await load(target.url, target.poll));
      }
    }
    agent.destroy();

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const ceilings = results[0]!.map((r) => r.rps);
    const row = (name: string, runs: Result[]) => {
      const shares = runs.map((r, j) => (100 * r.rps) / ceilings[j]!);
      const mid = runs[shares.indexOf(median(shares))] ?? runs[0]!;
      const each = shares.map((x) => `${round(x)}%`).join(" / ");
      return `| ${name} | ${round(mid.rps)} | ${round(median(shares))}% | ${each} | ${round(mid.p50, 2)} | ${round(mid.p99, 2)} | ${runs.reduce((n, r) => n + r.errors, 0)} |`;
    };
    const table = [
      "| target | requests/s | of ceiling (median round) | each round | p50 ms | p99 ms | errors |",
      "| --- | --- | --- | --- | --- | --- | --- |",
      ...targets.map((t, i) => row(t.name, results[i]!)),
    ].join("\n");
    process.stdout.write(`${table}\n`);
    writeSection(
      "Scan",
      `Command: \`npm run bench -- scan ${requests} ${connections} ${rounds}\` — ${rounds} rounds of ${requests} requests per target over ${connections} connections (each round runs every target once, the order rotated; a target's share is of the ceiling in its own round), PostgreSQL, pool of 20 per server process; the load generator runs on the same machine.\nMachine: ${machine()}.\n\n${table}`,
    );
  } finally {
    baseline.kill("SIGKILL");
    await server.stop("SIGTERM");
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
