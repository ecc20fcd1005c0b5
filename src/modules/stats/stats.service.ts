import Decimal from "decimal.js";
import type { Actor, AppContext } from "../../context";
import { chinaDateIso, chinaDayStart } from "../../domain";
import { AppError } from "../../platform/errors";
import { requireOrg, requirePermission } from "../auth/access";
import { leadBucketWidth, STATS_QUERIES, type StatsQueryName } from "./stats.queries";
import type { StatsQuery, StatsResponse } from "./stats.schema";

const MAX_DAYS = 731;

/** The range as China days → the instants [from, to) the queries take. */
export function statsRange(query: Pick<StatsQuery, "from" | "to">, now = new Date()) {
  const to = query.to ?? chinaDateIso(now);
  const from = query.from ?? chinaDateIso(new Date(chinaDayStart(to).getTime() - 29 * 86_400_000));
  const start = chinaDayStart(from);
  const end = chinaDayStart(to, 1);
  const days = Math.round((end.getTime() - start.getTime()) / 86_400_000);
  if (days < 1) throw AppError.validation({ from: "开始日期不能晚于结束日期" });
  if (days > MAX_DAYS) throw AppError.validation({ from: `统计区间最长 ${MAX_DAYS} 天` });
  return { from, to, start, end };
}

type Row = Record<string, unknown>;

/**
 * Days older than this many days before today (China time) are settled: read from the rollup.
 * Two days of margin cover a channel that reports an issue time a little in the past; changes
 * later than that (an import, an issue confirmed days late, a corrected invoice) mark the day
 * dirty (stats_dirty_days, by trigger) and it is rebuilt on the next request. The trigger marks
 * invoices issued more than a day before the database's clock, so `now` may run ahead of that
 * clock by up to a day.
 */
export const LIVE_DAYS = 2;

const dayPlus = (day: string, n: number) => chinaDateIso(chinaDayStart(day, n));

type Run = (name: StatsQueryName, params: unknown[]) => Promise<Row[]>;

/** A run of days is (re)built this many days at a time: short statements, each its own commit. */
const BUILD_CHUNK_DAYS = 31;

/**
 * Builds the rollup (stats_daily and stats_daily_activity) of the settled days in [from, to]
 * (dates) of the organizations that it does not hold yet or that were marked dirty since, and marks
 * them held. A mark bumped while a day was rebuilt is kept: the day is built again next time.
 * Returns how many days were built.
 */
async function fillRollup(run: Run, orgIds: string[], from: string, to: string): Promise<number> {
  let built = 0;
  for (const missing of await run("missingDays", [orgIds, from, to])) {
    const org = String(missing.org_id);
    const dirty = (
      typeof missing.dirty === "string" ? JSON.parse(missing.dirty) : (missing.dirty ?? [])
    ) as Array<{ day: string; marks: number }>;
    const last = String(missing.last);
    for (let first = String(missing.first); first <= last; first = dayPlus(first, BUILD_CHUNK_DAYS)) {
      const chunkLast =
        dayPlus(first, BUILD_CHUNK_DAYS - 1) < last ? dayPlus(first, BUILD_CHUNK_DAYS - 1) : last;
      const instants = [[org], chinaDayStart(first).toISOString(), chinaDayStart(chunkLast, 1).toISOString()];
      await run("buildRollup", instants);
      await run("buildActivity", instants);
      const marks = dirty.filter((d) => d.day >= first && d.day <= chunkLast);
      await run("markDays", [[org], first, chunkLast, JSON.stringify(marks)]);
      built += Math.round(
        (chinaDayStart(chunkLast, 1).getTime() - chinaDayStart(first).getTime()) / 86_400_000,
      );
    }
  }
  return built;
}

/** The last settled day (China date) at `now`: the rollup holds it and every day before. */
function lastSettledDay(now: Date): string {
  return dayPlus(chinaDateIso(now), -LIVE_DAYS - 1);
}

/** The statistics job (app.ts): refreshStatsRollup every few minutes, in a worker. */
export const STATS_ROLLUP_QUEUE = "stats-rollup";
export const STATS_ROLLUP_CRON = "*/5 * * * *";

/**
 * Keeps the rollup up to date ahead of the requests (the statistics job, app.ts): for every
 * organization, builds the settled days a range may ask for (the last MAX_DAYS, and any older day
 * since its first receipt code or invoice) that are not held yet (a day that just settled, an organization never looked at) or marked dirty (a late
 * change), so that a dashboard request — the first after a restart included — only reads the
 * rollup. Returns the days built.
 */
