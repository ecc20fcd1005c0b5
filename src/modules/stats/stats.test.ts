import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { seedStatsData } from "../../../test/support/stats-seed";
import { chinaDateIso, chinaDayStart } from "../../domain";
import { leadBucketWidth } from "./stats.queries";

/** percentile_cont: linear interpolation between the two nearest ranks. */
function percentile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
}

describeEachDatabase("statistics equal SQL counts over seeded data", (kind) => {
  let app: TestApp;
  let orgA: { id: string };
  let orgB: { id: string };
  let both: ConsoleClient;
  let onlyA: ConsoleClient;
  const now = new Date();
  const to = chinaDateIso(now);
  const from = chinaDateIso(new Date(now.getTime() - 29 * 86_400_000));
  const start = chinaDayStart(from);
  const end = chinaDayStart(to, 1);

  beforeAll(async () => {
    app = await createTestApp(kind, { startJobs: false });
    const { database } = app.ctx;
    orgA = await makeOrganization(database, { name: "统计甲有限公司" });
    orgB = await makeOrganization(database, { name: "统计乙有限公司" });
    for (const [org, codes, prefix] of [
      [orgA, 2400, "sa"],
      [orgB, 700, "sb"],
    ] as const) {
      const { rows } = await database.executeSql("select id from tax_bureau_accounts where org_id = $1", [
        org.id,
      ]);
      const taxAccountId = (rows[0] as { id: string }).id;
      // 60 days of data ending now: the default 30-day range sees about half of it.
      await seedStatsData(database.executeSql, {
        orgId: org.id,
        taxAccountId,
        codes,
        days: 60,
        endAt: now,
        prefix,
      });
    }
    const u1 = await makeUser(database, { role: "viewer", orgIds: [orgA.id, orgB.id] });
    const u2 = await makeUser(database, { role: "viewer", orgIds: [orgA.id] });
    both = await loginAs(app, u1.username, u1.password);
    onlyA = await loginAs(app, u2.username, u2.password);
  });
  afterAll(() => app?.close());

  const sql = async <T>(text: string, values: unknown[]) =>
    (await app.ctx.database.executeSql(text, values)).rows as T[];
  const inRange = "issued_at >= $2 and issued_at < $3";

  /** What the dashboard must show, counted here the plain way, one question at a time. */
  async function expected(orgIds: string[]) {
    const args = [orgIds, start.toISOString(), end.toISOString()];
    const blue = await sql<{
      issued_at: Date | string;
      total_amount: string;
      invoice_type: string;
      buyer_type: string;
      source: string;
      device_no: string | null;
      code_created: Date | string;
    }>(
      `select i.issued_at, i.total_amount, i.invoice_type, i.buyer_type, rc.source, d.device_no, rc.created_at as code_created
       from invoices i join receipt_codes rc on rc.id = i.receipt_code_id left join devices d on d.id = rc.device_id
       where i.org_id = any($1) and i.color = 'blue' and i.${inRange}`,
      args,
    );
    const [red] = await sql<{ n: number; amount: string }>(
      `select count(*)::int as n, coalesce(sum(total_amount), 0)::text as amount from invoices
       where org_id = any($1) and color = 'red' and ${inRange}`,
      args,
    );
    const [funnel] = await sql<Record<string, number>>(
      `select count(*)::int as codes, count(*) filter (where scan_count > 0)::int as scanned,
         coalesce(sum(scan_count), 0)::int as scans,
         count(*) filter (where status in ('issuing', 'invoiced', 'failed'))::int as submitted,
         count(*) filter (where status = 'invoiced')::int as invoiced
       from receipt_codes where org_id = any($1) and created_at >= $2 and created_at < $3`,
      args,
    );
    const [failed] = await sql<{ n: number }>(
      `select count(*)::int as n from invoices where org_id = any($1) and status = 'failed'
       and created_at >= $2 and created_at < $3`,
      args,
    );
    const [dlv] = await sql<{ failed: number; retrying: number }>(
      `select count(*) filter (where d.status = 'failed')::int as failed,
         count(*) filter (where d.status = 'pending' and d.attempts > 0)::int as retrying
       from deliveries d join invoices i on i.id = d.invoice_id
       where i.org_id = any($1) and d.created_at >= $2 and d.created_at < $3`,
      args,
    );
    const group = (key: (r: (typeof blue)[number]) => string) => {
      const m = new Map<string, number>();
      for (const r of blue) m.set(key(r), (m.get(key(r)) ?? 0) + 1);
      return Object.fromEntries([...m].sort());
    };
    const cents = (rows: Array<{ total_amount: string }>) =>
      rows.reduce((s, r) => s + Math.round(Number(r.total_amount) * 100), 0);
    const leads = blue.map(
      (r) => (new Date(r.issued_at).getTime() - new Date(r.code_created).getTime()) / 1000,
    );
    return {
      invoices: blue.length,
      amountCents: cents(blue),
      red,
      daily: group((r) => chinaDateIso(new Date(r.issued_at))),
      byInvoiceType: group((r) => r.invoice_type),
      byBuyerType: group((r) => r.buyer_type),
      bySource: group((r) => r.source),
      byDevice: group((r) => r.device_no ?? ""),
      funnel,
      median: percentile(leads, 0.5),
      p90: percentile(leads, 0.9),
      failed: failed!.n,
      deliveries: dlv!,
    };
  }

  const asCounts = (slices: Array<{ key: string; invoices: number }>) =>
    Object.fromEntries(slices.map((s) => [s.key, s.invoices]).sort());

  it("matches every number of the dashboard for one organization", async () => {
    const res = await onlyA.get(`/stats?orgId=${orgA.id}&from=${from}&to=${to}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers["server-timing"]).toContain("live;dur=");
    const s = res.json();
    const e = await expected([orgA.id]);
    expect(e.invoices).toBeGreaterThan(900); // the seed reached the range
    expect(s.summary.invoices).toBe(e.invoices);
    expect(Math.round(Number(s.summary.amount) * 100)).toBe(e.amountCents);
    expect(s.summary.redInvoices).toBe(e.red!.n);
    expect(s.summary.redAmount).toBe(Number(e.red!.amount).toFixed(2));
    expect(
      Object.fromEntries(s.daily.map((d: { day: string; invoices: number }) => [d.day, d.invoices])),
    ).toEqual(e.daily);
    expect(asCounts(s.byInvoiceType)).toEqual(e.byInvoiceType);
    expect(asCounts(s.byBuyerType)).toEqual(e.byBuyerType);
    expect(asCounts(s.bySource)).toEqual(e.bySource);
    expect(asCounts(s.byDevice)).toEqual(e.byDevice);
    expect(s.funnel).toEqual(e.funnel);
    // From the histogram: within one bucket of the exact percentile.
    expect(Math.abs(s.leadTime.median - e.median)).toBeLessThanOrEqual(leadBucketWidth(e.median));
    expect(Math.abs(s.leadTime.p90 - e.p90)).toBeLessThanOrEqual(leadBucketWidth(e.p90));
    expect(s.failures.total).toBe(e.failed);
    expect(s.failures.reasons[0]).toMatchObject({ code: "CHANNEL_REJECTED", reason: "税局拒绝开具" });
    expect(s.deliveries).toMatchObject({ failed: e.deliveries.failed, retrying: e.deliveries.retrying });
    expect(e.deliveries.failed).toBeGreaterThan(0);
  });

  it("answers the same from the rollup as when it filled it, for settled and recent days", async () => {
    const from60 = chinaDateIso(new Date(now.getTime() - 59 * 86_400_000));
    const url = `/stats?orgId=${orgA.id}&from=${from60}&to=${to}`;
    const first = (await onlyA.get(url)).json();
    const { rows } = await app.ctx.database.executeSql(
      "select count(*)::int as n from stats_days where org_id = $1",
      [orgA.id],
    );
    // Every settled day of the 60 is held by the rollup now; the last three are always live.
    expect((rows[0] as { n: number }).n).toBe(57);
    const second = (await onlyA.get(url)).json();
    expect(second.timings).not.toHaveProperty("buildRollup");
    const { timings: _a, ...a } = first;
    const { timings: _b, ...b } = second;
    expect(b).toEqual(a);
    const [all] = await sql<{ n: number; red: number }>(
      `select count(*) filter (where color = 'blue')::int as n, count(*) filter (where color = 'red')::int as red
       from invoices where org_id = $1 and issued_at >= $2 and issued_at < $3`,
      [orgA.id, chinaDayStart(from60).toISOString(), end.toISOString()],
    );
    expect(second.summary.invoices).toBe(all!.n);
    expect(second.summary.redInvoices).toBe(all!.red);
  });

  it("adds up every organization the user may see, and refuses one they may not", async () => {
    const s = (await both.get(`/stats?from=${from}&to=${to}`)).json();
    const e = await expected([orgA.id, orgB.id]);
    expect(s.orgIds.sort()).toEqual([orgA.id, orgB.id].sort());
    expect(s.summary.invoices).toBe(e.invoices);
    expect(asCounts(s.byDevice)).toEqual(e.byDevice);
    expect(s.funnel.codes).toBe(e.funnel!.codes);
    const a = (await onlyA.get(`/stats?from=${from}&to=${to}`)).json();
    expect(a.orgIds).toEqual([orgA.id]);
    expect(a.summary.invoices).toBeLessThan(s.summary.invoices);
    expect((await onlyA.get(`/stats?orgId=${orgB.id}`)).statusCode).toBe(404);
    const backwards = await onlyA.get(`/stats?from=${to}&to=${from}`);
    expect(backwards.statusCode).toBe(422);
  });
});
