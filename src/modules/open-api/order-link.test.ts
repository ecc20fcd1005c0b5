import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { databaseKinds, describePostgres } from "../../../test/support/db";
import { makeOrganization, makeUscc } from "../../../test/support/factories";
import {
  type AppKeys,
  type MerchantServer,
  makeCredentials,
  sendJson,
  startMerchant,
} from "../../../test/support/open-api";
import { devices, organizations, receiptCodes } from "../../platform/db/schema";
import { newId } from "../../platform/ids";
import { buildSignedLink, isSignatureValid } from "../../platform/signing";

const lunch = (amount: string) => ({
  name: "午餐",
  shortName: "餐饮服务",
  taxCode: "3070401000000000000",
  taxRate: "0.06",
  amount,
});

/**
 * An organization whose orderQueryUrl is already stored, as if saved when it still passed the
 * save-time check (the check at connect time is what these tests are about).
 */
async function orgQuerying(app: TestApp, orderQueryUrl: string) {
  const org = await makeOrganization(app.ctx.database);
  await app.ctx.database.db.update(organizations).set({ orderQueryUrl }).where(eq(organizations.id, org.id));
  return org;
}

/**
 * The merchant's order query (3.1.02), a real server: each order number scripts one behaviour.
 * Every request's signature is checked the way a merchant would, with the same app secret.
 */
function orderQueryHandler(keysOf: () => AppKeys) {
  return async (
    r: { method: string; url: string; headers: Record<string, unknown>; body: string },
    res: import("node:http").ServerResponse,
  ) => {
    const keys = keysOf();
    const signed = isSignatureValid(
      keys.appSecret,
      {
        method: r.method,
        pathWithQuery: r.url,
        timestamp: String(r.headers["x-timestamp"]),
        nonce: String(r.headers["x-nonce"]),
        body: r.body,
      },
      String(r.headers["x-signature"]),
    );
    if (!signed || r.headers["x-app-key"] !== keys.appKey)
      return sendJson(res, 401, { error: "bad signature" });
    const { orderNo } = JSON.parse(r.body) as { orderNo: string };
    const order = (total: string, amount = total) => ({
      orderNo,
      drawer: "李四",
      lines: [lunch(amount)],
      totalAmount: total,
    });
    switch (orderNo.replace(/-\d+$/, "")) {
      case "SLOW":
        await new Promise((resolve) => setTimeout(resolve, 6500));
        return sendJson(res, 200, order("88.00"));
      case "BROKEN":
        return sendJson(res, 500, { error: "db down" });
      case "GARBAGE":
        res.writeHead(200, { "content-type": "application/json" });
        return res.end("<html>oops</html>");
      case "MISSING":
        return sendJson(res, 404, { error: "no such order" });
      case "OTHER-TOTAL":
        return sendJson(res, 200, order("99.00"));
      case "LINES-DIFFER":
        return sendJson(res, 200, order("88.00", "80.00"));
      case "HUGE":
        return sendJson(res, 200, { ...order("88.00"), remark: "x".repeat(1024 * 1024 + 10) });
      case "INVALID":
        return sendJson(res, 200, {
          orderNo,
          totalAmount: "88.00",
          lines: [{ name: "无税码", amount: "88.00" }],
        });
      default:
        return sendJson(res, 200, order("88.00"));
    }
  };
}

