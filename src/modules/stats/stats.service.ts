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

/**
 * 统计分析 for one organization or every one the user may see: the dashboard in one response.
 * Issued invoices are read from the rollup for settled days (filled on first request, rebuilt for
 * the days whose invoices changed since) and live for the last few days; the funnel, failures and failing deliveries are counted live. The queries run
 * one after another: PGlite has one connection anyway, and each is short.
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
  const run = async (name: StatsQueryName, params: unknown[]): Promise<Row[]> => {
    const started = performance.now();
    const { rows } = await ctx.database.executeSql(STATS_QUERIES[name], params);
    timings[name] = Math.round(((timings[name] ?? 0) + performance.now() - started) * 10) / 10;
    return rows as Row[];
  };
  const instants = [orgIds, range.start.toISOString(), range.end.toISOString()];

  // Settled part [from, lastSettled], live part (lastSettled, to].
  const lastSettled = dayPlus(chinaDateIso(now), -LIVE_DAYS - 1);
  const settledTo = range.to < lastSettled ? range.to : lastSettled;
  const rows: Row[] = [];
  if (range.from <= settledTo) {
    // Runs of consecutive days not held yet or marked dirty; the marks read are cleared after the
    // build only if no change bumped them meanwhile.
    for (const missing of await run("missingDays", [orgIds, range.from, settledTo])) {
      const [org, first, last] = [missing.org_id, String(missing.first), String(missing.last)];
      const dirty = typeof missing.dirty === "string" ? missing.dirty : JSON.stringify(missing.dirty ?? []);
      await run("buildRollup", [
        [org],
        chinaDayStart(first).toISOString(),
        chinaDayStart(last, 1).toISOString(),
      ]);
      await run("markDays", [[org], first, last, dirty]);
    }
    rows.push(...(await run("settled", [orgIds, range.from, settledTo])));
  }
  if (settledTo < range.to) {
    const liveFrom = range.from > settledTo ? range.from : dayPlus(settledTo, 1);
    rows.push(
      ...(await run("live", [orgIds, chinaDayStart(liveFrom).toISOString(), range.end.toISOString()])),
    );
  }
  const issued = summarizeIssued(rows);
  const [funnel] = await run("funnel", instants);
  const failures = await run("failures", instants);
  const deliveries = await run("deliveries", instants);

  const failureRows = failures.map((r) => ({
    code: String(r.code),
    reason: String(r.reason),
    count: Number(r.count),
  }));
  const deliveryRows = deliveries.map((r) => ({
    channel: String(r.channel),
    status: String(r.status),
    count: Number(r.count),
    lastError: r.last_error == null ? null : String(r.last_error),
  }));
  return {
    from: range.from,
    to: range.to,
    orgIds,
    ...issued,
    funnel: {
      codes: Number(funnel?.codes ?? 0),
      scanned: Number(funnel?.scanned ?? 0),
      scans: Number(funnel?.scans ?? 0),
      submitted: Number(funnel?.submitted ?? 0),
      invoiced: Number(funnel?.invoiced ?? 0),
    },
    failures: { total: failureRows.reduce((n, r) => n + r.count, 0), reasons: failureRows },
    deliveries: {
      failed: deliveryRows.filter((r) => r.status === "failed").reduce((n, r) => n + r.count, 0),
      retrying: deliveryRows.filter((r) => r.status !== "failed").reduce((n, r) => n + r.count, 0),
      byChannel: deliveryRows,
    },
    timings,
  };
}

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
