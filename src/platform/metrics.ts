import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * The application's Prometheus metrics (GET /metrics, text format), one registry per application
 * (tests build several in one process). Counters are per process, as Prometheus expects; the
 * gauges that describe the database (invoices open or failed, the job backlog) are read from it on
 * each scrape by collectors the composition root gives (`gaugeFromDatabase`), so every process
 * reports the same figures.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: "piaoma_http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status code.",
    labelNames: ["method", "route", "status"] as const,
    registers: [this.registry],
  });
  readonly issueOutcomes = new Counter({
    name: "piaoma_issue_outcomes_total",
    help: "Issuing attempts by channel and outcome (issued, rejected, pending, confirmation_pending, account_problem, unavailable).",
    labelNames: ["channel", "outcome"] as const,
    registers: [this.registry],
  });
  readonly channelLatency = new Histogram({
    name: "piaoma_channel_call_duration_seconds",
    help: "Duration of calls to issuing channels, by channel and operation (issue, query, retry, red_confirmation …) and result (ok, error).",
    labelNames: ["channel", "operation", "result"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly deliveryOutcomes = new Counter({
    name: "piaoma_delivery_outcomes_total",
    help: "Delivery sends by channel (email, sms) and outcome (sent, retry, failed, bounced, delivered, undelivered).",
    labelNames: ["channel", "outcome"] as const,
    registers: [this.registry],
  });
  readonly sweepRuns = new Counter({
    name: "piaoma_sweep_runs_total",
    help: "Sweeps run, by sweep and result (ok, error).",
    labelNames: ["sweep", "result"] as const,
    registers: [this.registry],
  });
  readonly sweepRows = new Counter({
    name: "piaoma_sweep_rows_total",
    help: "Rows worked by sweeps (a healthy system works few: the fast path did it).",
    labelNames: ["sweep"] as const,
    registers: [this.registry],
  });

  /** A gauge whose values are read when scraped; a failing read leaves it empty for that scrape. */
  gaugeFromDatabase<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: () => Promise<Array<{ labels: Record<L, string>; value: number }>>,
  ): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          for (const row of await read()) this.set(row.labels, row.value);
        } catch {
          // The scrape still answers; the gauge is absent this time.
        }
      },
    });
  }

  private processMetrics = false;

  /** The process's memory, GC and event-loop delay (prom-client's default metrics), once. */
  collectProcessMetrics(): void {
    if (this.processMetrics) return;
    this.processMetrics = true;
    collectDefaultMetrics({ register: this.registry });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Times an async call into the channel latency histogram. */
export async function timed<T>(
  metrics: Metrics,
  labels: { channel: string; operation: string },
  call: () => Promise<T>,
): Promise<T> {
  const end = metrics.channelLatency.startTimer(labels);
  try {
    const result = await call();
    end({ result: "ok" });
    return result;
  } catch (e) {
    end({ result: "error" });
    throw e;
  }
}
