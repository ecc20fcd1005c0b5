import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { loadConfig } from "../src/config";
import { systemActor } from "../src/context";
import { createOrganization } from "../src/modules/organizations/organizations.service";
import { openPostgres } from "../src/platform/db/client";
import { type ServerProcess, startServer } from "../test/support/processes";
import {
  backendsCpuSpent,
  benchLines,
  cpuSnapshot,
  cpuSpent,
  databaseBackendsCpu,
  freshDatabase,
  httpRequest,
  machine,
  percentiles,
  pool,
  round,
  seedReceiptCodes,
  smokeCheck,
  benchSubmitBody as submitBody,
  writeSection,
} from "./support";

/**
 * Submit → issued, end to end on PostgreSQL: N distinct receipt codes, C concurrent consumers, each
 * submitting an enterprise buyer; the server issues in-process with the sandbox channel, renders PDF
 * and XML, and queues the deliveries. Run with 1 or 2 server processes against one database.
 *
 *   npm run bench -- issue [codes=10000] [consumers=50] [processes=1] [pool=40 in all] [rate=0] [warm-up=300]
 *
 * With rate 0 (closed loop) each consumer submits again as soon as it has its answer: the most the
 * server can do, where latency is the consumers' queue (Little's law: 50 consumers at 100/s wait
 * 500 ms on average however fast each submit is). With a rate, submits arrive on a fixed schedule
 * (open loop), still at most `consumers` at once, and latency runs from each one's scheduled time,
 * so a server that falls behind is charged for the wait: the latency of that load. Each server
 * process first takes WARM_UP_SUBMITS submits that are not measured.
 */
/** Submits per server process before the measured run (the sixth argument). */
const WARM_UP_SUBMITS = 300;