for (const kind of databaseKinds()) {
  describe(`3.1.01 signed link with 3.1.02 order query [${kind}]`, () => {
    let app: TestApp;
    let keys: AppKeys;
    let orgId: string;
    let merchant: MerchantServer;
    beforeAll(async () => {
      merchant = await startMerchant(orderQueryHandler(() => keys));
      app = await createTestApp(kind, { env: { PIAOMA_ALLOW_PRIVATE_URLS: "true" } });
      orgId = (await makeOrganization(app.ctx.database)).id;
      keys = await makeCredentials(app, orgId);
      await app.ctx.database.db.insert(devices).values({ id: newId("dev"), orgId, deviceNo: "POS-01" });
      await app.ctx.database.db
        .update(organizations)
        .set({ orderQueryUrl: `${merchant.url}/orders/query?shop=1` })
        .where(eq(organizations.id, orgId));
    });
    afterAll(async () => {
      await app?.close();
      await merchant?.close();
    });

    const now = () => String(Math.floor(Date.now() / 1000));
    const link = (o: string, a = "88.00", extra: { t?: string; d?: string } = {}, k: AppKeys = keys) =>
      buildSignedLink("", k.appKey, k.appSecret, { o, a, t: extra.t ?? now(), d: extra.d }).replace(
        /^\//,
        "/",
      );
    const open = (url: string) => app.http.inject({ method: "GET", url });
    const codesOf = (o: string) =>
      app.ctx.database.db.select().from(receiptCodes).where(eq(receiptCodes.serialNo, o));

    it("verifies, asks the merchant, creates the code once and redirects; the code issues", async () => {
      const before = merchant.received.length;
      const url = link("OK-1", "88.00", { d: "POS-01" });
      const res = await open(url);
      expect(res.statusCode).toBe(302);
      const [code] = await codesOf("OK-1");
      expect(code).toMatchObject({
        source: "link",
        totalAmount: "88.00",
        drawer: "李四",
        deviceId: expect.any(String),
      });
      expect(res.headers.location).toBe(`/s/${code!.token}`);
      const asked = merchant.received.slice(before);
      expect(asked).toHaveLength(1);
      expect(asked[0]!.url).toBe("/orders/query?shop=1");
      expect(JSON.parse(asked[0]!.body)).toEqual({ orderNo: "OK-1", deviceNo: "POS-01", amount: "88.00" });

      // Scanning again: the same code, no second query.
      const again = await open(url);
      expect(again.headers.location).toBe(`/s/${code!.token}`);
      expect(merchant.received.length - before).toBe(1);

      const submit = await app.http.inject({
        method: "POST",
        url: `/api/scan/${code!.token}/submit`,
        headers: { "content-type": "application/json" },
        payload: JSON.stringify({
          invoiceType: "digital_normal",
          buyer: { type: "enterprise", name: "某某有限公司", taxId: makeUscc() },
          email: "a@example.com",
        }),
      });
      expect(submit.json()).toMatchObject({
        status: "issued",
        invoices: [{ totals: { totalAmount: "88.00" } }],
      });
    });

    it.each([
      ["a tampered amount", (u: string) => u.replace("a=88.00", "a=8.00"), 401, "SIGNATURE_INVALID"],
      ["a tampered order number", (u: string) => u.replace("o=T-1", "o=T-2"), 401, "SIGNATURE_INVALID"],
      ["a missing signature", (u: string) => u.replace(/&sig=[0-9a-f]+/, ""), 401, "SIGNATURE_INVALID"],
      [
        "a wrong key",
        (u: string) => u.replace(/\/q\/pk_[0-9a-f]+/, "/q/pk_000000000000000000000000"),
        401,
        "APP_KEY_UNKNOWN",
      ],
    ])(
      "refuses %s with a clear page, asks nobody and creates nothing",
      async (_what, tamper, status, code) => {
        const before = merchant.received.length;
        const res = await open(tamper(link("T-1")));
        expect(res.statusCode).toBe(status);
        expect(res.headers["content-type"]).toMatch(/^text\/html/);
        expect(res.body).toContain(`错误代码：${code}`);
        expect(res.body).toContain("开票链接无效");
        expect(merchant.received.length).toBe(before);
        expect(await codesOf("T-1")).toHaveLength(0);
        expect(await codesOf("T-2")).toHaveLength(0);
      },
    );

    it("refuses a link older than the config's validity (30 days), and one from the future", async () => {
      const old = await open(
        link("OLD-1", "88.00", { t: String(Math.floor(Date.now() / 1000) - 31 * 86400) }),
      );
      expect(old.statusCode).toBe(401);
      expect(old.body).toContain("开票链接已过期");
      expect(old.body).toContain("TIMESTAMP_OUT_OF_WINDOW");
      const future = await open(link("OLD-2", "88.00", { t: String(Math.floor(Date.now() / 1000) + 3600) }));
      expect(future.body).toContain("TIMESTAMP_OUT_OF_WINDOW");
      expect(await codesOf("OLD-1")).toHaveLength(0);
    });

    it.each([
      ["times out", "SLOW-1", 502, "ORDER_QUERY_FAILED", "5 秒内没有应答"],
      ["answers 500", "BROKEN-1", 502, "ORDER_QUERY_FAILED", "HTTP 500"],
      ["answers garbage", "GARBAGE-1", 502, "ORDER_QUERY_FAILED", "不是合法的 JSON"],
      ["answers an order that is not valid", "INVALID-1", 502, "ORDER_QUERY_FAILED", "订单数据"],
      ["answers more than 1 MiB", "HUGE-1", 502, "ORDER_QUERY_FAILED", "1 MiB"],
      ["answers 404", "MISSING-1", 404, "ORDER_NOT_FOUND", "找不到该订单"],
      ["answers a different total", "OTHER-TOTAL-1", 422, "ORDER_AMOUNT_MISMATCH", "99.00"],
      ["answers lines that add up differently", "LINES-DIFFER-1", 422, "ORDER_AMOUNT_MISMATCH", "80.00"],
    ])(
      "shows a clear page when the order query %s, and creates nothing",
      async (_what, o, status, code, text) => {
        const res = await open(link(o));
        expect(res.statusCode).toBe(status);
        expect(res.body).toContain(`错误代码：${code}`);
        expect(res.body).toContain(text);
        expect(await codesOf(o)).toHaveLength(0);
      },
      15_000,
    );
  });
}

