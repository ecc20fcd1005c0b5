import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { databaseKinds } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode } from "../../../test/support/factories";
import { SCAN_LINES_SQL } from "./scan.queries";

/**
 * The lines the scan reads are kept on the code (`view_lines`, triggers of drizzle/0036) instead of
 * being aggregated per scan: they must always be what the aggregate would give, whoever writes the
 * lines and however, and a code without them (written before 0036) is still shown whole.
 */
for (const kind of databaseKinds()) {
  describe(`a code's lines as the scan reads them [${kind}]`, () => {
    let app: TestApp;
    let orgId: string;
    beforeAll(async () => {
      app = await createTestApp(kind, { startJobs: false });
      orgId = (await makeOrganization(app.ctx.database)).id;
    });
    afterAll(() => app?.close());

    const sql = async <T>(text: string, values?: unknown[]) =>
      (await app.ctx.database.executeSql(text, values)).rows as T[];
    /** The kept lines, and whether they equal the scan's own aggregate (as JSON values). */
    const kept = async (id: string) => {
      const [row] = await sql<{ kept: unknown; same: boolean }>(
        `select rc.view_lines as kept, rc.view_lines::jsonb = ${SCAN_LINES_SQL}::jsonb as same
           from receipt_codes rc where rc.id = $1`,
        [id],
      );
      const value = row?.kept;
      return { lines: typeof value === "string" ? JSON.parse(value) : value, same: row?.same };
    };
    const viewLines = async (token: string) => {
      const res = await app.http.inject({
        method: "GET",
        url: `/api/scan/${token}`,
        headers: { "x-piaoma-poll": "1" },
      });
      expect(res.statusCode).toBe(200);
      return res.json().lines as Array<{ kind: string; itemName: string; amount: string }>;
    };

    it("keeps every kind of line when a code is created, exactly as the aggregate builds it", async () => {
      const code = await makeReceiptCode(app.ctx, orgId, {
        lines: [
          {
            name: "午餐",
            shortName: "餐饮服务",
            taxCode: "3070401000000000000",
            taxRate: "0.06",
            amount: "100.00",
          },
          {
            name: "标准间",
            shortName: "住宿服务",
            taxCode: "3070402000000000000",
            taxRate: "0.06",
            spec: "大床",
            unit: "间",
            quantity: "2",
            unitPrice: "388.00",
            amount: "776.00",
            discount: "-76.00",
          },
          {
            name: "出口服务",
            shortName: "信息技术服务",
            taxCode: "3040201000000000000",
            taxRate: "0",
            zeroRateKind: "exempt",
            amount: "50.00",
          },
        ],
      });
      const { lines, same } = await kept(code.id);
      expect(same).toBe(true);
      expect(lines.map((l: { kind: string; amount: string }) => [l.kind, l.amount])).toEqual([
        ["normal", "100.00"],
        ["discounted", "776.00"],
        ["discount", "-76.00"],
        ["normal", "50.00"],
      ]);
      expect(lines[1]).toMatchObject({ spec: "大床", unit: "间", shortName: "住宿服务", taxRate: "0.0600" });
      expect(lines[3]).toMatchObject({ zeroRateKind: "exempt", spec: "", quantity: null });
    });

    it("follows lines deleted, inserted and updated by anyone, in the same transaction", async () => {
      const code = await makeReceiptCode(app.ctx, orgId);
      await sql("delete from receipt_code_lines where receipt_code_id = $1 and position > 0", [code.id]);
      expect(await kept(code.id)).toMatchObject({ same: true, lines: [{ name: "午餐" }] });
      await sql("update receipt_code_lines set name = '晚餐' where receipt_code_id = $1", [code.id]);
      expect(await kept(code.id)).toMatchObject({ same: true, lines: [{ name: "晚餐" }] });
      expect((await viewLines(code.token)).map((l) => l.itemName)).toEqual(["*餐饮服务*晚餐"]);
      await sql(
        `insert into receipt_code_lines (id, receipt_code_id, position, kind, name, short_name, tax_code, tax_rate,
           amount, amount_excluding_tax, tax, amount_including_tax)
         values ($2, $1, 1, 'normal', '夜宵', '餐饮服务', '3070401000000000000', 0.06, 21.20, 20.00, 1.20, 21.20)`,
        [code.id, `rcl_${code.id}_extra`],
      );
      expect(await kept(code.id)).toMatchObject({ same: true, lines: [{ name: "晚餐" }, { name: "夜宵" }] });
      await sql("delete from receipt_code_lines where receipt_code_id = $1", [code.id]);
      expect(await kept(code.id)).toEqual({ same: true, lines: [] });
    });

    it("shows a code written before the lines were kept (view_lines null) from the lines themselves", async () => {
      const code = await makeReceiptCode(app.ctx, orgId);
      const before = await viewLines(code.token);
      await sql("update receipt_codes set view_lines = null where id = $1", [code.id]);
      expect(await viewLines(code.token)).toEqual(before);
      expect(before.map((l) => [l.kind, l.itemName, l.amount])).toEqual([
        ["normal", "*餐饮服务*午餐", "100.00"],
        ["discounted", "*住宿服务*标准间", "776.00"],
        ["discount", "*住宿服务*标准间", "-76.00"],
      ]);
    });
  });
}
