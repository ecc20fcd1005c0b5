import ExcelJS from "exceljs";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser, uploadAs } from "../../../test/support/console";
import { describeOneDatabase } from "../../../test/support/db";
import { makeOrganization, makeUscc } from "../../../test/support/factories";

function configInput(overrides: Record<string, unknown> = {}) {
  return {
    limit: "50000.00",
    invoiceTypes: ["digital_normal", "digital_special"],
    defaultInvoiceType: "digital_normal",
    validDays: 15,
    overLimitPolicy: "split",
    defaultDrawer: "张会计",
    ...overrides,
  };
}

function itemInput(overrides: Record<string, unknown> = {}) {
  return {
    code: "MILK-1L",
    name: "纯牛奶",
    shortName: "乳制品",
    taxCode: "1030201000000000000",
    taxRate: "0.13",
    unit: "盒",
    unitPrice: "12.50",
    ...overrides,
  };
}

describeOneDatabase("基础资料 and 小票码配置 over HTTP", (kind) => {
  let app: TestApp;
  let org: { id: string };
  let admin: ConsoleClient;
  let operator: ConsoleClient;

  beforeEach(async () => {
    app = await createTestApp(kind);
    org = await makeOrganization(app.ctx.database);
    const a = await makeUser(app.ctx.database, { role: "admin", orgIds: [org.id] });
    const o = await makeUser(app.ctx.database, { role: "operator", orgIds: [org.id] });
    admin = await loginAs(app, a.username, a.password);
    operator = await loginAs(app, o.username, o.password);
  });
  afterEach(() => app.close());

  const upload = (fileName: string, content: Buffer) =>
    uploadAs(app, admin, `/orgs/${org.id}/items/import`, fileName, content);

  it("saves the config with the seller beside it, keeping the limit as typed", async () => {
    const res = await admin.put(`/orgs/${org.id}/config`, configInput({ limit: "100000" }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      limit: "100000",
      limitAmount: "100000.00",
      validDays: 15,
      overLimitPolicy: "split",
    });
    expect(res.json().seller.name).toBe("测试销售方有限公司");
  });

  it("switches 合并开票 on with its maximum, keeps them when not sent, and refuses a maximum out of 2–20", async () => {
    expect((await admin.get(`/orgs/${org.id}/config`)).json()).toMatchObject({
      mergeEnabled: false,
      mergeMaxReceipts: 5,
    });
    const on = await admin.put(
      `/orgs/${org.id}/config`,
      configInput({ mergeEnabled: true, mergeMaxReceipts: 8 }),
    );
    expect(on.statusCode).toBe(200);
    expect(on.json()).toMatchObject({ mergeEnabled: true, mergeMaxReceipts: 8 });
    // A client that does not know the fields leaves them as they are.
    expect((await admin.put(`/orgs/${org.id}/config`, configInput())).json()).toMatchObject({
      mergeEnabled: true,
      mergeMaxReceipts: 8,
    });
    for (const [max, message] of [
      [1, "最多合并小票数至少为 2"],
      [21, "最多合并小票数不能超过 20"],
    ] as const) {
      const res = await admin.put(`/orgs/${org.id}/config`, configInput({ mergeMaxReceipts: max }));
      expect(res.statusCode).toBe(422);
      expect(res.json().error.details.fields).toEqual({ mergeMaxReceipts: message });
    }
    expect((await admin.get(`/orgs/${org.id}/config`)).json().mergeMaxReceipts).toBe(8);
  });

  // 21 bytes as typed is one more than allowed (DOMAIN.md §5); 17 integer digits fit in 20 bytes but
  // not in an amount column (numeric(18,2)): a field error, not a 500.
  it.each([
    "0",
    "-1",
    "abc",
    "123456789012345678.00",
    "1.001",
    "",
    "12345678901234567",
    "99999999999999999999",
  ])("refuses the limit %j at its field", async (limit) => {
    const before = (await admin.get(`/orgs/${org.id}/config`)).json();
    const res = await admin.put(`/orgs/${org.id}/config`, configInput({ limit }));
    expect(res.statusCode).toBe(422);
    expect(Object.keys(res.json().error.details.fields)).toEqual(["limit"]);
    expect((await admin.get(`/orgs/${org.id}/config`)).json()).toEqual(before);
  });

  it("stores text as the gate normalises it: NFC, trimmed, a full-width tax ID folded", async () => {
    const item = await admin.post(
      `/orgs/${org.id}/items`,
      itemInput({ name: "  Cafe\u0301 拿铁 ", spec: "\u3000大杯" }),
    );
    expect(item.statusCode, item.body).toBe(201);
    expect([item.json().name, item.json().spec]).toEqual(["Café 拿铁", "大杯"]);
    const current = (await admin.get(`/orgs/${org.id}`)).json();
    const fullWidth = current.taxId.replace(/[0-9A-Z]/g, (c: string) =>
      String.fromCharCode(c.charCodeAt(0) + 0xfee0),
    );
    const saved = await admin.put(`/orgs/${org.id}`, {
      name: current.name,
      taxId: ` ${fullWidth} `,
      phone: "（０７５５）８６００－１２３４",
      bankAccount: "７５５９ １２３４ ５６１０ ８０１",
    });
    expect([saved.statusCode, saved.json().taxId, saved.json().phone, saved.json().bankAccount]).toEqual([
      200,
      current.taxId,
      "(0755)8600-1234",
      "7559 1234 5610 801",
    ]);
    // The same item name with a control character or a bidi override is refused at its field.
    for (const name of ["拿\u001b铁", "拿\u202e铁"]) {
      const res = await admin.post(`/orgs/${org.id}/items`, itemInput({ code: "X-1", name }));
      expect([res.statusCode, Object.keys(res.json().error.details.fields)]).toEqual([422, ["name"]]);
    }
  });

  it("refuses a config without invoice types, with a default type outside them, and bad validity", async () => {
    const res = await admin.put(
      `/orgs/${org.id}/config`,
      configInput({
        invoiceTypes: [],
        defaultInvoiceType: "digital_special",
        validDays: 0,
        overLimitPolicy: "maybe",
      }),
    );
    expect(res.statusCode).toBe(422);
    expect(Object.keys(res.json().error.details.fields).sort()).toEqual([
      "defaultInvoiceType",
      "invoiceTypes",
      "overLimitPolicy",
      "validDays",
    ]);
  });

  it("lets an operator read but not change base data or the config", async () => {
    expect((await operator.get(`/orgs/${org.id}/config`)).statusCode).toBe(200);
    expect((await operator.get(`/orgs/${org.id}/items`)).statusCode).toBe(200);
    for (const res of [
      await operator.put(`/orgs/${org.id}/config`, configInput()),
      await operator.post(`/orgs/${org.id}/items`, itemInput()),
      await operator.post(`/orgs/${org.id}/devices`, { deviceNo: "POS-9" }),
      await operator.post(`/orgs/${org.id}/tax-accounts`, { name: "另一个" }),
      await operator.get("/users"),
    ])
      expect([res.statusCode, res.json().error.code]).toEqual([403, "FORBIDDEN"]);
  });

  it("gives field errors for every base-data form and saves nothing", async () => {
    const orgRes = await admin.put(`/orgs/${org.id}`, {
      name: "",
      taxId: "91440300MA5PM20201",
      bankAccount: "账号",
    });
    expect(Object.keys(orgRes.json().error.details.fields).sort()).toEqual(["bankAccount", "name", "taxId"]);
    const device = await admin.post(`/orgs/${org.id}/devices`, { deviceNo: "收银 1" });
    expect(Object.keys(device.json().error.details.fields)).toEqual(["deviceNo"]);
    const account = await admin.post(`/orgs/${org.id}/tax-accounts`, { name: "", channel: "baiwang" });
    expect(Object.keys(account.json().error.details.fields).sort()).toEqual(["channel", "name"]);
    const item = await admin.post(
      `/orgs/${org.id}/items`,
      itemInput({ taxCode: "12345", taxRate: "0.07", unitPrice: "-1" }),
    );
    expect(item.statusCode).toBe(422);
    expect(Object.keys(item.json().error.details.fields).sort()).toEqual(["taxCode", "taxRate", "unitPrice"]);
    const zero = await admin.post(`/orgs/${org.id}/items`, itemInput({ taxRate: "0" }));
    expect(Object.keys(zero.json().error.details.fields)).toEqual(["zeroRateKind"]);
    expect((await admin.get(`/orgs/${org.id}/items`)).json().total).toBe(0);
    expect((await admin.get(`/orgs/${org.id}/devices`)).json()).toEqual([]);
    expect((await admin.get(`/orgs/${org.id}`)).json().name).toBe("测试销售方有限公司");
  });

  it("creates, searches and edits items, tax accounts and devices; duplicates are refused at their field", async () => {
    expect((await admin.post(`/orgs/${org.id}/items`, itemInput())).statusCode).toBe(201);
    const exempt = await admin.post(
      `/orgs/${org.id}/items`,
      itemInput({
        code: "BOOK",
        name: "图书",
        shortName: "图书",
        taxCode: "1060101000000000000",
        taxRate: "0",
        zeroRateKind: "exempt",
      }),
    );
    expect(exempt.json()).toMatchObject({ taxRate: "0", taxRateLabel: "免税", unitPrice: "12.5" });
    const dup = await admin.post(`/orgs/${org.id}/items`, itemInput());
    expect([dup.statusCode, Object.keys(dup.json().error.details.fields)]).toEqual([409, ["code"]]);
    const found = (await operator.get(`/orgs/${org.id}/items?q=${encodeURIComponent("牛奶")}`)).json();
    expect(found.items.map((i: { code: string }) => i.code)).toEqual(["MILK-1L"]);
    const edited = await admin.put(`/orgs/${org.id}/items/${exempt.json().id}`, {
      ...itemInput({ code: "BOOK" }),
      name: "期刊",
    });
    expect(edited.json()).toMatchObject({ name: "期刊", taxRate: "0.13", zeroRateKind: null });

    const device = await admin.post(`/orgs/${org.id}/devices`, { deviceNo: "POS-01", name: "前台" });
    expect(device.statusCode).toBe(201);
    expect(
      (await admin.post(`/orgs/${org.id}/devices`, { deviceNo: "POS-01" })).json().error.details.fields,
    ).toHaveProperty("deviceNo");
    const accounts = (await admin.get(`/orgs/${org.id}/tax-accounts`)).json();
    const renamed = await admin.put(`/orgs/${org.id}/tax-accounts/${accounts[0].id}`, {
      name: "主账号",
      status: "reauth",
    });
    expect(renamed.json()).toMatchObject({ name: "主账号", status: "reauth", channel: "sandbox" });

    const orgRes = await admin.put(`/orgs/${org.id}`, {
      name: "新名称有限公司",
      taxId: makeUscc(),
      address: "深圳",
    });
    expect(orgRes.json()).toMatchObject({ name: "新名称有限公司", address: "深圳" });
  });

  it("imports items from CSV and Excel, updating by code; one bad row refuses the whole file", async () => {
    await admin.post(`/orgs/${org.id}/items`, itemInput());
    const csv = [
      "编码,项目名称,税收分类简称,税收分类编码,税率,规格型号,单位,单价",
      'MILK-1L,"纯牛奶, 1升",乳制品,1030201000000000000,13%,1L,盒,13.00',
      "LUNCH,午餐,餐饮服务,3070401000000000000,6%,,份,",
    ].join("\n");
    const ok = await upload("items.csv", Buffer.from(`\uFEFF${csv}`));
    expect(ok.json()).toEqual({ created: 1, updated: 1, skipped: 0, errors: [] });
    const milk = (await admin.get(`/orgs/${org.id}/items?q=MILK`)).json().items[0];
    expect(milk).toMatchObject({ name: "纯牛奶, 1升", unitPrice: "13", spec: "1L" });

    const bad = await upload(
      "items.csv",
      Buffer.from(
        [
          "code,name,shortName,taxCode,taxRate",
          "A,甲,乙,3070401000000000000,0.06",
          "B,丙,丁,307040100,0.06",
          "A,戊,己,3070401000000000000,0.07",
        ].join("\n"),
      ),
    );
    expect(bad.statusCode).toBe(422);
    expect(Object.keys(bad.json().error.details.fields).sort()).toEqual([
      "rows[1].taxCode",
      "rows[2].code",
      "rows[2].taxRate",
    ]);
    expect((await admin.get(`/orgs/${org.id}/items`)).json().total).toBe(2);

    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet("开票项");
    sheet.addRow(["编码", "名称", "税收分类简称", "税收分类编码", "税率", "零税率类型", "单位"]);
    sheet.addRow(["BOOK", "图书", "图书", "1060101000000000000", "0", "免税", "本"]);
    const xlsx = Buffer.from(await book.xlsx.writeBuffer());
    expect((await upload("items.xlsx", xlsx)).json()).toMatchObject({ created: 1, updated: 0 });
    const bookItem = (await admin.get(`/orgs/${org.id}/items?q=BOOK`)).json().items[0];
    expect(bookItem).toMatchObject({ taxRateLabel: "免税", unit: "本" });

    const noHeader = await upload("x.csv", Buffer.from("a,b\n1,2"));
    expect(noHeader.json().error.details.fields.file).toContain("缺少列");
  });
});
