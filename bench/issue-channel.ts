import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { loadConfig } from "../src/config";
import { systemActor } from "../src/context";
import { createOrganization } from "../src/modules/organizations/organizations.service";
import { createTaxAccountWithSettings } from "../src/modules/tax-accounts/tax-accounts.service";
import { Keyring } from "../src/platform/crypto";
import { openPostgres } from "../src/platform/db/client";
import { StandinClock } from "../src/standins/clock";
import { createNuonuoStandin, DEFAULT_APP } from "../src/standins/nuonuo/nuonuo-standin";
import { standinControl } from "../src/standins/server";
import { type ServerProcess, startServer } from "../test/support/processes";
import {
  benchLines,
  cpuSnapshot,
  cpuSpent,
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
 * Submit → issued through the 诺诺 stand-in answering 开票中 for 2 s, on PostgreSQL: N receipt codes,
 * C concurrent consumers. Default tuning: the submit answers `issuing` as soon as 诺诺 accepted the
 * order (开票中); the server asks 诺诺 again after 3 s (then 5 s, then the sweep), so each invoice is
 * issued about 3 s after its submit. Measured: the submit's latency, invoices issued per second from
 * the first submit to the last invoice issued (read from the database), the servers' CPU per
 * invoice, and every 10 s each server's resident memory, heap and event-loop delay (its /metrics)
 * and the database's connection count (pg_stat_activity): memory and connections must stay flat.
 *
 *   npm run bench -- issue-channel [codes=2000] [consumers=50] [pool=20 per process] [processes=1] [rate=0]
 *
 * With rate 0 each consumer submits again as soon as it has its answer (closed loop); with a rate,
 * submits arrive on a fixed schedule (open loop, at most `consumers` at once, latency counted from
 * each one's scheduled time), so the run lasts codes / rate seconds: e.g. 10 minutes at 200/s is
 * `issue-channel 120000 100 20 2 200`. With several processes the submits go round the servers.
 */
export default async function run(args: string[]): Promise<void> {
  const codes = Number(args[0] ?? 2000);
  const consumers = Number(args[1] ?? 50);
  const poolSize = Number(args[2] ?? 20);
  const processes = Number(args[3] ?? 1);
  const rate = Number(args[4] ?? 0);
  const db = await freshDatabase("piaoma_bench_channel");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-bench-"));
  const standin = await createNuonuoStandin({ clock: new StandinClock("real") }).start();
  await standinControl(standin.url, "scenario", { pendingMs: 2000 });
  const secret = "bench-secret-bench-secret-bench-secret-00";
  const metricsToken = "bench-metrics-token-0000";
  const env = {
    DATABASE_URL: db.url,
    PIAOMA_DATA_DIR: dataDir,
    PIAOMA_SECRET: secret,
    PIAOMA_DEMO: "false",
    PIAOMA_ALLOW_PRIVATE_URLS: "true",
    LOG_LEVEL: "error",
    DB_POOL_SIZE: String(poolSize),
    METRICS_TOKEN: metricsToken,
  };
  const servers: ServerProcess[] = [];
  const database = openPostgres(db.url, 10);
  // For profiling by hand, e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  try {
    for (let i = 0; i < processes; i++) servers.push(await startServer(env, undefined, nodeArgs));
    process.stdout.write(`seeding ${codes} receipt codes…\n`);
    const config = loadConfig({ ...env, PUBLIC_URL: servers[0]!.baseUrl });
    const org = await createOrganization(
      { database },
      {
        actor: systemActor("bench"),
        input: { name: "压测示范酒店有限公司", taxId: "91440300PMDEM0017W", limit: "100000" },
      },
    );
    await createTaxAccountWithSettings(
      { database, keyring: new Keyring(secret), config },
      {
        actor: systemActor("bench"),
        org: org.id,
        name: "诺诺（替身）",
        channel: "nuonuo",
        settings: {
          apiUrl: `${standin.url}/open/v1/services`,
          tokenUrl: `${standin.url}/accessToken`,
          appKey: DEFAULT_APP.appKey,
          appSecret: DEFAULT_APP.appSecret,
        },
        makeDefault: true,
      },
    );
    const tokens = await seedReceiptCodes({ database, config }, org.id, codes, {
      prefix: "CHAN",
      lines: benchLines,
    });

    const latencies: number[] = [];
    const answers: Record<string, number> = {};
    const agent = new http.Agent({ keepAlive: true, maxSockets: consumers });
    const pids = servers.map((s) => s.child.pid ?? 0);
    const rssBefore = pids.map(rssMiB);
    const cpuBefore = pids.map(cpuMs);
    const machineBefore = cpuSnapshot();
    const start = performance.now();
    const samples: Sample[] = [];
    let submitted = 0;
    const sampler = startSampler(samples, 10_000, async () => ({
      seconds: (performance.now() - start) / 1000,
      submitted,
      servers: await Promise.all(servers.map((s) => processFigures(s, metricsToken))),
      connections: await connectionCount(database, db.url),
    }));
    await sampler.take();
    await pool(tokens, consumers, async (token, i) => {
      const server = servers[i % servers.length]!;
      let t = performance.now();
      if (rate > 0) {
        t = start + (i * 1000) / rate;
        if (t > performance.now()) await new Promise((r) => setTimeout(r, t - performance.now()));
      }
      const res = await httpRequest(agent, `${server.baseUrl}/api/scan/${token}/submit`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: submitBody,
      });
      latencies.push(performance.now() - t);
      submitted++;
      const status =
        res.status === 202
          ? String((JSON.parse(res.body) as { status?: string }).status)
          : `HTTP ${res.status}`;
      answers[status] = (answers[status] ?? 0) + 1;
    });
    const submitSeconds = (performance.now() - start) / 1000;
    agent.destroy();
    // Until every invoice is issued (or a deadline: 2 s of 开票中, 3 s to the first re-query, slack).
    let issued = 0;
    const deadline = Date.now() + 120_000 + codes * 20;
    while (Date.now() < deadline) {
      const { rows } = await database.executeSql(
        "select count(*)::int as n from invoices where status = 'issued'",
      );
      issued = (rows as Array<{ n: number }>)[0]!.n;
      if (issued >= codes) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const seconds = (performance.now() - start) / 1000;
    const machineCpu = cpuSpent(machineBefore, cpuSnapshot(), pids);
    await sampler.stop();
    smokeCheck(issued === codes, `${issued} of ${codes} invoices issued`);
    const rssAfter = pids.map(rssMiB);
    // The servers' own CPU per invoice: less sensitive than latency to other work on the machine.
    const cpuPerInvoice =
      pids.reduce((sum, pid, i) => sum + cpuMs(pid) - cpuBefore[i]!, 0) / Math.max(issued, 1);
    const p = percentiles(latencies);
    const lagP99 = Math.max(0, ...samples.flatMap((s) => s.servers.map((f) => f.lagP99Ms)));
    const lagMax = Math.max(0, ...samples.flatMap((s) => s.servers.map((f) => f.lagMaxMs)));
    const table = [
      "| processes | codes | consumers | submits | submit p50 ms | p90 ms | p99 ms | submit answers | submits/s | issued | issued/s (first submit → last issued) | server CPU ms / invoice | event-loop delay p99 / max ms (worst 10 s) | RSS MiB before → after |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      `| ${processes} | ${codes} | ${consumers} | ${rate > 0 ? `${rate}/s on schedule` : "back to back"} | ${round(p.p50)} | ${round(p.p90)} | ${round(p.p99)} | ${Object.entries(
        answers,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ", ",
        )} | ${round(codes / submitSeconds)} | ${issued} | ${round(issued / seconds)} | ${round(cpuPerInvoice)} | ${round(lagP99)} / ${round(lagMax)} | ${rssBefore.map((b, i) => `${b} → ${rssAfter[i]}`).join(", ")} |`,
    ].join("\n");
    const sampleTable = [
      "| s | submitted | per server: RSS / heap used / external MiB, event-loop delay p99 / max ms | database connections |",
      "| --- | --- | --- | --- |",
      ...samples.map(
        (s) =>
          `| ${Math.round(s.seconds)} | ${s.submitted} | ${s.servers
            .map(
              (f) =>
                `${f.rssMiB} / ${f.heapUsedMiB} / ${f.externalMiB}, ${round(f.lagP99Ms)} / ${round(f.lagMaxMs)}`,
            )
            .join("; ")} | ${s.connections} |`,
      ),
    ].join("\n");
    const cpuLine = Object.entries(machineCpu)
      .map(([k, v]) => `${k} ${round((1000 * v) / Math.max(issued, 1), 2)} ms`)
      .join(", ");
    const cpuSummary = `CPU per invoice issued, first submit → last issued (from /proc; the load generator holds the 诺诺 stand-in): ${cpuLine}`;
    process.stdout.write(`${table}\n${cpuSummary}\n\n${sampleTable}\n`);
    const args5 = [
      codes,
      consumers,
      poolSize,
      ...(processes !== 1 || rate > 0 ? [processes] : []),
      ...(rate > 0 ? [rate] : []),
    ];
    writeSection(
      "Issue through a channel: submit → issued via the 诺诺 stand-in (开票中 for 2 s)",
      `Command: \`npm run bench -- issue-channel ${args5.join(" ")}\` — PostgreSQL, ${processes} server process${processes > 1 ? "es" : ""} (${poolSize} connections each; each runs its sweeps), the 诺诺 stand-in in the load generator's process on the same machine (real clock, every order 开票中 for 2 s), default tuning (the submit answers \`issuing\` once 诺诺 accepted), re-query after 3 s then 5 s then the sweep; PDF + XML rendered, the stand-in's PDF/OFD/XML fetched and stored, e-mail queued. Issued counted in the database. Targets (issue 15): at least 200 invoices/s, submit p99 < 300 ms, memory flat; issue 23 item 4: the same with two processes and the database connection count flat.\nMachine: ${machine()}; load average at the end of the run ${os.loadavg()[0]?.toFixed(1)} (other work on the same cores).\n\n${table}\n\n${cpuSummary}.\n\nEvery 10 s (each server's /metrics: resident memory, V8 heap used, external buffers, event-loop delay since the previous sample; connections to the bench database from pg_stat_activity):\n\n${sampleTable}`,
    );
  } catch (err) {
    // Say what the servers were doing: a failed run is worth its diagnosis.
    for (const [i, s] of servers.entries()) {
      const state =
        s.child.exitCode === null ? "running" : `exited ${s.child.exitCode ?? s.child.signalCode}`;
      process.stderr.write(`server ${i + 1} (${state}), last output:\n${s.output().slice(-3000)}\n`);
    }
    throw err;
  } finally {
    for (const s of servers) await s.stop("SIGTERM");
    await database.close();
    await standin.close();
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

interface ProcessFigures {
  rssMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
  lagP99Ms: number;
  lagMaxMs: number;
}

interface Sample {
  seconds: number;
  submitted: number;
  servers: ProcessFigures[];
  connections: number;
}

/** Takes a sample now and then every `everyMs` until stopped (and once more when stopped). */
function startSampler(samples: Sample[], everyMs: number, take: () => Promise<Sample>) {
  const once = async () => {
    try {
      samples.push(await take());
    } catch (e) {
      process.stderr.write(`sample failed: ${(e as Error).message}\n`);
    }
  };
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(once);
  }, everyMs);
  return {
    take: () => (running = running.then(once)),
    stop: async () => {
      clearInterval(timer);
      await running;
      await once();
    },
  };
}

