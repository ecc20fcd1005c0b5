import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { connectToSameDatabase, databaseKinds, describePostgres } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode } from "../../../test/support/factories";
import { waitUntil } from "../../../test/support/wait";
import { SCAN_COUNT_BATCH, ScanCounts } from "./scan-counts";

/**
 * What a first load's count meets in the database: receipt_codes keeps room on its pages for the
 * counted row's new version (drizzle/0030, fillfactor), and the statistics' trigger on scan_count
 * (0028) still marks the day of an old code scanned again — only that, and not on the page's polling.
 */
for (const kind of databaseKinds()) {
  describe(`a scan's count in the database [${kind}]`, () => {
    let app: TestApp;
    let orgId: string;
    beforeAll(async () => {
      app = await createTestApp(kind, { startJobs: false });
      orgId = (await makeOrganization(app.ctx.database)).id;
    });
    afterAll(() => app?.close());

    const sql = async <T>(text: string, values?: unknown[]) =>
      (await app.ctx.database.executeSql(text, values)).rows as T[];
    const marks = () =>
      sql<{ day: string; marks: number }>(
        "select to_char(day, 'YYYY-MM-DD') as day, marks from stats_dirty_days where org_id = $1 order by 1",
        [orgId],
      );
    const view = (token: string, poll = false) =>
      app.http.inject({
        method: "GET",
        url: `/api/scan/${token}`,
        headers: poll ? { "x-piaoma-poll": "1" } : {},
      });

    it("fills receipt_codes' pages to 70%, leaving room for counted rows", async () => {
      const [table] = await sql<{ options: string[] | null }>(
        "select reloptions as options from pg_class where oid = 'receipt_codes'::regclass",
      );
      expect(table?.options).toEqual(["fillfactor=70"]);
    });

    it("marks an old code's created day when it is scanned again, not when polled nor for a new code", async () => {
      const old = await makeReceiptCode(app.ctx, orgId);
      const fresh = await makeReceiptCode(app.ctx, orgId);
      // Created on a settled day (China time 2026-11-20), still valid.
      await sql("update receipt_codes set created_at = '2026-11-20T04:00:00Z' where id = $1", [old.id]);
      await sql("delete from stats_dirty_days where org_id = $1", [orgId]);

      expect((await view(fresh.token)).statusCode).toBe(200);
      expect((await view(old.token, true)).statusCode).toBe(200);
      await app.ctx.scans.flush();
      expect(await marks()).toEqual([]);

      expect((await view(old.token)).statusCode).toBe(200);
      await app.ctx.scans.flush();
      expect(await marks()).toEqual([{ day: "2026-11-20", marks: 1 }]);
      const [counted] = await sql<{ scans: number }>(
        "select scan_count as scans from receipt_codes where id = $1",
        [old.id],
      );
      expect(counted?.scans).toBe(1);
    });

    const countsOf = async (id: string) =>
      (
        await sql<{ scans: number; first: Date | null }>(
          "select scan_count as scans, first_scanned_at as first from receipt_codes where id = $1",
          [id],
        )
      )[0];

    it("keeps a first load's scan in memory, then writes it by itself shortly after", async () => {
      const code = await makeReceiptCode(app.ctx, orgId);
      await app.ctx.scans.flush();
      expect((await view(code.token)).statusCode).toBe(200);
      expect((await view(code.token)).statusCode).toBe(200);
      expect(app.ctx.scans.unwritten).toBe(2);
      // The app's own timer (tuning scanCountMs, a second by default) writes them; nobody flushes.
      await waitUntil(
        async () => (await countsOf(code.id))?.scans === 2,
        "the scans written by the timer",
        5000,
      );
      expect(app.ctx.scans.unwritten).toBe(0);
    });

    it("adds a code's scans of one interval in one write, with the first one's time", async () => {
      const a = await makeReceiptCode(app.ctx, orgId);
      const b = await makeReceiptCode(app.ctx, orgId);
      const counter = new ScanCounts(app.ctx.database, { delayMs: 60_000 });
      const at = (seconds: number) => new Date(Date.now() + seconds * 1000);
      const first = at(60);
      counter.add(a.id, at(65));
      counter.add(a.id, first);
      counter.add(b.id, at(120));
      counter.add(a.id, at(69));
      await counter.flush();
      expect(counter.unwritten).toBe(0);
      expect(await countsOf(a.id)).toEqual({ scans: 3, first });
      // A later scan adds to the count and keeps the first time.
      counter.add(a.id, at(600));
      await counter.close();
      expect(await countsOf(a.id)).toEqual({ scans: 4, first });
      expect((await countsOf(b.id))?.scans).toBe(1);
    });

    it("never records a first scan before the code was created (a process clock behind the database's)", async () => {
      const code = await makeReceiptCode(app.ctx, orgId);
      const counter = new ScanCounts(app.ctx.database, { delayMs: 60_000 });
      counter.add(code.id, new Date(Date.now() - 3600_000));
      await counter.flush();
      const [row] = await sql<{ first: Date; created: Date }>(
        "select first_scanned_at as first, created_at as created from receipt_codes where id = $1",
        [code.id],
      );
      expect(row?.first).toEqual(row?.created);
    });

    it("keeps the scans of a failed write for the next one, counting none twice; drops a deleted code's", async () => {
      const code = await makeReceiptCode(app.ctx, orgId);
      let failNext = true;
      const flaky = {
        prepared: <T>(name: string, text: string, values: unknown[]) => {
          if (failNext) {
            failNext = false;
            return Promise.reject(new Error("connection lost"));
          }
          return app.ctx.database.prepared<T>(name, text, values);
        },
      };
      const counter = new ScanCounts(flaky, { delayMs: 60_000 });
      counter.add(code.id);
      counter.add(code.id);
      counter.add("rc_deleted_meanwhile");
      await counter.flush();
      expect(counter.unwritten).toBe(3);
      expect((await countsOf(code.id))?.scans).toBe(0);
      await counter.flush();
      expect(counter.unwritten).toBe(0);
      expect((await countsOf(code.id))?.scans).toBe(2);
      await counter.flush();
      expect((await countsOf(code.id))?.scans).toBe(2);
    });

    it("writes more codes than a batch holds in one flush, a statement per batch", async () => {
      const ids = (
        await sql<{ id: string }>("select id from receipt_codes where org_id = $1 order by id", [orgId])
      ).map((r) => r.id);
      const before = new Map(
        (
          await sql<{ id: string; scans: number }>(
            "select id, scan_count as scans from receipt_codes where org_id = $1",
            [orgId],
          )
        ).map((r) => [r.id, r.scans]),
      );
      const counter = new ScanCounts(app.ctx.database, { delayMs: 60_000 });
      // More entries than one batch holds: real codes and ids of codes that do not exist.
      const ghosts = Array.from({ length: SCAN_COUNT_BATCH }, (_, i) => `rc_ghost_${i}`);
      for (const id of [...ids, ...ghosts]) counter.add(id);
      await counter.flush();
      expect(counter.unwritten).toBe(0);
      const after = await sql<{ id: string; scans: number }>(
        "select id, scan_count as scans from receipt_codes where org_id = $1",
        [orgId],
      );
      for (const r of after) expect(r.scans).toBe((before.get(r.id) ?? 0) + 1);
    });
  });
}