describePostgres("3.1.01 concurrent scans [postgres]", () => {
  let app: TestApp;
  let keys: AppKeys;
  let merchant: MerchantServer;
  beforeAll(async () => {
    merchant = await startMerchant(orderQueryHandler(() => keys));
    app = await createTestApp("postgres", { env: { PIAOMA_ALLOW_PRIVATE_URLS: "true" } });
    const org = await orgQuerying(app, `${merchant.url}/q`);
    keys = await makeCredentials(app, org.id);
  });
  afterAll(async () => {
    await app?.close();
    await merchant?.close();
  });

  it("creates one code when the same link is opened many times at once", async () => {
    const url = buildSignedLink("", keys.appKey, keys.appSecret, {
      o: "RUSH-1",
      a: "88.00",
      t: String(Math.floor(Date.now() / 1000)),
    });
    const all = await Promise.all(Array.from({ length: 8 }, () => app.http.inject({ method: "GET", url })));
    expect(all.map((r) => r.statusCode)).toEqual(Array(8).fill(302));
    expect(new Set(all.map((r) => r.headers.location)).size).toBe(1);
    const rows = await app.ctx.database.db
      .select()
      .from(receiptCodes)
      .where(eq(receiptCodes.serialNo, "RUSH-1"));
    expect(rows).toHaveLength(1);
  });
});

describe("3.1.02 to a private address", () => {
  let app: TestApp | undefined;
  let merchant: MerchantServer | undefined;
  afterAll(async () => {
    await app?.close();
    await merchant?.close();
  });

  it("is refused unless PIAOMA_ALLOW_PRIVATE_URLS allows it; the merchant is never called", async () => {
    let keys: AppKeys | undefined;
    merchant = await startMerchant(orderQueryHandler(() => keys!));
    app = await createTestApp("pglite", { env: { PIAOMA_ALLOW_PRIVATE_URLS: "false" } });
    const org = await orgQuerying(app, `${merchant.url.replace("127.0.0.1", "localhost")}/q`);
    keys = await makeCredentials(app, org.id);
    const url = buildSignedLink("", keys.appKey, keys.appSecret, {
      o: "LAN-1",
      a: "88.00",
      t: String(Math.floor(Date.now() / 1000)),
    });
    const res = await app.http.inject({ method: "GET", url });
    expect(res.statusCode).toBe(502);
    expect(res.body).toContain("内网");
    expect(merchant.received).toHaveLength(0);
    const literal = await orgQuerying(app, `${merchant.url}/q`);
    const k2 = await makeCredentials(app, literal.id);
    const res2 = await app.http.inject({
      method: "GET",
      url: buildSignedLink("", k2.appKey, k2.appSecret, {
        o: "LAN-2",
        a: "88.00",
        t: String(Math.floor(Date.now() / 1000)),
      }),
    });
    expect(res2.body).toContain("内网");
    expect(merchant.received).toHaveLength(0);
  });
});
