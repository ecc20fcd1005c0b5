import fs from "node:fs";
import { performance } from "node:perf_hooks";
import { systemActor } from "../src/context";
import { chinaDateIso } from "../src/domain";
import { userActor } from "../src/modules/auth/access";
import { createOrganization } from "../src/modules/organizations/organizations.service";
import { STATS_QUERIES, type StatsQueryName } from "../src/modules/stats/stats.queries";
import { getStatistics, LIVE_DAYS, refreshStatsRollup } from "../src/modules/stats/stats.service";
import { type Database, openPostgres } from "../src/platform/db/client";
import { runMigrations } from "../src/platform/db/migrate";
import { makeUscc } from "../test/support/factories";
import { seedStatsData } from "../test/support/stats-seed";
import { freshDatabase, machine, percentiles, round, writeSection } from "./support";

/**
 * The statistics dashboard over a million invoices on PostgreSQL: the data is generated in SQL
 * (test/support/stats-seed.ts, generate_series) over a year for one organization, plus a second,
 * smaller organization so "all organizations" covers two; then the statistics job's first run
 * (refreshStatsRollup: the rollup of every settled day), a restart (a new connection pool: the
 * service keeps nothing in memory), and for a 30-day, a 90-day and a 365-day range: the first
 * request after the restart (which only reads the rollup), each query of
 * the following requests, the whole service call (what GET /api/console/stats runs), and the
 * issued-invoice statement run live over the whole range, which is what the rollup saves.
 *
 *   npm run bench -- stats [invoices=1000000] [runs=7]
 */
