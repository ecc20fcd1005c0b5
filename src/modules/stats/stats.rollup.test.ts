import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { seedStatsData } from "../../../test/support/stats-seed";
import type { Actor } from "../../context";
import { chinaDateIso, chinaDayStart } from "../../domain";
import { userActor } from "../auth/access";
import { getStatistics, refreshStatsRollup } from "./stats.service";

const DAY_MS = 86_400_000;

/**
 * Issue 23 item 3: the statistics job keeps the rollup (issued invoices, the funnel, failures and
 * failing deliveries of settled days) up to date ahead of the requests, so a dashboard request —
 * the first after a restart included: the service keeps nothing in memory — only reads it. The
 * figures must stay exactly those counted live over the same range (net of red invoices), after
 * late changes to settled days and after new invoices.
 */
describeEachDatabase("the statistics job keeps the rollup ahead of the requests", (kind) => {
  let app: TestApp;
  let orgId: string;
  let actor: Actor;
  const now = new Date();
  const daysAgo = (n: number) => chinaDateIso(new Date(now.getTime() - n * DAY_MS));
  const range = { from: daysAgo(40), to: daysAgo(0) };

  beforeAll(async () => {
    app = await createTestApp(kind, { startJobs: false });
    const org = await makeOrganization(app.ctx.database, { name: "统计汇总任务有限公司" });
    orgId = org.id;
    actor = userActor({ userId: "u", username: "u", memberships: [{ orgId, role: "viewer" }] });
    const [account] = await sql<{ id: string }>("select id from tax_bureau_accounts where org_id = $1", [
      orgId,
    ]);
    await seedStatsData(app.ctx.database.executeSql, {
      orgId,
      taxAccountId: account!.id,
      codes: 600,
      days: 30,
      endAt: now,
      prefix: "job",
    });
  });
  afterAll(() => app?.close());

  async function sql<T>(text: string, values: unknown[] = []): Promise<T[]> {
    return (await app.ctx.database.executeSql(text, values)).rows as T[];
  }
  const stats = () => getStatistics(app.ctx, { actor, query: { orgId, ...range }, now });
  /**
   * The same dashboard counted live over the whole range, no rollup read or written: asked as of a
   * moment before the range begins, no day of it is settled.
   */
  const allLive = () =>
    getStatistics(app.ctx, {
      actor,
      query: { orgId, ...range },
      now: new Date(chinaDayStart(range.from).getTime() - 1),
    });
  const built = (s: { timings: Record<string, number> }) =>
    ["missingDays", "buildRollup", "buildActivity", "markDays"].filter((name) => name in s.timings);
  const figures = ({ timings: _t, ...rest }: Awaited<ReturnType<typeof stats>>) => rest;

  it("builds every settled day a range may ask for; the next request only reads", async () => {
    const live = await allLive();
    expect(built(live)).toEqual([]);
    const [first] = await sql<{ day: string }>(
      `select to_char(((min(created_at) at time zone 'UTC') + interval '8 hours')::date, 'YYYY-MM-DD') as day
       from receipt_codes where org_id = $1`,
      [orgId],
    );
    const job = await refreshStatsRollup(app.ctx, now);
    // Every day a range may ask for (731 days up to three days ago: the first code is younger), each once.
    expect(first!.day > daysAgo(3 + 730)).toBe(true);
    const expectedDays = 731;
    expect(job.days).toBe(expectedDays);
    const [held] = await sql<{ n: number }>("select count(*)::int as n from stats_days where org_id = $1", [
      orgId,
    ]);
    expect(held!.n).toBe(expectedDays);
    expect((await refreshStatsRollup(app.ctx, now)).days).toBe(0); // nothing changed: nothing built

    const s = await stats();
    expect(built(s)).toEqual(["missingDays"]); // asked what to build, found nothing
    expect(s.timings).toHaveProperty("settled");
    expect(s.timings).toHaveProperty("settledActivity");
    expect(figures(s)).toEqual(figures(live));
    expect(s.summary.invoices).toBeGreaterThan(400);
    expect(s.summary.redInvoices).toBeGreaterThan(0);
    expect(s.failures.total).toBeGreaterThan(0);
    expect(s.deliveries.failed).toBeGreaterThan(0);
    expect(s.deliveries.retrying).toBeGreaterThan(0);
  });

  it("stays exact after late changes to settled days and new invoices, rebuilt by the job", async () => {
    await refreshStatsRollup(app.ctx, now);
    const before = await stats();
    // A failed invoice of a settled day issued now, with its code (the funnel, failures, today's issued).
    const [failed] = await sql<{ id: string; receipt_code_id: string }>(
      `select id, receipt_code_id from invoices where org_id = $1 and status = 'failed'
         and created_at < $2 order by created_at desc limit 1`,
      [orgId, chinaDayStart(daysAgo(10)).toISOString()],
    );
    await sql(
      "update invoices set status = 'issued', issued_at = now(), number = 'J' || id, failure_code = null, failure_reason = null where id = $1",
      [failed!.id],
    );
    await sql("update receipt_codes set status = 'invoiced' where id = $1", [failed!.receipt_code_id]);
    // A sent e-mail of a settled day bounces now (failing deliveries), another is retried.
    await sql(
      `update deliveries set status = 'failed', attempts = attempts + 1, last_error = '550 退信', updated_at = now()
       where id = (select d.id from deliveries d join invoices i on i.id = d.invoice_id
                   where i.org_id = $1 and d.status = 'sent' and d.created_at < $2 order by d.created_at desc limit 1)`,
      [orgId, chinaDayStart(daysAgo(12)).toISOString()],
    );
    await sql(
      `update deliveries set attempts = attempts + 1, last_error = '421 稍后再试', updated_at = now()
       where id = (select d.id from deliveries d join invoices i on i.id = d.invoice_id
                   where i.org_id = $1 and d.status = 'pending' and d.created_at < $2 order by d.created_at desc limit 1)`,
      [orgId, chinaDayStart(daysAgo(15)).toISOString()],
    );
    // An old code scanned again, and a blue invoice of a settled day reversed by a red one issued now.
    await sql(
      `update receipt_codes set scan_count = scan_count + 1
       where id = (select id from receipt_codes where org_id = $1 and created_at < $2 order by created_at desc limit 1)`,
      [orgId, chinaDayStart(daysAgo(20)).toISOString()],
    );
    await sql(
      `insert into invoices (id, org_id, receipt_code_id, tax_account_id, color, blue_invoice_id, reverse_reason,
         invoice_type, status, serial, number, issued_at, buyer_type, buyer_name, buyer_tax_id, drawer,
         amount_excluding_tax, tax_amount, total_amount, attempts)
       select b.id || 'late_red', b.org_id, b.receipt_code_id, b.tax_account_id, 'red', b.id, '销货退回',
         b.invoice_type, 'issued', b.serial || 'LR', 'LR' || b.number, now(), b.buyer_type, b.buyer_name,
         b.buyer_tax_id, b.drawer, -b.amount_excluding_tax, -b.tax_amount, -b.total_amount, 1
       from invoices b where b.id = (select id from invoices where org_id = $1 and color = 'blue' and status = 'issued'
         and issued_at < $2 order by issued_at desc limit 1)`,
      [orgId, chinaDayStart(daysAgo(8)).toISOString()],
    );
    const [dirty] = await sql<{ n: number }>(
      "select count(*)::int as n from stats_dirty_days where org_id = $1 and day <= $2::date",
      [orgId, daysAgo(3)],
    );
    expect(dirty!.n).toBeGreaterThanOrEqual(4);

    const job = await refreshStatsRollup(app.ctx, now);
    expect(job.days).toBe(dirty!.n);
    const after = await stats();
    expect(built(after)).toEqual(["missingDays"]);
    expect(figures(after)).toEqual(figures(await allLive()));
    expect(after.failures.total).toBe(before.failures.total - 1);
    expect(after.deliveries.failed).toBe(before.deliveries.failed + 1);
    expect(after.funnel.scans).toBe(before.funnel.scans + 1);
    expect(after.funnel.invoiced).toBe(before.funnel.invoiced + 1);
    expect(after.summary.invoices).toBe(before.summary.invoices + 1);
    expect(after.summary.redInvoices).toBe(before.summary.redInvoices + 1);
    expect(after.summary.netAmount).toBe(
      (Number(after.summary.amount) + Number(after.summary.redAmount)).toFixed(2),
    );
    expect(after.deliveries.byChannel.find((d) => d.status === "failed")?.lastError).toBe("550 退信");
    expect(after.deliveries.byChannel.find((d) => d.status === "pending")?.lastError).toBe("421 稍后再试");
  });

  it("a request before the job builds what it lacks itself, with the same figures", async () => {
    const day = daysAgo(6);
    await sql(
      `update receipt_codes set scan_count = scan_count + 2
       where id = (select id from receipt_codes where org_id = $1 and created_at >= $2 order by created_at limit 1)`,
      [orgId, chinaDayStart(day).toISOString()],
    );
    const s = await stats();
    expect(built(s)).toEqual(["missingDays", "buildRollup", "buildActivity", "markDays"]);
    expect(figures(s)).toEqual(figures(await allLive()));
    expect((await refreshStatsRollup(app.ctx, now)).days).toBe(0);
  });
});
