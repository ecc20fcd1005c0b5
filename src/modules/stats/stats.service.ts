import Decimal from "decimal.js";
import { chinaDateIso } from "../../domain";
import type { Actor, AppContext } from "../../platform/context";
import { AppError } from "../../platform/errors";
import { requireOrg, requirePermission } from "../auth/access";
import { chinaDayStart } from "../invoices/invoices.console.repository";
import { STATS_QUERIES, type StatsQueryName } from "./stats.queries";
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
 * 统计分析 for one organization or every one the user may see: the dashboard in one response.
 * The queries (stats.queries.ts) run one after another: on PGlite there is one connection anyway,
 * and on PostgreSQL each is an index range scan short enough that parallelism buys little.
 */
export async function getStatistics(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; query: StatsQuery; now?: Date },
): Promise<StatsResponse> {
  const user = options.query.orgId
    ? requireOrg(options.actor, options.query.orgId)
    : requirePermission(options.actor, "read");
  const orgIds = options.query.orgId ? [options.query.orgId] : user.orgIds;
  const range = statsRange(options.query, options.now);
  const timings: Record<string, number> = {};
  const run = async (name: StatsQueryName): Promise<Row[]> => {
    const started = performance.now();
    const { rows } = await ctx.database.executeSql(STATS_QUERIES[name], [
      orgIds,
      range.start.toISOString(),
      range.end.toISOString(),
    ]);
    timings[name] = Math.round((performance.now() - started) * 10) / 10;
    return rows as Row[];
  };
  const daily = await run("daily");
  const dimensions = await run("dimensions");
  const [lead] = await run("leadTime");
  const [funnel] = await run("funnel");
  const failures = await run("failures");
  const deliveries = await run("deliveries");

  const sum = (rows: Row[], column: string) =>
    rows.reduce((s, r) => s.plus(String(r[column] ?? "0")), new Decimal(0));
  const amount = sum(daily, "amount");
  const redAmount = sum(daily, "red_amount");
  const slices = (dimension: string) =>
    dimensions
      .filter((r) => r.dimension === dimension)
      .map((r) => ({ key: String(r.key ?? ""), invoices: Number(r.invoices), amount: String(r.amount) }))
      .sort((a, b) => b.invoices - a.invoices || a.key.localeCompare(b.key));
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
  const seconds = (v: unknown) => (v == null ? null : Math.round(Number(v) * 10) / 10);
  return {
    from: range.from,
    to: range.to,
    orgIds,
    summary: {
      invoices: daily.reduce((n, r) => n + Number(r.invoices), 0),
      amount: amount.toFixed(2),
      redInvoices: daily.reduce((n, r) => n + Number(r.red_invoices), 0),
      redAmount: redAmount.toFixed(2),
      netAmount: amount.plus(redAmount).toFixed(2),
    },
    daily: daily.map((r) => ({
      day: String(r.day),
      invoices: Number(r.invoices),
      amount: String(r.amount),
      redInvoices: Number(r.red_invoices),
      redAmount: String(r.red_amount),
    })),
    byInvoiceType: slices("invoiceType"),
    byBuyerType: slices("buyerType"),
    byDevice: slices("device"),
    bySource: slices("source"),
    funnel: {
      codes: Number(funnel?.codes ?? 0),
      scanned: Number(funnel?.scanned ?? 0),
      scans: Number(funnel?.scans ?? 0),
      submitted: Number(funnel?.submitted ?? 0),
      invoiced: Number(funnel?.invoiced ?? 0),
    },
    leadTime: { median: seconds(lead?.median), p90: seconds(lead?.p90) },
    failures: { total: failureRows.reduce((n, r) => n + r.count, 0), reasons: failureRows },
    deliveries: {
      failed: deliveryRows.filter((r) => r.status === "failed").reduce((n, r) => n + r.count, 0),
      retrying: deliveryRows.filter((r) => r.status !== "failed").reduce((n, r) => n + r.count, 0),
      byChannel: deliveryRows,
    },
    timings,
  };
}
