import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { seedStatsData } from "../../../test/support/stats-seed";
import type { Actor } from "../../context";
import { chinaDateIso, chinaDayStart } from "../../domain";
import { userActor } from "../auth/access";
import { STATS_QUERIES } from "./stats.queries";
import { getStatistics } from "./stats.service";

const DAY_MS = 86_400_000;

/**
 * A settled day is rolled up once, but invoices of that day can still arrive or change later (an
 * import, an issue confirmed days late, a correction): the rollup notices and rebuilds that day.
 */
describeEachDatabase("statistics notice late changes to settled days", (kind) => {
  let app: TestApp;
  let orgId: string;
  let actor: Actor;
  const now = new Date();
  const daysAgo = (n: number) => chinaDateIso(new Date(now.getTime() - n * DAY_MS));
  /** Noon (China time) of a day, as an ISO instant. */
  const noonOf = (day: string) => new Date(chinaDayStart(day).getTime() + 12 * 3_600_000).toISOString();
  // 20 days of seeded data; the range reaches 10 days further back, to days with no invoice at all.
  const range = { from: daysAgo(30), to: daysAgo(0) };

  beforeAll(async () => {
    app = await createTestApp(kind, { startJobs: false });
    const org = await makeOrganization(app.ctx.database, { name: "统计迟到有限公司" });
    orgId = org.id;
    actor = userActor({ userId: "u", username: "u", memberships: [{ orgId, role: "viewer" }] });
    const [account] = await sql<{ id: string }>("select id from tax_bureau_accounts where org_id = $1", [
      orgId,
    ]);
    await seedStatsData(app.ctx.database.executeSql, {
      orgId,
      taxAccountId: account!.id,
      codes: 400,
      days: 20,
      endAt: now,
      prefix: "late",
    });
  });
  afterAll(() => app?.close());

  async function sql<T>(text: string, values: unknown[] = []): Promise<T[]> {
    return (await app.ctx.database.executeSql(text, values)).rows as T[];
  }
  const stats = (query: { from: string; to: string } = range) =>
    getStatistics(app.ctx, { actor, query: { orgId, ...query }, now });
  const dayOf = (s: Awaited<ReturnType<typeof stats>>, day: string) =>
    s.daily.find((d) => d.day === day) ?? { invoices: 0, amount: "0.00", redInvoices: 0, redAmount: "0.00" };
  const rollupRows = () =>
    sql<Record<string, unknown>>(
      `select to_char(day, 'YYYY-MM-DD') as day, dimension, key, invoices, amount::text as amount,
         red_invoices, red_amount::text as red_amount
       from stats_daily where org_id = $1 order by day, dimension, key`,
      [orgId],
    );
  const activityRows = () =>
    sql<Record<string, unknown>>(
      `select to_char(day, 'YYYY-MM-DD') as day, kind, key, count, last_error, last_error_at::text as at
       from stats_daily_activity where org_id = $1 order by day, kind, key`,
      [orgId],
    );
  /** Settled days marked dirty (the seed also marks recent days, which are counted live anyway). */
  const dirtyDays = async () =>
    (
      await sql<{ day: string }>(
        "select to_char(day, 'YYYY-MM-DD') as day from stats_dirty_days where day <= $1::date order by 1",
        [daysAgo(3)],
      )
    ).map((r) => r.day);
  const allMarks = () => sql("select org_id, day::text as day, marks from stats_dirty_days order by 1, 2");
  let imported = 0;
  /** Inserts a blue or red invoice "imported" into a past day, beside a seeded invoice's code. */
  async function importInvoice(
    id: string,
    day: string,
    fields: { color?: "blue" | "red"; amount?: string; invoiceType?: string } = {},
  ) {
    const color = fields.color ?? "blue";
    const amount = fields.amount ?? "100.00";
    await sql(
      `insert into invoices (id, org_id, receipt_code_id, tax_account_id, color, seq, invoice_type, status, serial,
         issued_at, buyer_type, buyer_name, drawer, amount_excluding_tax, tax_amount, total_amount, created_at)
       select $1, org_id, receipt_code_id, tax_account_id, $2, $6::int, $3, 'issued', $1 || '-S', $4, 'enterprise',
         '导入购买方', '张会计', $5::numeric, 0, $5::numeric, $4
       from invoices where id = 'late_inv3'`,
      [id, color, fields.invoiceType ?? "digital_normal", noonOf(day), amount, 10 + imported++],
    );
  }
  /** The same dashboard computed from nothing: the rollup thrown away and built again. */
  async function fromScratch() {
    const incremental = await rollupRows();
    const activity = await activityRows();
    await sql("delete from stats_daily where org_id = $1", [orgId]);
    await sql("delete from stats_daily_activity where org_id = $1", [orgId]);
    await sql("delete from stats_days where org_id = $1", [orgId]);
    const rebuilt = await stats();
    expect(await rollupRows()).toEqual(incremental);
    expect(await activityRows()).toEqual(activity);
    return rebuilt;
  }

  it("counts an invoice imported into a settled day after that day was rolled up", async () => {
    const before = await stats();
    expect(before.timings).toHaveProperty("buildRollup");
    const day = daysAgo(10);
    expect(dayOf(before, day).invoices).toBeGreaterThan(0);
    expect((await stats()).timings).not.toHaveProperty("buildRollup"); // nothing changed: nothing built

    await importInvoice("late_import_1", day, { amount: "1234.56" });
    expect(await dirtyDays()).toEqual([day]);
    const after = await stats();
    expect(after.timings).toHaveProperty("buildRollup");
    expect(dayOf(after, day).invoices).toBe(dayOf(before, day).invoices + 1);
    expect(Number(dayOf(after, day).amount)).toBeCloseTo(Number(dayOf(before, day).amount) + 1234.56, 2);
    expect(after.summary.invoices).toBe(before.summary.invoices + 1);
    expect(await dirtyDays()).toEqual([]);
    // Only that day changed.
    for (const d of before.daily.filter((x) => x.day !== day)) expect(dayOf(after, d.day)).toEqual(d);
    const { timings: _a, ...rest } = after;
    const { timings: _b, ...scratch } = await fromScratch();
    expect(scratch).toEqual(rest);
  });

  it("counts a red invoice issued into a settled day (a late reversal) as red", async () => {
    const day = daysAgo(12);
    const before = await stats();
    await importInvoice("late_red_1", day, { color: "red", amount: "-88.00" });
    const after = await stats();
    expect(dayOf(after, day).redInvoices).toBe(dayOf(before, day).redInvoices + 1);
    expect(Number(dayOf(after, day).redAmount)).toBeCloseTo(Number(dayOf(before, day).redAmount) - 88, 2);
    expect(dayOf(after, day).invoices).toBe(dayOf(before, day).invoices);
  });

  it("nets a full 红冲: the day's 价税合计 is unchanged by a reversed invoice, zero on a day with only it", async () => {
    // A settled day with no seeded invoice (the rollup) and today (counted live, seeded already).
    for (const [day, tag] of [
      [daysAgo(28), "settled"],
      [daysAgo(0), "live"],
    ] as const) {
      const before = { netAmount: "0.00", ...dayOf(await stats(), day) };
      await importInvoice(`net_blue_${tag}`, day, { amount: "500.00" });
      await importInvoice(`net_red_${tag}`, day, { color: "red", amount: "-500.00" });
      const after = await stats();
      expect(dayOf(after, day)).toMatchObject({
        invoices: before.invoices + 1,
        redInvoices: before.redInvoices + 1,
        netAmount: before.netAmount,
      });
      if (tag === "settled") {
        expect(dayOf(after, day)).toEqual({
          day,
          invoices: 1,
          amount: "500.00",
          redInvoices: 1,
          redAmount: "-500.00",
          netAmount: "0.00",
        });
      }
      expect(after.summary.netAmount).toBe(
        (Number(after.summary.amount) + Number(after.summary.redAmount)).toFixed(2),
      );
    }
  });

  it("follows a changed invoice: its old day and its new day, and drops keys nothing counts any more", async () => {
    // A day with no seeded invoice: the only one there is the imported one.
    const lonely = daysAgo(25);
    const other = daysAgo(9);
    await stats();
    await importInvoice("late_lonely", lonely, { invoiceType: "digital_special" });
    const one = { from: lonely, to: lonely };
    let s = await stats(one);
    expect(s.byInvoiceType).toEqual([{ key: "digital_special", invoices: 1, amount: "100.00" }]);

    // Corrected: another type and amount. The old type's row must go, not linger beside the new one.
    await sql(
      "update invoices set invoice_type = 'digital_normal', total_amount = 99.00 where id = 'late_lonely'",
    );
    s = await stats(one);
    expect(s.byInvoiceType).toEqual([{ key: "digital_normal", invoices: 1, amount: "99.00" }]);

    // Its issue time corrected to another settled day: gone from the first, counted on the second.
    const before = await stats();
    await sql("update invoices set issued_at = $1 where id = 'late_lonely'", [noonOf(other)]);
    expect(await dirtyDays()).toEqual([lonely, other].sort());
    const after = await stats();
    expect(dayOf(after, lonely).invoices).toBe(0);
    expect(after.daily.map((d) => d.day)).not.toContain(lonely);
    expect(dayOf(after, other).invoices).toBe(dayOf(before, other).invoices + 1);
    expect(after.summary.invoices).toBe(before.summary.invoices);
    expect((await stats(one)).byInvoiceType).toEqual([]);
    const { timings: _a, ...rest } = after;
    const { timings: _b, ...scratch } = await fromScratch();
    expect(scratch).toEqual(rest);
  });

  it("follows a correction of many invoices over many days in one statement", async () => {
    const before = await stats();
    const settled = [
      orgId,
      chinaDayStart(range.from).toISOString(),
      chinaDayStart(daysAgo(3), 1).toISOString(),
    ];
    const where = "org_id = $1 and color = 'blue' and issued_at >= $2 and issued_at < $3";
    await sql(`update invoices set total_amount = total_amount + 1 where ${where}`, settled);
    const [changed] = await sql<{ n: number; days: number }>(
      `select count(*)::int as n,
         count(distinct ((issued_at at time zone 'UTC') + interval '8 hours')::date)::int as days
       from invoices where ${where}`,
      settled,
    );
    expect((await dirtyDays()).length).toBe(changed!.days);
    // One mark per day, however many of its invoices the statement changed.
    const [most] = await sql<{ marks: number }>(
      "select max(marks)::int as marks from stats_dirty_days where day <= $1::date",
      [daysAgo(3)],
    );
    expect(most!.marks).toBe(1);
    const after = await stats();
    expect(Number(after.summary.amount)).toBeCloseTo(Number(before.summary.amount) + changed!.n, 2);
    const { timings: _a, ...rest } = after;
    const { timings: _b, ...scratch } = await fromScratch();
    expect(scratch).toEqual(rest);
  });

  it("marks nothing for invoices issued now, nor for changes the rollup does not count", async () => {
    await stats();
    expect(await dirtyDays()).toEqual([]);
    const marks = await allMarks();
    // The normal path: an invoice inserted unissued, then issued now.
    await sql(
      `insert into invoices (id, org_id, receipt_code_id, tax_account_id, color, seq, invoice_type, status, serial,
         buyer_type, buyer_name, drawer, amount_excluding_tax, tax_amount, total_amount)
       select 'late_now', org_id, receipt_code_id, tax_account_id, 'blue', 8, 'digital_normal', 'pending', 'late_now-S',
         'individual', '个人', '张会计', 10, 0, 10 from invoices where id = 'late_inv3'`,
    );
    await sql("update invoices set status = 'issued', issued_at = now() where id = 'late_now'");
    // An old invoice reversed, re-sent to another address: not what the rollup counts.
    await sql(
      "update invoices set status = 'reversed', email = 'other@example.com', attempts = attempts + 1 where id = 'late_inv3'",
    );
    expect(await allMarks()).toEqual(marks);
  });

  it("follows a renamed device and a code moved to another device; a scan rebuilds only its code's day", async () => {
    const before = await stats();
    const settledDaysOf = async (where: string, value: string) =>
      (
        await sql<{ day: string }>(
          `select distinct to_char(((i.issued_at at time zone 'UTC') + interval '8 hours')::date, 'YYYY-MM-DD') as day
           from invoices i join receipt_codes rc on rc.id = i.receipt_code_id
           where ${where} = $1 and i.issued_at < now() - interval '1 day' and i.issued_at >= $2
           order by 1`,
          [value, chinaDayStart(range.from)],
        )
      )
        .map((r) => r.day)
        .filter((d) => d <= daysAgo(3));
    const marks = await allMarks();
    await sql("update devices set name = '改名的收银机' where id = 'late_dev1'");
    expect(await allMarks()).toEqual(marks);
    // Scans of old codes change the funnel of the days the codes were created (the rollup's
    // stats_daily_activity), not the issued invoices: those days are rebuilt, and counted again.
    const scannedDays = (
      await sql<{ day: string }>(
        `select distinct to_char(((created_at at time zone 'UTC') + interval '8 hours')::date, 'YYYY-MM-DD') as day
         from receipt_codes where device_id = 'late_dev1' and created_at < now() - interval '1 day' order by 1`,
      )
    )
      .map((r) => r.day)
      .filter((d) => d <= daysAgo(3));
    const [scanned] = await sql<{ n: number }>(
      "select count(*)::int as n from receipt_codes where device_id = 'late_dev1'",
    );
    await sql("update receipt_codes set scan_count = scan_count + 1 where device_id = 'late_dev1'");
    expect(await dirtyDays()).toEqual(scannedDays);
    const rescanned = await stats();
    expect(rescanned.funnel.scans).toBe(before.funnel.scans + scanned!.n);
    expect(rescanned.byDevice).toEqual(before.byDevice);
    expect(await dirtyDays()).toEqual([]);

    const oldKey = (
      await sql<{ no: string }>("select device_no as no from devices where id = 'late_dev1'")
    )[0]!.no;
    const counted = before.byDevice.find((d) => d.key === oldKey);
    expect(counted?.invoices).toBeGreaterThan(0);
    const days = await settledDaysOf("rc.device_id", "late_dev1");
    expect(days.length).toBeGreaterThan(2);
    await sql("update devices set device_no = 'POS-改号' where id = 'late_dev1'");
    expect(await dirtyDays()).toEqual(days);
    const renamed = await stats();
    expect(renamed.byDevice.find((d) => d.key === "POS-改号")).toEqual({ ...counted, key: "POS-改号" });
    expect(renamed.byDevice.find((d) => d.key === oldKey)).toBeUndefined();

    // One code moved to another device: the days of its invoices.
    const [code] = await sql<{ id: string }>(
      `select rc.id from receipt_codes rc join invoices i on i.receipt_code_id = rc.id
       where rc.device_id = 'late_dev1' and i.issued_at < now() - interval '4 days' limit 1`,
    );
    await sql("update receipt_codes set device_id = 'late_dev2' where id = $1", [code!.id]);
    expect(await dirtyDays()).toEqual(await settledDaysOf("rc.id", code!.id));
    const moved = await stats();
    expect(moved.byDevice.find((d) => d.key === "POS-改号")?.invoices).toBeLessThan(counted!.invoices);
    const { timings: _a, ...rest } = moved;
    const { timings: _b, ...scratch } = await fromScratch();
    expect(scratch).toEqual(rest);
  });

  it("keeps a day dirty when it changes again after its marks were read for a rebuild", async () => {
    const day = daysAgo(8);
    await stats();
    await importInvoice("late_race_1", day);
    // A request reads what to build (and the marks) …
    const missing = await sql<{ first: string; last: string; dirty: unknown }>(STATS_QUERIES.missingDays, [
      [orgId],
      range.from,
      daysAgo(3),
    ]);
    expect(missing.map((m) => [m.first, m.last])).toEqual([[day, day]]);
    // … another invoice of that day arrives before its rebuild reads the invoices …
    await importInvoice("late_race_2", day);
    // … the rebuild then marks the day with the marks it read: the new mark survives.
    await sql(STATS_QUERIES.buildRollup, [
      [orgId],
      chinaDayStart(day).toISOString(),
      chinaDayStart(day, 1).toISOString(),
    ]);
    const dirty = missing[0]!.dirty;
    await sql(STATS_QUERIES.markDays, [
      [orgId],
      day,
      day,
      typeof dirty === "string" ? dirty : JSON.stringify(dirty),
    ]);
    expect(await dirtyDays()).toEqual([day]);
    const after = await stats();
    expect(await dirtyDays()).toEqual([]);
    const [count] = await sql<{ n: number }>(
      "select count(*)::int as n from invoices where org_id = $1 and color = 'blue' and issued_at >= $2 and issued_at < $3",
      [orgId, chinaDayStart(day).toISOString(), chinaDayStart(day, 1).toISOString()],
    );
    expect(dayOf(after, day).invoices).toBe(count!.n);
  });

  it("notices a failed invoice, a failing delivery and a receipt code inserted into a settled day; rows created now mark nothing", async () => {
    await stats();
    expect(await dirtyDays()).toEqual([]);
    const marks = await allMarks();
    /** Inserts a copy of a seeded row with some columns replaced (jsonb_populate_record). */
    const copy = (table: string, id: string, fields: Record<string, unknown>) =>
      sql(
        `insert into ${table} select (jsonb_populate_record(t, $2::jsonb)).* from ${table} t where t.id = $1`,
        [id, JSON.stringify(fields)],
      );
    const code = (id: string, short: string, createdAt: string) =>
      copy("receipt_codes", "late_rc3", {
        id,
        token: `${id}_tok`,
        short_code: short,
        serial_no: id,
        status: "active",
        scan_count: 0,
        first_scanned_at: null,
        created_at: createdAt,
      });
    const failed = (id: string, seq: number, createdAt: string) =>
      copy("invoices", "late_inv3", {
        id,
        serial: `${id}-S`,
        number: null,
        issued_at: null,
        seq,
        status: "failed",
        failure_code: "E_IMPORT",
        failure_reason: "导入的失败记录",
        created_at: createdAt,
      });
    const failing = (id: string, createdAt: string) =>
      copy("deliveries", "late_dlv3", {
        id,
        status: "failed",
        attempts: 3,
        last_error: "550 导入退信",
        sent_at: null,
        created_at: createdAt,
      });
    // Created now — what the consumer's and the issuing paths insert: nothing marked.
    const nowIso = new Date().toISOString();
    await code("late_rc_now", "YYYYY2", nowIso);
    await failed("late_failed_now", 30, nowIso);
    await failing("late_dlv_now", nowIso);
    expect(await allMarks()).toEqual(marks);

    // Created on settled days (an import by SQL): each marks its own day.
    const before = await stats();
    await code("late_rc_old", "YYYYY3", noonOf(daysAgo(12)));
    await failed("late_failed_old", 31, noonOf(daysAgo(11)));
    await failing("late_dlv_old", noonOf(daysAgo(9)));
    expect(await dirtyDays()).toEqual([daysAgo(12), daysAgo(11), daysAgo(9)]);
    const after = await stats();
    expect(await dirtyDays()).toEqual([]);
    expect(after.funnel.codes).toBe(before.funnel.codes + 1);
    expect(after.failures.total).toBe(before.failures.total + 1);
    expect(after.deliveries.failed).toBe(before.deliveries.failed + 1);
    const { timings: _a, ...rest } = after;
    const { timings: _b, ...scratch } = await fromScratch();
    expect(scratch).toEqual(rest);
  });
});