export default async function run(args: string[]): Promise<void> {
  const invoiceTarget = Number(args[0] ?? 1_000_000);
  const runs = Number(args[1] ?? 7);
  // 18 of 20 codes are invoiced (stats-seed.ts): this many codes give the target blue invoices.
  const codes = Math.ceil((invoiceTarget * 20) / 18);
  const db = await freshDatabase("piaoma_bench_stats");
  let database = openPostgres(db.url, 4);
  try {
    await runMigrations(database);
    const org = await createOrganization(
      { database },
      {
        actor: systemActor("bench"),
        input: { name: "统计压测连锁超市有限公司", taxId: "91440300PMDEM0017W" },
      },
    );
    const other = await createOrganization(
      { database },
      { actor: systemActor("bench"), input: { name: "统计压测酒店有限公司", taxId: makeUscc("91310000") } },
    );
    const taxAccount = async (orgId: string) =>
      (
        (await database.executeSql("select id from tax_bureau_accounts where org_id = $1", [orgId]))
          .rows[0] as {
          id: string;
        }
      ).id;
    const endAt = new Date();
    process.stdout.write(`generating ${codes} receipt codes and their invoices…\n`);
    const seedStarted = performance.now();
    await seedStatsData(database.executeSql, {
      orgId: org.id,
      taxAccountId: await taxAccount(org.id),
      codes,
      days: 365,
      endAt,
      prefix: "b1",
    });
    await seedStatsData(database.executeSql, {
      orgId: other.id,
      taxAccountId: await taxAccount(other.id),
      codes: Math.ceil(codes / 10),
      days: 365,
      endAt,
      prefix: "b2",
    });
    await database.executeSql("vacuum analyze");
    const seedSeconds = round((performance.now() - seedStarted) / 1000);
    const counts = (
      await database.executeSql(
        `select (select count(*) from invoices)::int as invoices, (select count(*) from receipt_codes)::int as codes,
         (select count(*) from deliveries)::int as deliveries,
         (select count(*) from invoices where org_id = $1 and color = 'blue' and issued_at is not null)::int as org_issued`,
        [org.id],
      )
    ).rows[0] as Record<string, number>;
    process.stdout.write(`${JSON.stringify(counts)} in ${seedSeconds}s\n`);

    // The statistics job, as a server in service runs it every few minutes; then a restart.
    const refreshStarted = performance.now();
    const refreshed = await refreshStatsRollup({ database }, endAt);
    const refreshSeconds = round((performance.now() - refreshStarted) / 1000);
    await database.close();
    database = openPostgres(db.url, 4);

    const to = chinaDateIso(endAt);
    const rangeOf = (days: number) => ({
      from: chinaDateIso(new Date(endAt.getTime() - (days - 1) * 86_400_000)),
      to,
    });
    const ranges = [30, 90, 365];
    const names = Object.keys(STATS_QUERIES) as StatsQueryName[];
    const rows: string[] = [];
    const actor = userActor({
      userId: "bench",
      username: "bench",
      memberships: [
        { orgId: org.id, role: "viewer" },
        { orgId: other.id, role: "viewer" },
      ],
    });
    for (const days of ranges) {
      const range = rangeOf(days);
      const timings: Record<string, number[]> = {};
      const whole: number[] = [];
      const wholeAll: number[] = [];
      const wholeCpu: number[] = [];
      let issued = 0;
      // The first request after a restart (a new pool: new connections, nothing prepared): the job
      // has built every settled day, it only reads.
      await database.close();
      database = openPostgres(db.url, 4);
      const firstCpu = await cpuOf(database);
      const firstStarted = performance.now();
      const first = await getStatistics(
        { database },
        { actor, query: { orgId: org.id, ...range }, now: endAt },
      );
      const firstMs = performance.now() - firstStarted;
      const firstCpuMs = (await cpuOf(database)).since(firstCpu);
      await getStatistics({ database }, { actor, query: range, now: endAt }); // fills the other organization's days
      for (let i = 0; i < runs; i++) {
        const cpuBefore = await cpuOf(database);
        const started = performance.now();
        const stats = await getStatistics(
          { database },
          { actor, query: { orgId: org.id, ...range }, now: endAt },
        );
        whole.push(performance.now() - started);
        wholeCpu.push((await cpuOf(database)).since(cpuBefore));
        issued = stats.summary.invoices;
        for (const [name, ms] of Object.entries(stats.timings)) {
          timings[name] ??= [];
          timings[name].push(ms);
        }
        const allStarted = performance.now();
        await getStatistics({ database }, { actor, query: range, now: endAt });
        wholeAll.push(performance.now() - allStarted);
      }
      // Without the rollup: the same per-day, per-dimension statement over the whole range, live.
      const direct: number[] = [];
      for (let i = 0; i < Math.min(runs, 3); i++) {
        const started = performance.now();
        await database.executeSql(STATS_QUERIES.live, [
          [org.id],
          new Date(`${range.from}T00:00:00+08:00`).toISOString(),
          endAt.toISOString(),
        ]);
        direct.push(performance.now() - started);
      }
      const cell = (samples: number[]) => {
        const p = percentiles(samples);
        return `${round(p.p50)} / ${round(p.max)}`;
      };
      const built = Object.entries(first.timings)
        .filter(([name]) => ["buildRollup", "buildActivity", "markDays"].includes(name))
        .map(([name, ms]) => `${name} ${round(ms)}`)
        .join(", ");
      rows.push(
        `| ${days} days | first request after the restart (${built ? `built: ${built}` : "only reads the rollup"}) | ${round(firstMs)} | ${round(firstCpuMs)} |`,
      );
      for (const name of names) {
        if (timings[name]) rows.push(`| ${days} days | ${name} | ${cell(timings[name])} | |`);
      }
      rows.push(
        `| ${days} days | **whole dashboard, one organization** (${issued.toLocaleString("en")} blue invoices in range) | ${cell(whole)} | ${round(percentiles(wholeCpu).p50)} |`,
      );
      rows.push(`| ${days} days | **whole dashboard, both organizations** | ${cell(wholeAll)} | |`);
      rows.push(
        `| ${days} days | for comparison: issued invoices counted live over the whole range, no rollup | ${cell(direct)} | |`,
      );
    }
    const table = [
      "| range | query | ms: median / max of the runs after the first | CPU ms (this process + PostgreSQL), median |",
      "| --- | --- | --- | --- |",
      ...rows,
    ].join("\n");
    writeSection(
      "Statistics dashboard over 1 million invoices",
      `Command: \`npm run bench -- stats ${invoiceTarget} ${runs}\` — PostgreSQL, data generated in SQL with generate_series (\`test/support/stats-seed.ts\`): ${counts.invoices?.toLocaleString("en")} invoices (blue and red), ${counts.codes?.toLocaleString("en")} receipt codes, ${counts.deliveries?.toLocaleString("en")} deliveries over 365 days, in two organizations (the measured one holds ${counts.org_issued?.toLocaleString("en")} issued blue invoices); generated and analysed in ${seedSeconds} s; the statistics job's first run (\`refreshStatsRollup\`, every settled day of ${refreshed.organizations} organizations, ${refreshed.days} days) took ${refreshSeconds} s, then the connection pool was opened anew (a restart: the service keeps nothing in memory). Each query of \`src/modules/stats/stats.queries.ts\` timed inside \`getStatistics\` (the service behind \`GET /api/console/stats\`), ${runs} runs per range after the first. Settled days (older than ${LIVE_DAYS + 1} days) come from the rollup (\`stats_daily\` for issued invoices, \`stats_daily_activity\` for the funnel, failures and failing deliveries); the last days and merged codes are counted live.\nMachine: ${machine()}.\n\n${table}`,
    );
    process.stdout.write(`${table}\n`);
  } finally {
    await database.close();
    await db.drop();
  }
}

interface CpuReading {
  ms: number;
  byPid: Map<number, number>;
  since(before: CpuReading): number;
}

/**
 * CPU spent so far by this process and by the PostgreSQL backends serving the database (read from
 * /proc, 10 ms ticks for the backends): a request's cost that other work on the machine does not
 * inflate, unlike its time. Backends that are new by the second reading count from zero.
 */
async function cpuOf(database: Database): Promise<CpuReading> {
  const { rows } = await database.executeSql(
    "select pid from pg_stat_activity where datname = current_database()",
  );
  const byPid = new Map<number, number>();
  for (const { pid } of rows as Array<{ pid: number }>) {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      byPid.set(pid, (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // Ended meanwhile.
    }
  }
  const own = process.cpuUsage();
  const ms = (own.user + own.system) / 1000;
  return {
    ms,
    byPid,
    since(b) {
      let pg = 0;
      for (const [pid, v] of byPid) pg += v - (b.byPid.get(pid) ?? 0);
      return ms - b.ms + pg;
    },
  };
}
