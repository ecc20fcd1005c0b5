import ExcelJS from "exceljs";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser, uploadAs } from "../../../test/support/console";
import { describeOneDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { buildXlsx, inlineRows } from "../../../test/support/zip";
import { MAX_IMPORT_ROWS } from "./items.import-limits";

const HEADER = ["编码", "项目名称", "税收分类简称", "税收分类编码", "税率"];

describeOneDatabase("item import limits over HTTP", (kind) => {
  let app: TestApp;
  let orgId: string;
  let admin: ConsoleClient;

  beforeEach(async () => {
    app = await createTestApp(kind);
    orgId = (await makeOrganization(app.ctx.database)).id;
    const user = await makeUser(app.ctx.database, { role: "admin", orgIds: [orgId] });
    admin = await loginAs(app, user.username, user.password);
  });
  afterEach(() => app.close());

  const upload = (fileName: string, content: Buffer) =>
    uploadAs(app, admin, `/orgs/${orgId}/items/import`, fileName, content);
  const itemCount = async () => (await admin.get(`/orgs/${orgId}/items`)).json().total as number;

  it("refuses an archive bomb at the upload with a clear Chinese 422, importing nothing", async () => {
    const rows = inlineRows([HEADER, ["BOMB", "炸弹", "餐饮服务", "3070401000000000000", "6%"]]);
    const bomb = buildXlsx({ sheetData: rows, sheet: { declaredSize: 0xfffffff0 } });
    const res = await upload("items.xlsx", bomb);
    expect(res.statusCode).toBe(422);
    const { error } = res.json();
    expect(error.code).toBe("IMPORT_LIMIT_EXCEEDED");
    expect(error.message).toMatch(/解压后过大/);
    expect(error.details.fields.file).toBe(error.message);
    expect(await itemCount()).toBe(0);
  });

  it("refuses a CSV beyond the row limit, and still imports a normal workbook", async () => {
    const lines = [HEADER.join(",")];
    for (let i = 0; i <= MAX_IMPORT_ROWS; i++) lines.push(`C${i},项目${i},餐饮服务,3070401000000000000,6%`);
    const tooMany = await upload("items.csv", Buffer.from(lines.join("\n")));
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.json().error.code).toBe("IMPORT_LIMIT_EXCEEDED");
    expect(await itemCount()).toBe(0);

    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet("开票项");
    sheet.addRow(HEADER);
    sheet.addRow(["LUNCH", "午餐", "餐饮服务", "3070401000000000000", "6%"]);
    const res = await upload("items.xlsx", Buffer.from(await book.xlsx.writeBuffer()));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ created: 1, updated: 0, skipped: 0, errors: [] });
    expect(await itemCount()).toBe(1);
  });
});
