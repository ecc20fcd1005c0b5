import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../src/config";
import { systemActor } from "../src/context";
import { createOrganization } from "../src/modules/organizations/organizations.service";
import { openPostgres } from "../src/platform/db/client";
import { startServer } from "../test/support/processes";
import {
  benchLines,
  freshDatabase,
  httpRequest,
  machine,
  pool,
  round,
  seedReceiptCodes,
  smokeCheck,
  benchSubmitBody as submitBody,
  writeSection,
} from "./support";

/**
 * What one issued invoice costs the server, counted rather than timed (so that other work on the
 * machine does not change the figures): the statements (round trips) the server process sends to
 * PostgreSQL and the CPU time it spends, from submit to the e-mail sent (to the log mailer), over N
 * submits after a warm-up, on the sandbox channel with PDF + XML — the path of `bench issue`.
 * The server runs with bench/statement-counter.mjs loaded; the statements most sent are listed.
 * PostgreSQL's side, when it runs on this machine: the CPU of the bench database's backends (from
 * /proc, so the server's connections — the bench's own polling adds a little) and, when the server
 * preloads pg_stat_statements (shared_preload_libraries; the extension is created in the fresh
 * database), the execution time per invoice of each statement, top level and nested (triggers).
 *
 *   npm run bench -- issue-statements [codes=200] [consumers=10] [warm-up=50]
 */
export default async function run(args: string[]): Promise<void> {
  const codes = Number(args[0] ?? 200);
  const consumers = Number(args[1] ?? 10);
  const warmUpSubmits = Number(args[2] ?? 50);
  const db = await freshDatabase("piaoma_bench_stmts");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-bench-"));
  const counterFile = path.join(dataDir, "statements.json");
  const env = {
    DATABASE_URL: db.url,
    PIAOMA_DATA_DIR: dataDir,
    PIAOMA_SECRET: "bench-secret-bench-secret-bench-secret-00",
    PIAOMA_DEMO: "false",
    LOG_LEVEL: "warn",
    DB_POOL_SIZE: String(consumers),
    STATEMENT_COUNTER_FILE: counterFile,
  };
  // For profiling by hand, e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const server = await startServer(env, undefined, [
    ...nodeArgs,
    "--import",
    path.join(import.meta.dirname, "statement-counter.mjs"),
  ]);
  const database = openPostgres(db.url, 4);
  try {
    const config = loadConfig({ ...env, PUBLIC_URL: server.baseUrl });
    const org = await createOrganization(
      { database },
      {
        actor: systemActor("bench"),
        input: { name: "压测示范酒店有限公司", taxId: "91440300PMDEM0017W", limit: "100000" },
      },
    );
    const seed = (prefix: string, n: number) =>
      seedReceiptCodes({ database, config }, org.id, n, { prefix, lines: benchLines });
    const warmUp = await seed("WARM", warmUpSubmits);
    const tokens = await seed("STMT", codes);
    const agent = new http.Agent({ keepAlive: true, maxSockets: consumers });
    let failures = 0;
    const submitAll = (list: string[]) =>
      pool(list, consumers, async (token) => {
        const res = await httpRequest(agent, `${server.baseUrl}/api/scan/${token}/submit`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: submitBody,
        });
        if (res.status !== 202 || (JSON.parse(res.body) as { status?: string }).status !== "issued")
          failures++;
      });
    // Every invoice issued so far has its e-mail sent: the whole path is done.
    const settle = async () => {
      for (let i = 0; i < 600; i++) {
        const { rows } = await database.executeSql(
          `select (select count(*) from invoices where status = 'issued')::int as issued,
             (select count(*) from deliveries where status = 'sent')::int as sent`,
        );
        const r = rows[0] as { issued: number; sent: number };
        if (r.issued === r.sent) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error("e-mails not sent in 60 s");
    };
    const snapshot = async () => {
      fs.rmSync(counterFile, { force: true });
      server.child.kill("SIGUSR2");
      for (let i = 0; i < 100 && !fs.existsSync(counterFile); i++)
        await new Promise((r) => setTimeout(r, 50));
      return JSON.parse(fs.readFileSync(counterFile, "utf8")) as {
        cpuMs: number;
        statements: Record<string, number>;
      };
    };
    await submitAll(warmUp);
    await settle();
    const pgStats = await pgStatements(database);
    const pgBefore = await backendCpuMs(database);
    const before = await snapshot();
    await submitAll(tokens);
    await settle();
    const after = await snapshot();
    const pgAfter = await backendCpuMs(database);
    const perStatement = await pgStats.read(codes);
    agent.destroy();
    smokeCheck(failures === 0, `${failures} submits not answered 202 issued`);

    const spent = Object.entries(after.statements)
      .map(([text, n]) => ({ text, n: n - (before.statements[text] ?? 0) }))
      .filter((s) => s.n > 0)
      .sort((a, b) => b.n - a.n);
    const total = spent.reduce((s, x) => s + x.n, 0);
    const cpuMs = (after.cpuMs - before.cpuMs) / codes;
    const top = spent
      .slice(0, 25)
      .map((s) => `| ${round(s.n / codes, 2)} | \`${s.text.slice(0, 160).replace(/\|/g, "\\|")}\` |`)
      .join("\n");
    const pgCpuMs =
      pgBefore === undefined || pgAfter === undefined
        ? "–"
        : String(round(cpuDelta(pgBefore, pgAfter) / codes, 2));
    const result = `| invoices | statements per invoice | server CPU ms per invoice | PostgreSQL backends CPU ms per invoice | failures |
| --- | --- | --- | --- | --- |
| ${codes} | ${round(total / codes, 1)} | ${round(cpuMs, 2)} | ${pgCpuMs} | ${failures} |

The statements sent most, per invoice (the background's polling included: a share of it falls in
any run):

| per invoice | statement |
| --- | --- |
${top}${perStatement}`;
    process.stdout.write(`${result}\n`);
    writeSection(
      "Issue: statements and server CPU per invoice",
      `Command: \`npm run bench -- issue-statements ${codes} ${consumers} ${warmUpSubmits}\` — PostgreSQL, sandbox channel, PDF + XML, e-mail to the log mailer; ${consumers} consumers; counted over ${codes} submits after ${warmUpSubmits} unmeasured ones, until every e-mail is sent. Statements are counted in the server process (bench/statement-counter.mjs: each is one round trip); CPU is the server process's own (process.cpuUsage), which other work on the machine changes little; PostgreSQL's is its backends' for the bench database (/proc), per-statement times from pg_stat_statements when preloaded.\nMachine: ${machine()}.\n\n${result}`,
    );
  } finally {
    await database.close();
    await server.stop("SIGTERM");
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

type Database = ReturnType<typeof openPostgres>;

/** CPU (user + system, ms) of each backend connected to the bench database, by pid, from /proc. */
async function backendCpuMs(database: Database): Promise<Map<number, number> | undefined> {
  const { rows } = await database.executeSql(
    "select pid from pg_stat_activity where datname = current_database()",
  );
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  const out = new Map<number, number>();
  for (const { pid } of rows as { pid: number }[]) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      return undefined; // PostgreSQL is not on this machine (or not visible)
    }
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    out.set(pid, (Number(f[11]) + Number(f[12])) * tick);
  }
  return out;
}

