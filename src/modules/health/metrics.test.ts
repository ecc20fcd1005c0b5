import { eq } from "drizzle-orm";
import { afterEach, expect, it } from "vitest";
import { createTestApp, submitAsCompany, type TestApp } from "../../../test/support/app";
import { describeOneDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode } from "../../../test/support/factories";
import { waitUntil } from "../../../test/support/wait";
import { invoices } from "../../platform/db/schema";
import { drainDeliveries } from "../deliveries/deliveries.service";

const TOKEN = "metrics-token-0123456789abcdef";

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** The value of a sample whose labels include `labels`, or 0 when there is none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split("\n")) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[3]);
  }
  return 0;
}

describeOneDatabase("GET /metrics", (kind) => {
  it("does not exist without METRICS_TOKEN", async () => {
    app = await createTestApp(kind, { startJobs: false });
    const res = await app.http.inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(404);
  });

  it("needs the bearer token, then counts requests by route, issuing, channel latency, deliveries, sweeps and open invoices", async () => {
    app = await createTestApp(kind, { env: { METRICS_TOKEN: TOKEN } });
    const a = app;
    const scrape = async () => {
      const res = await a.http.inject({
        method: "GET",
        url: "/metrics",
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toContain("text/plain");
      return res.body;
    };
    expect((await a.http.inject({ method: "GET", url: "/metrics" })).statusCode).toBe(401);
    const wrong = await a.http.inject({
      method: "GET",
      url: "/metrics",
      headers: { authorization: "Bearer metrics-token-0123456789abcdeX" },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers["www-authenticate"]).toContain("Bearer");

    const before = await scrape();
    const org = await makeOrganization(a.ctx.database);
    const code = await makeReceiptCode(a.ctx, org.id);
    const submitted = await submitAsCompany(a, code.token);
    expect(submitted.statusCode).toBe(202);
    await drainDeliveries(a.ctx);
    const failedId = submitted.json().invoices[0].id as string;
    await a.ctx.database.db.update(invoices).set({ status: "failed" }).where(eq(invoices.id, failedId));
    // The worker's sweeps run on their own; wait until one has been counted.
    await waitUntil(
      async () => sample(await scrape(), "piaoma_sweep_runs_total", { sweep: "delivery-send" }) > 0,
      "a sweep run",
    );
    const after = await scrape();

    const submit = { method: "POST", route: "/api/scan/:token/submit", status: "202" };
    expect(sample(after, "piaoma_http_requests_total", submit)).toBe(
      sample(before, "piaoma_http_requests_total", submit) + 1,
    );
    // The URL itself (with its token) is never a label.
    expect(after).not.toContain(code.token);
    expect(sample(after, "piaoma_http_requests_total", { route: "/metrics", status: "401" })).toBe(2);
    expect(sample(after, "piaoma_issue_outcomes_total", { channel: "sandbox", outcome: "issued" })).toBe(1);
    expect(
      sample(after, "piaoma_channel_call_duration_seconds_count", {
        channel: "sandbox",
        operation: "issue",
        result: "ok",
      }),
    ).toBe(1);
    expect(sample(after, "piaoma_delivery_outcomes_total", { channel: "email", outcome: "sent" })).toBe(1);
    expect(sample(after, "piaoma_invoices", { status: "failed" })).toBe(1);
    expect(after).toContain("# TYPE piaoma_job_backlog gauge");
    expect(after).toContain("# TYPE piaoma_deliveries_pending gauge");
    // The process's own figures: memory and the event-loop delay since the previous scrape.
    expect(sample(after, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(sample(after, "nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
    expect(after).toContain("# TYPE nodejs_external_memory_bytes gauge");
    expect(after).toContain("# TYPE nodejs_eventloop_lag_p99_seconds gauge");
    expect(after).toContain("# TYPE nodejs_eventloop_lag_max_seconds gauge");
  });
});