export async function refreshStatsRollup(
  ctx: Pick<AppContext, "database">,
  now = new Date(),
): Promise<{ organizations: number; days: number }> {
  const run: Run = async (name, params) =>
    (await ctx.database.executeSql(STATS_QUERIES[name], params)).rows as Row[];
  const lastSettled = lastSettledDay(now);
  const orgs = (await ctx.database.executeSql("select id from organizations order by id")).rows as Array<{
    id: string;
  }>;
  // Every day a range may reach back to (MAX_DAYS) is held, empty ones too, and older ones that hold data.
  const reach = dayPlus(lastSettled, -(MAX_DAYS - 1));
  let days = 0;
  for (const { id } of orgs) {
    const [first] = await run("firstActivity", [id]);
    const firstDay = first?.first == null ? reach : chinaDateIso(new Date(first.first as string | Date));
    days += await fillRollup(run, [id], firstDay < reach ? firstDay : reach, lastSettled);
  }
  return { organizations: orgs.length, days };
}

/**
 * 统计分析 for one organization or every one the user may see: the dashboard in one response.
 * Settled days are read from the rollup — issued invoices (stats_daily), the funnel, failures and
 * failing deliveries (stats_daily_activity) — which the statistics job keeps up to date
 * (refreshStatsRollup); a settled day it does not hold yet, or marked dirty since, is built here
 * first. The last few days are counted live, and so are merged codes of the funnel. The queries
 * run one after another: PGlite has one connection anyway, and each is short.
 */
