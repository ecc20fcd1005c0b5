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
  freshDatabase,
  httpRequest,
  machine,
  percentiles,
  pool,
  round,
  seedReceiptCodes,
  writeSection,
} from "./support";

/**
 * Submit → issued through the 诺诺 stand-in answering 开票中 for 2 s, on PostgreSQL: N receipt codes,
 * C concurrent consumers. The submit waits `submitWaitSeconds` (0.2 here) for the channel and then
 * answers `issuing`; the server asks 诺诺 again after 3 s (then 5 s, then the sweep), so each invoice
 * is issued about 3 s after its submit. Measured: the submit's latency, and invoices issued per
 * second from the first submit to the last invoice issued (read from the database).
 *
 *   npm run bench -- issue-channel [codes=2000] [consumers=50] [pool=20]
 */
const submitBody = JSON.stringify({
  invoiceType: "digital_normal",
  buyer: { type: "enterprise", name: "上海某某科技有限公司", taxId: "91310000PMDEM00255" },
  email: "finance@example.com",
});

export default async function run(args: string[]): Promise<void> {
  const codes = Number(args[0] ?? 2000);
  const consumers = Number(args[1] ?? 50);
  const poolSize = Number(args[2] ?? 20);
  const db = await freshDatabase("piaoma_bench_channel");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-bench-"));
  const standin = await createNuonuoStandin({ clock: new StandinClock("real") }).start();
  await standinControl(standin.url, "scenario", { pendingMs: 2000 });
  const secret = "bench-secret-bench-secret-bench-secret-00";
  const env = {
    DATABASE_URL: db.url,
    PIAOMA_DATA_DIR: dataDir,
    PIAOMA_SECRET: secret,
    PIAOMA_DEMO: "false",
    PIAOMA_ALLOW_PRIVATE_URLS: "true",
    PIAOMA_TUNING: "submitWaitSeconds=0.2",
    LOG_LEVEL: "error",
    DB_POOL_SIZE: String(poolSize),
  };
  let server: ServerProcess | undefined;
  const database = openPostgres(db.url, 10);
  try {
    server = await startServer(env);
    process.stdout.write(`seeding ${codes} receipt codes…\n`);
    const config = loadConfig({ ...env, PUBLIC_URL: server.baseUrl });
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
    const rssBefore = rssMiB(server.child.pid);
    const start = performance.now();
    await pool(tokens, consumers, async (token) => {
      const t = performance.now();
      const res = await httpRequest(agent, `${server!.baseUrl}/api/scan/${token}/submit`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: submitBody,
      });
      latencies.push(performance.now() - t);
      const status =
        res.status === 202
          ? String((JSON.parse(res.body) as { status?: string }).status)
          : `HTTP ${res.status}`;
      answers[status] = (answers[status] ?? 0) + 1;
    });
    const submitted = (performance.now() - start) / 1000;
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
    const rssAfter = rssMiB(server.child.pid);
    const p = percentiles(latencies);
    const table = [
      "| codes | consumers | submit p50 ms | p90 ms | p99 ms | submit answers | submits/s | issued | issued/s (first submit → last issued) | RSS MiB before → after |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      `| ${codes} | ${consumers} | ${round(p.p50)} | ${round(p.p90)} | ${round(p.p99)} | ${Object.entries(
        answers,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ", ",
        )} | ${round(codes / submitted)} | ${issued} | ${round(issued / seconds)} | ${rssBefore} → ${rssAfter} |`,
    ].join("\n");
    process.stdout.write(`${table}\n`);
    writeSection(
      "Issue through a channel: submit → issued via the 诺诺 stand-in (开票中 for 2 s)",
      `Command: \`npm run bench -- issue-channel ${codes} ${consumers} ${poolSize}\` — PostgreSQL, one server process (${poolSize} connections), the 诺诺 stand-in in the load generator's process on the same machine (real clock, every order 开票中 for 2 s), submit wait 0.2 s (\`PIAOMA_TUNING=submitWaitSeconds=0.2\`), re-query after 3 s then 5 s then the sweep; PDF + XML rendered, the stand-in's PDF/OFD/XML fetched and stored, e-mail queued. Issued counted in the database. Targets (issue 15): at least 200 invoices/s, submit p99 < 300 ms, memory flat.\nMachine: ${machine()}; load average at the end of the run ${os.loadavg()[0]?.toFixed(1)} (other work on the same cores).\n\n${table}`,
    );
  } finally {
    await server?.stop("SIGTERM");
    await database.close();
    await standin.close();
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
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