/**
 * A code whose row another transaction holds (a submit, a refund) is skipped, not waited for: the
 * write goes on with the others and the skipped scans wait for the next one. Only PostgreSQL has
 * other sessions.
 */
describePostgres("a scan's count while the code's row is locked [postgres]", () => {
  let app: TestApp;
  let holder: pg.Client;
  beforeAll(async () => {
    app = await createTestApp("postgres", { startJobs: false });
    holder = await connectToSameDatabase(app.ctx.database);
  });
  afterAll(async () => {
    await holder?.end();
    await app?.close();
  });

  it("writes the other codes at once and the locked one after the lock is released", async () => {
    const orgId = (await makeOrganization(app.ctx.database)).id;
    const locked = await makeReceiptCode(app.ctx, orgId);
    const free = await makeReceiptCode(app.ctx, orgId);
    const counter = new ScanCounts(app.ctx.database, { delayMs: 60_000 });
    await holder.query("begin");
    await holder.query("select id from receipt_codes where id = $1 for update", [locked.id]);
    counter.add(locked.id);
    counter.add(free.id);
    await counter.flush();
    const scans = async (id: string) =>
      (await app.ctx.database.executeSql("select scan_count as n from receipt_codes where id = $1", [id]))
        .rows[0] as { n: number };
    expect((await scans(free.id)).n).toBe(1);
    expect((await scans(locked.id)).n).toBe(0);
    expect(counter.unwritten).toBe(1);
    await holder.query("commit");
    await counter.flush();
    expect((await scans(locked.id)).n).toBe(1);
    expect(counter.unwritten).toBe(0);
  });
});