export async function getStatistics(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; query: StatsQuery; now?: Date },
): Promise<StatsResponse> {
  const user = options.query.orgId
    ? requireOrg(options.actor, options.query.orgId)
    : requirePermission(options.actor, "read");
  const orgIds = options.query.orgId ? [options.query.orgId] : user.orgIds;
  const now = options.now ?? new Date();
  const range = statsRange(options.query, now);
  const timings: Record<string, number> = {};
  const run: Run = async (name, params) => {
    const started = performance.now();
    const { rows } = await ctx.database.executeSql(STATS_QUERIES[name], params);
    timings[name] = Math.round(((timings[name] ?? 0) + performance.now() - started) * 10) / 10;
    return rows as Row[];
  };

  // Settled part [from, lastSettled], live part (lastSettled, to].
  const lastSettled = lastSettledDay(now);
  const settledTo = range.to < lastSettled ? range.to : lastSettled;
  const rows: Row[] = [];
  const funnel = { codes: 0, scanned: 0, scans: 0, submitted: 0, invoiced: 0 };
  const failures = new Map<string, { code: string; reason: string; count: number }>();
  const deliveries = new Map<
    string,
    { channel: string; status: string; count: number; lastError: string | null; lastErrorAt: number }
  >();
  const addFailure = (code: string, reason: string, count: number) => {
    const key = JSON.stringify([code, reason]);
    const f = failures.get(key) ?? { code, reason, count: 0 };
    f.count += count;
    failures.set(key, f);
  };
  const addDelivery = (channel: string, status: string, r: Row) => {
    const key = JSON.stringify([channel, status]);
    const d = deliveries.get(key) ?? { channel, status, count: 0, lastError: null, lastErrorAt: -Infinity };
    d.count += Number(r.count);
    const at = r.last_error_at == null ? Number.NaN : new Date(r.last_error_at as string | Date).getTime();
    if (r.last_error != null && !(at <= d.lastErrorAt)) {
      d.lastError = String(r.last_error);
      d.lastErrorAt = at;
    }
    deliveries.set(key, d);
  };

  if (range.from <= settledTo) {
    await fillRollup(run, orgIds, range.from, settledTo);
    rows.push(...(await run("settled", [orgIds, range.from, settledTo])));
    for (const r of await run("settledActivity", [orgIds, range.from, settledTo])) {
      const key = String(r.key);
      if (r.kind === "funnel") funnel[key as keyof typeof funnel] += Number(r.count);
      else if (r.kind === "failure") {
        const [code, reason] = JSON.parse(key) as [string, string];
        addFailure(code, reason, Number(r.count));
      } else if (r.kind === "delivery") {
        const [channel, status] = JSON.parse(key) as [string, string];
        addDelivery(channel, status, r);
      }
    }
    const [merged] = await run("mergedInvoiced", [
      orgIds,
      range.start.toISOString(),
      chinaDayStart(settledTo, 1).toISOString(),
    ]);
    funnel.invoiced += Number(merged?.invoiced ?? 0);
  }
  if (settledTo < range.to) {
    const liveFrom = range.from > settledTo ? range.from : dayPlus(settledTo, 1);
    const instants = [orgIds, chinaDayStart(liveFrom).toISOString(), range.end.toISOString()];
    rows.push(...(await run("live", instants)));
    const [live] = await run("funnel", instants);
    for (const key of Object.keys(funnel) as Array<keyof typeof funnel>)
      funnel[key] += Number(live?.[key] ?? 0);
    for (const r of await run("failures", instants))
      addFailure(String(r.code), String(r.reason), Number(r.count));
    for (const r of await run("deliveries", instants)) addDelivery(String(r.channel), String(r.status), r);
  }
  const issued = summarizeIssued(rows);

  // The ten most frequent reasons (then by code), as the live statement ordered them.
  const failureRows = [...failures.values()]
    .sort((a, b) => b.count - a.count || compare(a.code, b.code) || compare(a.reason, b.reason))
    .slice(0, 10);
  const deliveryRows = [...deliveries.values()]
    .sort((a, b) => compare(a.channel, b.channel) || compare(a.status, b.status))
    .map((d) => ({ channel: d.channel, status: d.status, count: d.count, lastError: d.lastError }));
  return {
    from: range.from,
    to: range.to,
    orgIds,
    ...issued,
    funnel,
    failures: { total: failureRows.reduce((n, r) => n + r.count, 0), reasons: failureRows },
    deliveries: {
      failed: deliveryRows.filter((r) => r.status === "failed").reduce((n, r) => n + r.count, 0),
      retrying: deliveryRows.filter((r) => r.status !== "failed").reduce((n, r) => n + r.count, 0),
      byChannel: deliveryRows,
    },
    timings,
  };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Merges rollup and live rows (both per day, dimension and key) into the dashboard's shapes. */
function summarizeIssued(rows: Row[]) {
  const days = new Map<
    string,
    { invoices: number; amount: Decimal; redInvoices: number; redAmount: Decimal }
  >();
  const slices = new Map<string, Map<string, { invoices: number; amount: Decimal }>>();
  const lead = new Map<number, number>();
  for (const r of rows) {
    const invoices = Number(r.invoices);
    const amount = new Decimal(String(r.amount ?? "0"));
    if (r.dimension === "total") {
      const d = days.get(String(r.day)) ?? {
        invoices: 0,
        amount: new Decimal(0),
        redInvoices: 0,
        redAmount: new Decimal(0),
      };
      d.invoices += invoices;
      d.amount = d.amount.plus(amount);
      d.redInvoices += Number(r.red_invoices);
      d.redAmount = d.redAmount.plus(String(r.red_amount ?? "0"));
      days.set(String(r.day), d);
    } else if (r.dimension === "lead") {
      if (invoices > 0) lead.set(Number(r.key), (lead.get(Number(r.key)) ?? 0) + invoices);
    } else if (invoices > 0) {
      const of = slices.get(String(r.dimension)) ?? new Map();
      const s = of.get(String(r.key)) ?? { invoices: 0, amount: new Decimal(0) };
      of.set(String(r.key), { invoices: s.invoices + invoices, amount: s.amount.plus(amount) });
      slices.set(String(r.dimension), of);
    }
  }
  const daily = [...days]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, d]) => ({
      day,
      invoices: d.invoices,
      amount: d.amount.toFixed(2),
      redInvoices: d.redInvoices,
      redAmount: d.redAmount.toFixed(2),
      netAmount: d.amount.plus(d.redAmount).toFixed(2),
    }));
  const total = (f: (d: (typeof daily)[number]) => string) =>
    daily.reduce((s, d) => s.plus(f(d)), new Decimal(0));
  const amount = total((d) => d.amount);
  const redAmount = total((d) => d.redAmount);
  const slicesOf = (dimension: string) =>
    [...(slices.get(dimension) ?? new Map<string, { invoices: number; amount: Decimal }>())]
      .map(([key, s]) => ({ key, invoices: s.invoices, amount: s.amount.toFixed(2) }))
      .sort((a, b) => b.invoices - a.invoices || a.key.localeCompare(b.key));
  return {
    summary: {
      invoices: daily.reduce((n, d) => n + d.invoices, 0),
      amount: amount.toFixed(2),
      redInvoices: daily.reduce((n, d) => n + d.redInvoices, 0),
      redAmount: redAmount.toFixed(2),
      netAmount: amount.plus(redAmount).toFixed(2),
    },
    daily,
    byInvoiceType: slicesOf("invoiceType"),
    byBuyerType: slicesOf("buyerType"),
    byDevice: slicesOf("device"),
    bySource: slicesOf("source"),
    leadTime: { median: percentileOf(lead, 0.5), p90: percentileOf(lead, 0.9) },
  };
}

/**
 * A percentile from the lead-time histogram, placing the values of a bucket evenly across its
 * width: within one bucket width of the exact value (10 s below 10 minutes, 1 min below 2 hours).
 */
export function percentileOf(histogram: Map<number, number>, q: number): number | null {
  const buckets = [...histogram].sort(([a], [b]) => a - b);
  const n = buckets.reduce((s, [, c]) => s + c, 0);
  if (n === 0) return null;
  const rank = q * (n - 1);
  let before = 0;
  for (const [start, count] of buckets) {
    if (rank < before + count) {
      return Math.round((start + (leadBucketWidth(start) * (rank - before + 0.5)) / count) * 10) / 10;
    }
    before += count;
  }
  const [start] = buckets[buckets.length - 1]!;
  return start + leadBucketWidth(start);
}
