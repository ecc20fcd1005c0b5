import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registeredRoutes } from "../../src/platform/http";
import { signedHeaders } from "../../src/platform/signing";
import { createTestApp, type TestApp } from "../support/app";
import { loginAs, makeUser } from "../support/console";
import { makeOrganization, makeReceiptCode, makeUscc } from "../support/factories";
import { makeCredentials } from "../support/open-api";

/**
 * Organization isolation across every route, found by enumeration rather than listed by hand: a
 * route added later is covered too. A user of A naming B in any console route, and a merchant key of
 * A naming B's order or invoice in any open-API route, gets 404 and sees nothing of B; the console's
 * views across organizations (统计分析, 发票管理 「全部组织」) show A's user nothing of B.
 */
describe("cross-organization access through every route", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp("pglite", { startJobs: false });
  });
  afterAll(() => app?.close());

  const routes = () => registeredRoutes.get(app.http) ?? [];

  it("every console route under /orgs/:orgId answers 404 for another organization", async () => {
    const a = await makeOrganization(app.ctx.database, { name: "甲组织" });
    const b = await makeOrganization(app.ctx.database, { name: "乙组织" });
    const user = await makeUser(app.ctx.database, { orgIds: [a.id], role: "admin" });
    const client = await loginAs(app, user.username, user.password);
    const orgRoutes = routes().filter(
      (r) => r.url.startsWith("/api/console/orgs/:orgId") && r.method !== "HEAD",
    );
    expect(orgRoutes.length).toBeGreaterThan(15);
    const leaks: string[] = [];
    for (const r of orgRoutes) {
      const url = r.url
        .replace("/api/console", "")
        .replace(":orgId", b.id)
        .replace(/:(\w+)/g, "x1");
      const res = await client.request(r.method as "GET", url, r.method === "GET" ? undefined : {});
      if (res.statusCode !== 404 || res.body.includes(b.name))
        leaks.push(`${r.method} ${r.url} → ${res.statusCode}`);
    }
    expect(leaks).toEqual([]);
  });

  it("an admin of A naming B's webhook event through A (重新投递) finds nothing and changes nothing", async () => {
    const a = await makeOrganization(app.ctx.database, { webhookUrl: "http://127.0.0.1:9/a" });
    const b = await makeOrganization(app.ctx.database, { webhookUrl: "http://127.0.0.1:9/b" });
    await app.ctx.database.executeSql(
      "insert into webhook_events (id, org_id, type, status, attempts) values ($1, $2, 'webhook.test', 'delivered', 1)",
      ["evt_of_b_isolation", b.id],
    );
    const user = await makeUser(app.ctx.database, { orgIds: [a.id], role: "admin" });
    const client = await loginAs(app, user.username, user.password);
    const res = await client.post(`/orgs/${a.id}/webhook-events/evt_of_b_isolation/redeliver`, {});
    expect(res.statusCode).toBe(404);
    const row = await app.ctx.database.executeSql(
      "select status, attempts from webhook_events where id = 'evt_of_b_isolation'",
    );
    expect(row.rows[0]).toEqual({ status: "delivered", attempts: 1 });
    const events = (await client.get(`/orgs/${a.id}/webhook-events`)).json();
    expect(events).toEqual([]);
  });

  it("a viewer in B who is admin in A changes nothing in B through any console write under /orgs/:orgId", async () => {
    const a = await makeOrganization(app.ctx.database, { name: "甲管理组织" });
    const b = await makeOrganization(app.ctx.database, { name: "乙只读组织" });
    const user = await makeUser(app.ctx.database, {
      orgIds: [a.id, b.id],
      role: "admin",
      roleIn: { [b.id]: "viewer" },
    });
    const client = await loginAs(app, user.username, user.password);
    const writes = routes().filter(
      (r) => r.url.startsWith("/api/console/orgs/:orgId") && !["GET", "HEAD"].includes(r.method),
    );
    expect(writes.length).toBeGreaterThan(10);
    const auditOfB = async () =>
      (
        await app.ctx.database.executeSql("select count(*)::int as n from audit_log where org_id = $1", [
          b.id,
        ])
      ).rows[0];
    const before = await auditOfB();
    const accepted: string[] = [];
    for (const r of writes) {
      const url = r.url
        .replace("/api/console", "")
        .replace(":orgId", b.id)
        .replace(/:(\w+)/g, "x1");
      const res = await client.request(r.method as "POST", url, {});
      // Refused by role (403), by a missing record (404) or by validation (422) — never done.
      if (res.statusCode < 400) accepted.push(`${r.method} ${r.url} → ${res.statusCode}`);
    }
    expect(accepted).toEqual([]);
    expect(await auditOfB()).toEqual(before);
    // The same user's admin role in A still works.
    expect((await client.post(`/orgs/${a.id}/credentials`, {})).statusCode).toBe(201);
    expect((await client.post(`/orgs/${b.id}/credentials`, {})).statusCode).toBe(403);
    expect((await client.get(`/orgs/${b.id}/audit`)).statusCode).toBe(403);
  });

  it("every console GET outside /orgs/:orgId (cross-organization views) shows nothing of another organization", async () => {
    const a = await makeOrganization(app.ctx.database, { name: "甲集团门店" });
    const b = await makeOrganization(app.ctx.database, { name: "乙集团门店" });
    // B has a real invoice, so a view across organizations has something of B to leak.
    const codeOfB = await makeReceiptCode(app.ctx, b.id, { serialNo: "B-ONLY-0001" });
    const submitted = await app.http.inject({
      method: "POST",
      url: `/api/scan/${codeOfB.token}/submit`,
      payload: {
        invoiceType: "digital_normal",
        buyer: { type: "enterprise", name: "乙的顾客有限公司", taxId: makeUscc("91310000") },
        email: "buyer@example.com",
      },
    });
    expect(submitted.statusCode).toBe(202);
    const numberOfB: string = submitted.json().invoices[0].number;
    expect(numberOfB).toMatch(/^\d{20}$/);
    const marks = [b.id, b.name, codeOfB.serialNo, numberOfB, "乙的顾客有限公司"];

    const ofA = await makeUser(app.ctx.database, { orgIds: [a.id], role: "admin" });
    const ofB = await makeUser(app.ctx.database, { orgIds: [b.id], role: "admin" });
    const clientA = await loginAs(app, ofA.username, ofA.password);
    const clientB = await loginAs(app, ofB.username, ofB.password);
    const views = routes().filter(
      (r) => r.method === "GET" && r.url.startsWith("/api/console/") && !r.url.includes(":"),
    );
    expect(views.map((r) => r.url)).toEqual(
      expect.arrayContaining([
        "/api/console/stats",
        "/api/console/invoices",
        "/api/console/invoices/export.xlsx",
      ]),
    );
    /** The body as text; a spreadsheet is unzipped and its cells read. */
    const textOf = async (res: { headers: Record<string, unknown>; rawPayload: Buffer }) => {
      if (!String(res.headers["content-type"]).includes("spreadsheetml"))
        return res.rawPayload.toString("utf8");
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
      const cells: string[] = [];
      for (const sheet of book.worksheets) sheet.eachRow((row) => cells.push(JSON.stringify(row.values)));
      return cells.join("\n");
    };
    const leaks: string[] = [];
    let seenByB = 0;
    for (const r of views) {
      const url = r.url.replace("/api/console", "");
      // Plain, and naming B where a view takes an organization: 404 or nothing of B.
      for (const probe of [url, `${url}?orgId=${b.id}`]) {
        const res = await clientA.get(probe);
        const text = await textOf(res);
        if (res.statusCode !== 404 && marks.some((m) => text.includes(m)))
          leaks.push(`GET ${probe} → ${res.statusCode}`);
      }
      // The probe can see: B's own user finds B's invoice in the invoice views.
      if (url.startsWith("/invoices") && (await textOf(await clientB.get(url))).includes(numberOfB))
        seenByB++;
    }
    expect(leaks).toEqual([]);
    expect(seenByB).toBe(3);
  });

  it("every console bulk route (/bulk/) refuses, whole, a list naming another organization's record", async () => {
    const a = await makeOrganization(app.ctx.database, { name: "甲批量组织" });
    const b = await makeOrganization(app.ctx.database, { name: "乙批量组织" });
    const ownCode = await makeReceiptCode(app.ctx, a.id);
    const codeOfB = await makeReceiptCode(app.ctx, b.id);
    const submitted = await app.http.inject({
      method: "POST",
      url: `/api/scan/${codeOfB.token}/submit`,
      payload: {
        invoiceType: "digital_normal",
        buyer: { type: "enterprise", name: "乙的批量顾客有限公司", taxId: makeUscc("91310000") },
        email: "buyer@example.com",
      },
    });
    const invoiceOfB: string = submitted.json().invoices[0].id;
    const user = await makeUser(app.ctx.database, { orgIds: [a.id], role: "admin" });
    const client = await loginAs(app, user.username, user.password);
    const bulk = routes().filter((r) => r.url.includes("/bulk/") && r.method !== "HEAD");
    expect(bulk.length).toBeGreaterThanOrEqual(5);
    const audit = async () =>
      (await app.ctx.database.executeSql("select count(*)::int as n from audit_log", [])).rows[0];
    const before = await audit();
    const leaks: string[] = [];
    for (const r of bulk) {
      const url = r.url.replace("/api/console", "").replace(":orgId", a.id);
      const res = await client.request(r.method as "POST", url, {
        ids: [ownCode.id, codeOfB.id, invoiceOfB],
      });
      if (res.statusCode !== 404 || res.body.includes(b.name) || res.body.includes(codeOfB.serialNo))
        leaks.push(`${r.method} ${r.url} → ${res.statusCode}`);
    }
    const history = await client.get(`/orgs/${a.id}/receipt-codes/${codeOfB.id}/history`);
    if (history.statusCode !== 404) leaks.push(`history of B's code → ${history.statusCode}`);
    expect(leaks).toEqual([]);
    expect(await audit()).toEqual(before);
  });

  it("every open-API route with an order number or invoice id answers 404 for another organization's", async () => {
    const a = await makeOrganization(app.ctx.database, { name: "甲商户" });
    const b = await makeOrganization(app.ctx.database, { name: "乙商户" });
    const keys = await makeCredentials(app, a.id);
    const codeOfB = await makeReceiptCode(app.ctx, b.id);
    const openRoutes = routes().filter(
      (r) => r.url.startsWith("/open/v1/") && /:(orderNo|id)/.test(r.url) && r.method !== "HEAD",
    );
    expect(openRoutes.length).toBeGreaterThan(4);
    const leaks: string[] = [];
    for (const r of openRoutes) {
      const url = r.url
        .replace(":orderNo", codeOfB.serialNo)
        .replace(":id", "inv_00000000000000000000000000");
      // A valid body, so that only the other organization's order or invoice can be refused.
      const body =
        r.method === "GET"
          ? ""
          : JSON.stringify(
              r.url.endsWith("/refunds")
                ? { refundNo: "R-1", reason: "销货退回" }
                : r.url.endsWith("/match")
                  ? { orderNo: codeOfB.serialNo }
                  : { reason: "开票有误" },
            );
      const headers = signedHeaders(keys.appKey, keys.appSecret, {
        method: r.method as "GET",
        pathWithQuery: url,
        body,
      });
      const res = await app.http.inject({
        method: r.method as "GET",
        url,
        headers: { ...headers, ...(body ? { "content-type": "application/json" } : {}) },
        ...(body ? { payload: body } : {}),
      });
      if (res.statusCode !== 404 || res.body.includes(codeOfB.token))
        leaks.push(`${r.method} ${r.url} → ${res.statusCode} ${res.body.slice(0, 100)}`);
    }
    expect(leaks).toEqual([]);
  });
});
