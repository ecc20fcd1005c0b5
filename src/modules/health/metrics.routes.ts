import type { AppContext } from "../../context";
import { safeEqual } from "../../platform/crypto";
import { AppError } from "../../platform/errors";
import type { HttpServer } from "../../platform/http";
import type { Metrics } from "../../platform/metrics";
import { UNFINISHED_SQL } from "../invoices/invoice-status";

/**
 * GET /metrics (Prometheus text format), only when METRICS_TOKEN is set (otherwise there is no such
 * address: 404), and only with `Authorization: Bearer <METRICS_TOKEN>` (else 401). README "Metrics".
 * With it come the process's own figures (prom-client's defaults: resident memory, heap, external
 * buffers, GC, event-loop delay p50 / p99 / max since the last scrape), only then: each set of
 * them watches the event loop, so an app built without the route does not pay for it.
 */
export function registerMetricsRoute(http: HttpServer, ctx: Pick<AppContext, "config" | "metrics">): void {
  const token = ctx.config.metricsToken;
  if (!token) return;
  ctx.metrics.collectProcessMetrics();
  http.get("/metrics", { schema: { hide: true } }, async (req, reply) => {
    const header = req.headers.authorization ?? "";
    const given = header.startsWith("Bearer ") ? header.slice("Bearer ".length).trim() : "";
    if (!given || !safeEqual(given, token)) {
      reply.header("www-authenticate", 'Bearer realm="metrics"');
      throw new AppError("UNAUTHENTICATED", "需要 METRICS_TOKEN（Authorization: Bearer …）");
    }
    const text = await ctx.metrics.text();
    return reply
      .header("content-type", ctx.metrics.contentType)
      .header("cache-control", "no-store")
      .send(text);
  });
}

/** Every answered request, by its route pattern (never the URL: tokens live in paths) and status. */
export function countRequests(http: HttpServer, metrics: Metrics): void {
  // A plain callback, not an async function: no promise per request.
  http.addHook("onResponse", (req, reply, done) => {
    metrics.httpRequests.inc({
      method: req.method,
      route: req.routeOptions.url ?? "unmatched",
      status: String(reply.statusCode),
    });
    done();
  });
}

/**
 * The gauges read from the database on each scrape, each one indexed query: invoices open
 * (pending / issuing / queued …) or failed, deliveries waiting to be sent, and pg-boss's backlog
 * (jobs created or waiting for a retry, per queue).
 */
export function defineDatabaseGauges(ctx: Pick<AppContext, "database" | "metrics">): void {
  const rows = async <T>(text: string) => (await ctx.database.executeSql(text)).rows as T[];
  ctx.metrics.gaugeFromDatabase(
    "piaoma_invoices",
    "Invoices not finished, or failed, by status.",
    ["status"],
    async () =>
      (
        await rows<{ status: string; n: number }>(
          `select status, count(*)::int as n from invoices where ${UNFINISHED_SQL} or status = 'failed' group by status`,
        )
      ).map((r) => ({ labels: { status: r.status }, value: r.n })),
  );
  ctx.metrics.gaugeFromDatabase(
    "piaoma_deliveries_pending",
    "Deliveries not sent yet (first try or retrying), by channel.",
    ["channel"],
    async () =>
      (
        await rows<{ channel: string; n: number }>(
          `select channel, count(*)::int as n from deliveries where status = 'pending' group by channel`,
        )
      ).map((r) => ({ labels: { channel: r.channel }, value: r.n })),
  );
  ctx.metrics.gaugeFromDatabase(
    "piaoma_job_backlog",
    "pg-boss jobs waiting to run (created or retry), by queue.",
    ["queue"],
    async () =>
      (
        await rows<{ name: string; n: number }>(
          `select name, count(*)::int as n from pgboss.job where state in ('created', 'retry') group by name`,
        )
      ).map((r) => ({ labels: { queue: r.name }, value: r.n })),
  );
}
