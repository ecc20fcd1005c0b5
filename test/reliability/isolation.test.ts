import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders } from "../../src/modules/open-api/signing";
import { registeredRoutes } from "../../src/platform/http";
import { createTestApp, type TestApp } from "../support/app";
import { loginAs, makeUser } from "../support/console";
import { makeOrganization, makeReceiptCode } from "../support/factories";
import { makeCredentials } from "../support/open-api";

/**
 * Organization isolation across every route, found by enumeration rather than listed by hand: a
 * route added later is covered too. A user of A naming B in any console route, and a merchant key of
 * A naming B's order or invoice in any open-API route, gets 404 and sees nothing of B.
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
      const body = r.method === "GET" ? "" : JSON.stringify({ reason: "开票有误" });
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
