import { execSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { type AppContext, systemActor } from "../src/context";
import { createReceiptCode } from "../src/modules/receipt-codes/receipt-codes.service";

/** Latency percentiles in milliseconds from a list of samples. */
export function percentiles(samples: number[]): { p50: number; p90: number; p99: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s.at(-1) ?? 0 };
}

export const round = (n: number, digits = 1) => Number(n.toFixed(digits));

/** What the numbers were measured on: printed with every table. */
export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const pgVersion = (() => {
    try {
      return execSync("psql --version", { encoding: "utf8" }).trim();
    } catch {
      return "psql not found";
    }
  })();
  return `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, ${pgVersion}`;
}

/**
 * One HTTP request over a keep-alive agent, the body read whole. Lighter than fetch: the load
 * generator shares the machine's two cores with the server and PostgreSQL, so what it spends per
 * request is taken from them.
 */
export function httpRequest(
  agent: http.Agent,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { agent, method: options.method ?? "GET", headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Runs `fn` for every item with at most `concurrency` in flight. */
export async function pool<T>(
  items: T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        await fn(items[i] as T, i);
      }
    }),
  );
}

export const benchDatabaseUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/**
 * A fresh PostgreSQL database for one benchmark run: empty (the server migrates it), or a copy of
 * BENCH_TEMPLATE_DATABASE when set (the smoke run's already migrated template, which spares each
 * bench the migrations).
 */
export async function freshDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${Date.now()}`;
  const template = process.env.BENCH_TEMPLATE_DATABASE;
  const admin = new pg.Client({ connectionString: benchDatabaseUrl });
  await admin.connect();
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(`create database ${name}${template ? ` template ${template}` : ""}`);
      break;
    } catch (e) {
      // Another test file cloning the same template at this moment: try again shortly.
      if (attempt >= 20 || !/being accessed by other users/.test(String(e))) throw e;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  await admin.end();
  const u = new URL(benchDatabaseUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: benchDatabaseUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/**
 * Replaces (or appends) the section `## title` of BENCHMARKS.md, so each benchmark keeps its latest
 * result with the machine and command that produced it.
 */
export function writeSection(title: string, body: string): void {
  // BENCHMARKS_FILE: where a smoke run (test/e2e/bench-smoke.test.ts) writes, so BENCHMARKS.md keeps
  // only the figures measured by hand.
  const file = process.env.BENCHMARKS_FILE ?? path.resolve(import.meta.dirname, "../BENCHMARKS.md");
  const header =
    "# Benchmarks\n\nMeasured by hand with `npm run bench -- <name>` (scripts in `bench/`); each section says on what machine and with which command. The figures are not measured in CI; the scripts only run there with tiny counts, so that they keep working (`test/e2e/bench-smoke.test.ts`).\n";
  let text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : header;
  const heading = `## ${title}`;
  const start = text.indexOf(`\n${heading}\n`);
  const section = `\n${heading}\n\n${body.trim()}\n`;
  if (start === -1) text = `${text.trimEnd()}\n${section}`;
  else {
    const end = text.indexOf("\n## ", start + 1);
    text = text.slice(0, start) + section + (end === -1 ? "" : text.slice(end));
  }
  fs.writeFileSync(file, text);
}

/**
 * In a smoke run (BENCH_SMOKE=1, test/e2e/bench-smoke.test.ts: tiny counts, no timing checked) a
 * benchmark that saw errors fails instead of printing them in its table: the run proves the script
 * still drives the application, not how fast it is.
 */
export function smokeCheck(ok: boolean, what: string): void {
  if (!ok && process.env.BENCH_SMOKE === "1") throw new Error(`bench smoke run: ${what}`);
}

/** The submit every issuing benchmark sends: an enterprise buyer, the invoice by e-mail. */
export const benchSubmitBody = JSON.stringify({
  invoiceType: "digital_normal",
  buyer: { type: "enterprise", name: "上海某某科技有限公司", taxId: "91310000PMDEM00255" },
  email: "finance@example.com",
});

