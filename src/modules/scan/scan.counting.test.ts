import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { databaseKinds } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode } from "../../../test/support/factories";

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
      expect(await marks()).toEqual([]);

      expect((await view(old.token)).statusCode).toBe(200);
      expect(await marks()).toEqual([{ day: "2026-11-20", marks: 1 }]);
      const [counted] = await sql<{ scans: number }>(
        "select scan_count as scans from receipt_codes where id = $1",
        [old.id],
      );
      expect(counted?.scans).toBe(1);
    });
  });
}