/** A server's memory and event-loop delay from its /metrics (prom-client's process metrics). */
async function processFigures(server: ServerProcess, token: string): Promise<ProcessFigures> {
  const res = await fetch(`${server.baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  const value = (name: string) =>
    Number(text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m"))?.[1] ?? NaN);
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
  return {
    rssMiB: mib(value("process_resident_memory_bytes")),
    heapUsedMiB: mib(value("nodejs_heap_size_used_bytes")),
    externalMiB: mib(value("nodejs_external_memory_bytes")),
    lagP99Ms: value("nodejs_eventloop_lag_p99_seconds") * 1000,
    lagMaxMs: value("nodejs_eventloop_lag_max_seconds") * 1000,
  };
}

/** Connections open to the bench's database, every process's (pg_stat_activity), this sampler's included. */
async function connectionCount(database: ReturnType<typeof openPostgres>, url: string): Promise<number> {
  const name = new URL(url).pathname.slice(1);
  const { rows } = await database.executeSql(
    "select count(*)::int as n from pg_stat_activity where datname = $1",
    [name],
  );
  return (rows as Array<{ n: number }>)[0]!.n;
}

/** User + system CPU time of a process so far, in ms (Linux /proc; 0 elsewhere). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the command name).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

function rssMiB(pid: number | undefined): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    return Math.round(Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}
