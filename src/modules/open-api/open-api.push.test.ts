import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { databaseKinds, describePostgres } from "../../../test/support/db";
import { makeOrganization, makeUscc } from "../../../test/support/factories";
import { type AppKeys, makeCredentials, openRequest } from "../../../test/support/open-api";
import { devices, items, receiptCodes } from "../../platform/db/schema";
import { newId } from "../../platform/ids";

const lunch = {
  name: "午餐",
  shortName: "餐饮服务",
  taxCode: "3070401000000000000",
  taxRate: "0.06",
  amount: "88.00",
};
const order = (orderNo: string, extra: object = {}) => ({
  orderNo,
  orderTime: "2026-11-22T12:30:00+08:00",
  drawer: "张三",
  remark: "桌号 12",
  lines: [
    { itemCode: "MILK-1L", quantity: "2", unitPrice: "12.50", amount: "25.00", discount: "-5.00" },
    lunch,
  ],
  ...extra,
});

async function setUp(app: TestApp) {
  const org = await makeOrganization(app.ctx.database);
  await app.ctx.database.db.insert(items).values({
    id: newId("itm"),
    orgId: org.id,
    code: "MILK-1L",
    name: "纯牛奶",
    shortName: "乳制品",
    taxCode: "1030201000000000000",
    taxRate: "0.13",
    unit: "盒",
  });
  await app.ctx.database.db.insert(devices).values({ id: newId("dev"), orgId: org.id, deviceNo: "POS-01" });
  return { orgId: org.id, keys: await makeCredentials(app, org.id) };
}