/** CPU spent between two readings; a backend that started in between counts from zero. */
function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of after) sum += ms - (before.get(pid) ?? 0);
  return sum;
}

/**
 * pg_stat_statements for the bench database, reset now; read() lists the statements by execution
 * time per invoice. Empty when the extension is not preloaded by the server.
 */
async function pgStatements(database: Database): Promise<{ read(invoices: number): Promise<string> }> {
  try {
    await database.executeSql("create extension if not exists pg_stat_statements");
    await database.executeSql("select pg_stat_statements_reset()");
  } catch {
    return { read: async () => "" };
  }
  return {
    async read(invoices) {
      const { rows } = await database.executeSql(
        `select toplevel, calls::float8 as calls, total_exec_time as ms, rows::float8 as rows,
           shared_blks_hit + shared_blks_read + shared_blks_dirtied as blks, wal_bytes::float8 as wal,
           query
         from pg_stat_statements
         where dbid = (select oid from pg_database where datname = current_database())
           and query not like '%pg_stat_statements%'
         order by total_exec_time desc`,
      );
      const list = rows as {
        toplevel: boolean;
        calls: number;
        ms: number;
        rows: number;
        blks: number;
        wal: number;
        query: string;
      }[];
      const top = list.filter((r) => r.toplevel);
      const ms = top.reduce((s, r) => s + r.ms, 0);
      const wal = top.reduce((s, r) => s + r.wal, 0);
      const line = (r: (typeof list)[number]) =>
        `| ${r.toplevel ? "" : "nested "}${round(r.calls / invoices, 2)} | ${round((r.ms * 1000) / invoices, 1)} | ${round(r.blks / invoices, 1)} | ${round(r.wal / invoices)} | \`${r.query.replace(/\s+/g, " ").slice(0, 140).replace(/\|/g, "\\|")}\` |`;
      return `

PostgreSQL execution time (pg_stat_statements, top-level statements; a statement's time includes its
triggers'): ${round((ms * 1000) / invoices)} µs per invoice, ${round(wal / invoices)} WAL bytes per invoice. The statements
by time (nested: run inside a trigger or function):

| calls per invoice | µs per invoice | buffers per invoice | WAL bytes per invoice | statement |
| --- | --- | --- | --- | --- |
${list.slice(0, 30).map(line).join("\n")}`;
    },
  };
}