/** The order every benchmark uses: lunch, a discounted room, and (for issuing) breakfast for two. */
export const benchLines = [
  { name: "午餐", shortName: "餐饮服务", taxCode: "3070401000000000000", taxRate: "0.06", amount: "88.00" },
  {
    name: "标准间",
    shortName: "住宿服务",
    taxCode: "3070402000000000000",
    taxRate: "0.06",
    quantity: "1",
    unitPrice: "388.00",
    amount: "388.00",
    discount: "-38.80",
  },
  {
    name: "自助早餐",
    shortName: "餐饮服务",
    taxCode: "3070401000000000000",
    taxRate: "0.06",
    quantity: "2",
    unitPrice: "68.00",
    amount: "136.00",
  },
];

/** Creates `count` receipt codes for the organization through the real service; returns their tokens. */
export async function seedReceiptCodes(
  ctx: Pick<AppContext, "database" | "config">,
  orgId: string,
  count: number,
  options: { prefix: string; lines: typeof benchLines },
): Promise<string[]> {
  const tokens: string[] = new Array(count);
  await pool([...Array(count).keys()], 10, async (i) => {
    const code = await createReceiptCode(ctx, {
      actor: systemActor("bench"),
      orgId,
      source: "manual",
      input: { serialNo: `${options.prefix}-${i}`, drawer: "压测", lines: options.lines },
    });
    tokens[i] = code.token;
  });
  return tokens;
}

export interface CpuSnapshot {
  /** CPU seconds by process id (all its threads), with the process's name. */
  processes: Map<number, { comm: string; seconds: number }>;
  /** CPU seconds the whole machine spent busy (not idle, not waiting for I/O), from /proc/stat. */
  machineBusy: number;
}

/** Reads CPU time spent so far, per process and for the whole machine (Linux /proc). */
export function cpuSnapshot(): CpuSnapshot {
  const ticks = 100; // USER_HZ on Linux
  const processes = new Map<number, { comm: string; seconds: number }>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      processes.set(Number(entry), { comm, seconds: (Number(fields[11]) + Number(fields[12])) / ticks });
    } catch {
      // The process ended while we looked.
    }
  }
  // cpu  user nice system idle iowait irq softirq steal …
  const cpu = fs
    .readFileSync("/proc/stat", "utf8")
    .split("\n")[0]!
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  const busyTicks = cpu.reduce((a, b) => a + b, 0) - (cpu[3] ?? 0) - (cpu[4] ?? 0);
  return { processes, machineBusy: busyTicks / ticks };
}

/**
 * CPU seconds (user + system) of each backend connected to one database, by pid, from /proc — what
 * PostgreSQL spends for that database alone, whatever else the server does for other databases
 * (another benchmark on the same machine). Undefined when PostgreSQL runs elsewhere.
 */
export async function databaseBackendsCpu(client: {
  query(text: string): Promise<{ rows: unknown[] }>;
}): Promise<Map<number, number> | undefined> {
  const { rows } = await client.query(
    "select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
  );
  const out = new Map<number, number>();
  for (const { pid } of rows as Array<{ pid: number }>) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      return undefined;
    }
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    out.set(pid, (Number(f[11]) + Number(f[12])) / 100);
  }
  return out;
}

/** Seconds spent between two readings of databaseBackendsCpu; a backend that started in between counts from zero. */
export function backendsCpuSpent(
  before: Map<number, number> | undefined,
  after: Map<number, number> | undefined,
): number | undefined {
  if (!before || !after) return undefined;
  let sum = 0;
  for (const [pid, s] of after) sum += s - (before.get(pid) ?? 0);
  return sum;
}

/**
 * CPU seconds spent between two snapshots, per group: `servers` (the given process ids),
 * `postgres` (every postgres process), `load generator` (this process) and `other` — everything
 * else the machine did, including processes that started and ended in between (another program
 * running at the same time shows up here and makes the run unfit for comparison).
 */
export function cpuSpent(before: CpuSnapshot, after: CpuSnapshot, servers: number[]): Record<string, number> {
  const groups: Record<string, number> = { servers: 0, postgres: 0, "load generator": 0, other: 0 };
  for (const [pid, now] of after.processes) {
    const spent = now.seconds - (before.processes.get(pid)?.seconds ?? 0);
    if (spent <= 0) continue;
    const group = servers.includes(pid)
      ? "servers"
      : pid === process.pid
        ? "load generator"
        : now.comm === "postgres"
          ? "postgres"
          : null;
    if (group) groups[group] = (groups[group] ?? 0) + spent;
  }
  const known = groups.servers! + groups.postgres! + groups["load generator"]!;
  groups.other = Math.max(0, after.machineBusy - before.machineBusy - known);
  return groups;
}