for (const kind of databaseKinds()) {
  describe(`3.2.01 push order [${kind}]`, () => {
    let app: TestApp;
    let keys: AppKeys;
    beforeAll(async () => {
      app = await createTestApp(kind);
      ({ keys } = await setUp(app));
    });
    afterAll(() => app?.close());

    const push = (body: object) =>
      openRequest(app, keys, { method: "POST", url: "/open/v1/receipt-codes", body });
    const get = (url: string) => openRequest(app, keys, { method: "GET", url });

    it("creates a code from item codes and inline lines with a discount; the same push again is the same code", async () => {
      const first = await push(order("POS-1", { deviceNo: "POS-01" }));
      expect(first.statusCode).toBe(201);
      const code = first.json();
      expect(code).toMatchObject({
        orderNo: "POS-1",
        status: "active",
        invoiceCount: 1,
        totals: { totalAmount: "108.00" },
      });
      expect(code.url).toBe(`${app.config.publicUrl}/s/${code.token}`);
      const again = await push(order("POS-1", { deviceNo: "POS-01" }));
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ id: code.id, token: code.token });

      const [row] = await app.ctx.database.db.select().from(receiptCodes).where(eq(receiptCodes.id, code.id));
      expect(row).toMatchObject({ source: "push", drawer: "张三", remark: "桌号 12" });
    });

    it("refuses the same order number with different content: 409 ORDER_CONFLICT", async () => {
      expect((await push(order("POS-2"))).statusCode).toBe(201);
      const changed = await push(order("POS-2", { remark: "桌号 13" }));
      expect([changed.statusCode, changed.json().error.code]).toEqual([409, "ORDER_CONFLICT"]);
    });

    it("reports every problem at once, at its field path", async () => {
      const res = await push({
        orderNo: "POS-3",
        deviceNo: "POS-99",
        lines: [
          { itemCode: "NOPE", amount: "10.00" },
          { ...lunch, taxCode: "123", amount: "abc" },
        ],
      });
      expect(res.statusCode).toBe(422);
      const { fields } = res.json().error.details;
      expect(Object.keys(fields)).toEqual(
        expect.arrayContaining(["deviceNo", "lines[0].itemCode", "lines[1].taxCode", "lines[1].amount"]),
      );
      const shape = await push({ orderNo: "x".repeat(51), lines: [] });
      expect(shape.statusCode).toBe(422);
      expect(Object.keys(shape.json().error.details.fields).sort()).toEqual(["lines", "orderNo"]);
      const stored = await app.ctx.database.db
        .select()
        .from(receiptCodes)
        .where(eq(receiptCodes.serialNo, "POS-3"));
      expect(stored).toHaveLength(0);
    });

    it("refuses above the limit when the config rejects", async () => {
      const res = await push(order("POS-4", { lines: [{ ...lunch, amount: "20000.00" }] }));
      expect([res.statusCode, res.json().error.code]).toEqual([422, "AMOUNT_OVER_LIMIT"]);
    });

    it("answers GET by order number, the QR as PNG and SVG, and 404 for an unknown order", async () => {
      const code = (await push(order("POS/5#a"))).json();
      const path = `/open/v1/receipt-codes/${encodeURIComponent("POS/5#a")}`;
      const got = await get(path);
      expect(got.statusCode).toBe(200);
      expect(got.json()).toMatchObject({ id: code.id, orderNo: "POS/5#a", status: "active", invoices: [] });
      const png = await get(`${path}/qr.png`);
      expect(png.headers["content-type"]).toBe("image/png");
      expect(png.rawPayload.subarray(1, 4).toString()).toBe("PNG");
      const svg = await get(`${path}/qr.svg`);
      expect(svg.headers["content-type"]).toMatch(/^image\/svg\+xml/);
      expect(svg.body).toContain("<svg");
      const missing = await get("/open/v1/receipt-codes/NOPE-1");
      expect([missing.statusCode, missing.json().error.code]).toEqual([404, "RECEIPT_CODE_NOT_FOUND"]);
    });

    it("disables a code (the consumer is then refused) and refuses to disable an invoiced one", async () => {
      const code = (await push(order("POS-6"))).json();
      const disabled = await openRequest(app, keys, {
        method: "POST",
        url: "/open/v1/receipt-codes/POS-6/disable",
      });
      expect(disabled.statusCode).toBe(200);
      expect(disabled.json().status).toBe("disabled");
      const scan = await app.http.inject({ method: "GET", url: `/api/scan/${code.token}` });
      expect(scan.json().error.code).toBe("RECEIPT_CODE_DISABLED");

      const sold = (await push(order("POS-7"))).json();
      const submit = await app.http.inject({
        method: "POST",
        url: `/api/scan/${sold.token}/submit`,
        headers: { "content-type": "application/json" },
        payload: JSON.stringify({
          invoiceType: "digital_normal",
          buyer: { type: "enterprise", name: "某某有限公司", taxId: makeUscc() },
          email: "a@example.com",
        }),
      });
      expect(submit.statusCode).toBe(202);
      const refused = await openRequest(app, keys, {
        method: "POST",
        url: "/open/v1/receipt-codes/POS-7/disable",
      });
      expect([refused.statusCode, refused.json().error.code]).toEqual([409, "ALREADY_INVOICED"]);
      const after = (await get("/open/v1/receipt-codes/POS-7")).json();
      expect(after.status).toBe("invoiced");
      expect(after.invoices).toHaveLength(1);
      expect(after.invoices[0]).toMatchObject({
        orderNo: "POS-7",
        status: "issued",
        totals: { totalAmount: "108.00" },
      });
    });

    it("keeps organizations apart: another organization's key does not see the order", async () => {
      await push(order("POS-8"));
      const other = await setUp(app);
      const res = await openRequest(app, other.keys, { method: "GET", url: "/open/v1/receipt-codes/POS-8" });
      expect(res.statusCode).toBe(404);
    });
  });
}

describePostgres("3.2.01 concurrent pushes [postgres]", () => {
  let app: TestApp;
  let keys: AppKeys;
  beforeAll(async () => {
    app = await createTestApp("postgres");
    ({ keys } = await setUp(app));
  });
  afterAll(() => app?.close());

  it("creates one code for the same order pushed at once, and 409s differing pushes", async () => {
    const same = await Promise.all(
      Array.from({ length: 8 }, () =>
        openRequest(app, keys, { method: "POST", url: "/open/v1/receipt-codes", body: order("RACE-1") }),
      ),
    );
    expect(same.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(same.map((r) => r.json().id)).size).toBe(1);

    const mixed = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        openRequest(app, keys, {
          method: "POST",
          url: "/open/v1/receipt-codes",
          body: order("RACE-2", { remark: `版本 ${i}` }),
        }),
      ),
    );
    expect(mixed.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(mixed.filter((r) => r.statusCode === 409).map((r) => r.json().error.code)).toEqual(
      Array(7).fill("ORDER_CONFLICT"),
    );
    const rows = await app.ctx.database.db
      .select()
      .from(receiptCodes)
      .where(eq(receiptCodes.serialNo, "RACE-2"));
    expect(rows).toHaveLength(1);
  });
});
