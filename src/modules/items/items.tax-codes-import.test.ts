import { afterEach, beforeEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser, uploadAs } from "../../../test/support/console";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { TAX_CATEGORIES } from "./tax-codes.data";

it("the tax-code subset is well formed: 19 digits, unique codes, offered rates", () => {
  const codes = new Set<string>();
  for (const t of TAX_CATEGORIES) {
    expect(t.code, t.name).toMatch(/^\d{19}$/);
    expect(codes.has(t.code), t.code).toBe(false);
    codes.add(t.code);
    expect(["0", "0.03", "0.06", "0.09", "0.13"], t.code).toContain(t.rate);
    expect(t.shortName.length, t.code).toBeGreaterThan(0);
  }
});

describeEachDatabase("开票项: 税收分类编码 search and import with skipped rows", (kind) => {
  let app: TestApp;
  let orgA: string;
  let orgB: string;
  let admin: ConsoleClient;
  let viewer: ConsoleClient;

  beforeEach(async () => {
    app = await createTestApp(kind, { startJobs: false });
    orgA = (await makeOrganization(app.ctx.database)).id;
    orgB = (await makeOrganization(app.ctx.database)).id;
    const a = await makeUser(app.ctx.database, { role: "admin", orgIds: [orgA] });
    const v = await makeUser(app.ctx.database, { role: "viewer", orgIds: [orgA] });
    admin = await loginAs(app, a.username, a.password);
    viewer = await loginAs(app, v.username, v.password);
  });
  afterEach(() => app.close());

  const search = async (client: ConsoleClient, q: string) => {
    const res = await client.get(`/orgs/${orgA}/tax-codes?q=${encodeURIComponent(q)}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Array<{
      code: string;
      name: string;
      shortName: string;
      rate: string;
      rateLabel: string;
    }>;
  };

  it("finds categories by code prefix or by name, with the short name and usual rate", async () => {
    const byPrefix = await search(viewer, "30704");
    expect(byPrefix.map((t) => t.code)).toEqual(["3070401000000000000", "3070402000000000000"]);
    expect(byPrefix[0]).toEqual({
      code: "3070401000000000000",
      name: "餐饮服务（堂食、外卖）",
      shortName: "餐饮服务",
      rate: "0.06",
      rateLabel: "6%",
    });
    // A short name that matches comes before a name that only mentions the word.
    const byName = await search(admin, "运输");
    expect(byName.length).toBeGreaterThan(1);
    expect(byName.every((t) => t.shortName.includes("运输") || t.name.includes("运输"))).toBe(true);
    expect(byName[0]!.shortName).toBe("运输服务");
    const lodging = await search(admin, "酒店");
    expect(lodging.map((t) => [t.shortName, t.rateLabel])).toEqual([["住宿服务", "6%"]]);
    expect(await search(admin, "9999")).toEqual([]);
    expect(await search(admin, "没有这种服务")).toEqual([]);
    expect((await search(admin, "")).length).toBe(20);
    // Another organization's path is refused like any other.
    expect((await admin.get(`/orgs/${orgB}/tax-codes?q=307`)).statusCode).toBe(404);
    const tooLong = await admin.get(`/orgs/${orgA}/tax-codes?q=${"3".repeat(51)}`);
    expect(tooLong.statusCode).toBe(422);
    expect(tooLong.json().error.details.fields["querystring.q"]).toBe("搜索内容过长");
  });

  const upload = (content: string, query = "") =>
    uploadAs(app, admin, `/orgs/${orgA}/items/import${query}`, "items.csv", Buffer.from(content));
  const itemCodes = async () =>
    ((await admin.get(`/orgs/${orgA}/items?pageSize=50`)).json().items as Array<{ code: string }>)
      .map((i) => i.code)
      .sort();

  // Line 1 the header, line 3 blank: row numbers are the file's lines.
  const SHEET = [
    "编码,项目名称,简称,税收分类编码,税率,单价",
    "LUNCH,午餐,餐饮服务,3070401000000000000,6%,30",
    "",
    "BAD1,,餐饮服务,30704,6%,",
    "ROOM,客房,住宿服务,3070402000000000000,6%,abc",
    "LUNCH,午餐二,餐饮服务,3070401000000000000,7%,",
    "MILK,牛奶,乳制品,1030201000000000000,13%,12.5",
  ].join("\n");

  it("refuses the whole file by default, listing every problem of every row with its line and column", async () => {
    const res = await upload(SHEET);
    expect(res.statusCode).toBe(422);
    const { details } = res.json().error;
    expect(details.rowErrors).toEqual([
      { row: 4, column: "项目名称", field: "name", message: expect.any(String) },
      { row: 4, column: "税收分类编码", field: "taxCode", message: expect.any(String) },
      { row: 5, column: "单价", field: "unitPrice", message: expect.any(String) },
      { row: 6, column: "税率", field: "taxRate", message: expect.any(String) },
      { row: 6, column: "编码", field: "code", message: "编码与第 2 行重复" },
    ]);
    expect(Object.keys(details.fields).sort()).toEqual([
      "rows[1].name",
      "rows[1].taxCode",
      "rows[2].unitPrice",
      "rows[3].code",
      "rows[3].taxRate",
    ]);
    expect(await itemCodes()).toEqual([]);
  });

  it("with skipBadRows imports the good rows and reports the skipped ones", async () => {
    const res = await upload(SHEET, "?skipBadRows=true");
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ created: 2, updated: 0, skipped: 3 });
    expect(body.errors.map((e: { row: number; column: string }) => `${e.row}:${e.column}`)).toEqual([
      "4:项目名称",
      "4:税收分类编码",
      "5:单价",
      "6:税率",
      "6:编码",
    ]);
    for (const e of body.errors) expect(e.message).toMatch(/[\u4e00-\u9fa5]/);
    expect(await itemCodes()).toEqual(["LUNCH", "MILK"]);
    // The duplicate row was skipped: the first one's values stand.
    const lunch = (await admin.get(`/orgs/${orgA}/items?q=LUNCH`)).json().items[0];
    expect(lunch).toMatchObject({ name: "午餐", unitPrice: "30" });
    const audit = (await admin.get(`/orgs/${orgA}/audit`)).json();
    expect(JSON.stringify(audit)).toContain("skipped");

    // A clean file answers the same shape with nothing skipped.
    const clean = await upload(
      "code,name,shortName,taxCode,taxRate\nROOM,客房,住宿服务,3070402000000000000,0.06",
      "?skipBadRows=true",
    );
    expect(clean.json()).toEqual({ created: 1, updated: 0, skipped: 0, errors: [] });
    expect((await upload(SHEET, "?skipBadRows=maybe")).statusCode).toBe(422);
  });
});