export default async function run(args: string[]): Promise<void> {
  const codes = Number(args[0] ?? 10_000);
  const consumers = Number(args[1] ?? 50);
  const processes = Number(args[2] ?? 1);
  const poolTotal = Number(args[3] ?? 40);
  const rate = Number(args[4] ?? 0);
  const warmUpSubmits = Number(args[5] ?? WARM_UP_SUBMITS);
  const db = await freshDatabase("piaoma_bench");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-bench-"));
  const env = {
    DATABASE_URL: db.url,
    PIAOMA_DATA_DIR: dataDir,
    PIAOMA_SECRET: "bench-secret-bench-secret-bench-secret-00",
    PIAOMA_DEMO: "false",
    LOG_LEVEL: "warn",
    DB_POOL_SIZE: String(Math.ceil(poolTotal / processes)),
  };
  // For profiling by hand, e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const servers: ServerProcess[] = [];
  try {
    for (let i = 0; i < processes; i++) servers.push(await startServer(env, undefined, nodeArgs));

    process.stdout.write(`seeding ${codes} receipt codes…\n`);
    const database = openPostgres(db.url, 10);
    const config = loadConfig({ ...env, PUBLIC_URL: servers[0]!.baseUrl });
    const org = await createOrganization(
      { database },
      {
        actor: systemActor("bench"),
        input: { name: "压测示范酒店有限公司", taxId: "91440300PMDEM0017W", limit: "100000" },
      },
    );
    const tokens = await seedReceiptCodes({ database, config }, org.id, codes, {
      prefix: "BENCH",
      lines: benchLines,
    });
    // Codes submitted before measuring, so that the servers are warm (compiled code, connections
    // open, statements prepared, the font template built) as a server in service would be.
    const warmUp = await seedReceiptCodes({ database, config }, org.id, warmUpSubmits * processes, {
      prefix: "WARM",
      lines: benchLines,
    });
    await database.close();

    const latencies: number[] = [];
    const steps: Record<string, number> = {};
    let failures = 0;
    // Keep-alive sockets, one per consumer at most.
    const agent = new http.Agent({ keepAlive: true, maxSockets: consumers });
    await pool(warmUp, consumers, async (token, i) => {
      const res = await httpRequest(
        agent,
        `${servers[i % servers.length]!.baseUrl}/api/scan/${token}/submit`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: submitBody,
        },
      );
      if (res.status !== 202) throw new Error(`warm-up submit answered ${res.status}: ${res.body}`);
    });
    // PostgreSQL's CPU for this database alone: other work on the machine may use the same server.
    const probe = new pg.Client({ connectionString: db.url });
    await probe.connect();
    const backendsBefore = await databaseBackendsCpu(probe);
    const cpuBefore = cpuSnapshot();
    const start = performance.now();
    await pool(tokens, consumers, async (token, i) => {
      const base = servers[i % servers.length]!.baseUrl;
      let t = performance.now();
      if (rate > 0) {
        t = start + (i * 1000) / rate;
        if (t > performance.now()) await new Promise((r) => setTimeout(r, t - performance.now()));
      }
      const res = await httpRequest(agent, `${base}/api/scan/${token}/submit`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: submitBody,
      });
      latencies.push(performance.now() - t);
      const body = JSON.parse(res.body) as { status?: string };
      if (res.status !== 202 || body.status !== "issued") failures++;
      for (const part of String(res.headers["server-timing"] ?? "").split(",")) {
        const m = part.trim().match(/^(\w+);dur=([\d.]+)$/);
        if (m) steps[m[1]!] = (steps[m[1]!] ?? 0) + Number(m[2]);
      }
    });
    const seconds = (performance.now() - start) / 1000;
    const backends = backendsCpuSpent(backendsBefore, await databaseBackendsCpu(probe));
    await probe.end();
    agent.destroy();
    smokeCheck(failures === 0, `${failures} submits not answered 202 issued`);
    const cpu = cpuSpent(
      cpuBefore,
      cpuSnapshot(),
      servers.map((s) => s.child.pid ?? 0),
    );
    const cpuTotal = Object.values(cpu).reduce((a, b) => a + b, 0);
    const cpuLine = Object.entries(cpu)
      .map(([k, v]) => {
        const line = `${k} ${round((1000 * v) / codes, 2)} ms`;
        if (k !== "postgres" || backends === undefined) return line;
        return `${line} (this database's backends ${round((1000 * backends) / codes, 2)} ms)`;
      })
      .join(", ");
    const rss = servers.map((s) => peakRssMiB(s.child.pid));
    const p = percentiles(latencies);
    const total = Object.values(steps).reduce((a, b) => a + b, 0);
    const breakdown = Object.entries(steps)
      .map(([k, v]) => `${k} ${round((100 * v) / total)}% (${round(v / codes, 2)} ms)`)
      .join(", ");
    const table = [
      "| server processes | codes | consumers | submits | invoices/s | p50 ms | p90 ms | p99 ms | failures | peak RSS MiB |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      `| ${processes} | ${codes} | ${consumers} | ${rate > 0 ? `${rate}/s on schedule` : "back to back"} | ${round(codes / seconds)} | ${round(p.p50)} | ${round(p.p90)} | ${round(p.p99)} | ${failures} | ${rss.join(" + ")} |`,
    ].join("\n");
    const cpuSummary = `${round((1000 * cpuTotal) / codes, 2)} ms of CPU per invoice on the machine (${round((100 * cpuTotal) / seconds / os.cpus().length)}% of ${os.cpus().length} cores busy): ${cpuLine}`;
    process.stdout.write(`${table}\nserver time per invoice: ${breakdown}\n${cpuSummary}\n`);
    writeSection(
      `Issue: submit → issued (${processes} process${processes > 1 ? "es" : ""}${rate > 0 ? `, ${rate}/s on schedule` : ""})`,
      `Command: \`npm run bench -- issue ${codes} ${consumers} ${processes} ${poolTotal}${rate > 0 || warmUpSubmits !== WARM_UP_SUBMITS ? ` ${rate}` : ""}${warmUpSubmits !== WARM_UP_SUBMITS ? ` ${warmUpSubmits}` : ""}\` — PostgreSQL, sandbox channel, PDF + XML rendered and stored, e-mail delivery queued and sent (to the log mailer); ${poolTotal} database connections in all; the load generator runs on the same machine.\nMachine: ${machine()}.\n\n${table}\n\nWhere the server's time goes (from the Server-Timing header, summed over all submits): ${breakdown}.\n\nCPU (from /proc, over the measured run): ${cpuSummary}.`,
    );
  } finally {
    for (const s of servers) await s.stop("SIGTERM");
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function peakRssMiB(pid: number | undefined): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    return Math.round(Number(status.match(/VmHWM:\s+(\d+)/)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}
