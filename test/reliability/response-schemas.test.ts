import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registeredRoutes } from "../../src/platform/http";
import { createTestApp, type TestApp } from "../support/app";

/**
 * A response schema is the serializer's whitelist (src/platform/http.ts): only its declared fields
 * go out. A route without one sends whatever its handler returns, a field added to a service later
 * included. So every route answering JSON, found by enumeration (a route added later is covered
 * too), declares its success answers; the routes that answer something else are listed here by name,
 * each with what it sends instead.
 */
const NOT_JSON: Record<string, string> = {
  "DELETE /api/console/session": "204, the cookie cleared",
  "PUT /api/console/session/password": "204",
  "POST /api/console/orgs/:orgId/credentials/:appKey/revoke": "204",
  "POST /api/console/orgs/:orgId/receipt-codes/preview": "a PDF",
  "GET /api/console/orgs/:orgId/receipt-codes/:id/slip.pdf": "a PDF",
  "GET /api/console/orgs/:orgId/store-codes/:id/card.pdf": "a PDF",
  "POST /api/console/orgs/:orgId/receipt-codes/bulk/slips.pdf": "a PDF",
  "POST /api/console/orgs/:orgId/invoices/bulk/export": "an xlsx or CSV file",
  "POST /api/console/orgs/:orgId/invoices/bulk/pdf.zip": "a zip of PDFs",
  "GET /api/console/orgs/:orgId/invoices/export.xlsx": "an xlsx file",
  "GET /api/console/orgs/:orgId/invoices/export.csv": "a CSV file",
  "GET /api/console/invoices/export.xlsx": "an xlsx file",
  "GET /api/console/invoices/export.csv": "a CSV file",
  "GET /api/console/orgs/:orgId/invoices/:id/files/:kind": "a PDF or XML file",
  "GET /api/scan/:token/invoices/:file": "a PDF or XML file",
  "GET /api/my/files/:file": "a PDF, OFD or XML file",
  "GET /open/v1/receipt-codes/:orderNo/qr.png": "a PNG image",
  "GET /open/v1/receipt-codes/:orderNo/qr.svg": "an SVG image",
  "GET /files/invoices/:file": "a PDF or XML file (signed link)",
  "GET /q/:appKey": "a redirect, or an HTML error page",
  "GET /digest/unsubscribe": "a small HTML page (the digest e-mail's unsubscribe link)",
  "GET /openapi.json": "the OpenAPI document itself",
  "GET /": "a redirect to /admin/",
  "GET /admin": "the console's HTML",
  "GET /admin/*": "the console's HTML",
  "GET /s/:token": "the consumer page's HTML",
  "GET /s": "the consumer page's HTML (no token: the page says to scan the receipt)",
  "GET /m/:token": "the consumer page's HTML (门店码)",
  "GET /m/p/:token": "the consumer page's HTML (a 门店码 submission's state)",
  "GET /my": "我的发票's HTML",
  "GET /my/*": "我的发票's HTML",
  "GET /assets/*": "the built scripts and styles",
};
/** @fastify/swagger-ui's own routes: the interactive documentation and the schema it renders. */
const isDocs = (url: string) => url === "/docs" || url.startsWith("/docs/");

const key = (r: { method: string; url: string }) => `${r.method} ${r.url}`;

describe("every JSON route has a response schema (the whitelist holds everywhere)", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp("pglite", { startJobs: false });
  });
  afterAll(() => app?.close());

  const routes = () =>
    (registeredRoutes.get(app.http) ?? []).filter((r) => r.method !== "HEAD" && !isDocs(r.url));

  it("declares a schema for a 2xx answer of every route that answers JSON", () => {
    const json = routes().filter((r) => !Object.hasOwn(NOT_JSON, key(r)));
    // Every interface is there: the console, the consumer page, the open API and the health check.
    for (const prefix of ["/api/console/", "/api/scan/", "/open/v1/", "/health"])
      expect(
        json.some((r) => r.url.startsWith(prefix)),
        prefix,
      ).toBe(true);
    expect(json.length).toBeGreaterThan(50);
    const missing = json.filter((r) => !r.responses.some((status) => /^2\d\d$/.test(status))).map(key);
    expect(missing).toEqual([]);
  });

  it("lists only routes that exist as answering something other than JSON", () => {
    const registered = new Set(routes().map(key));
    expect(Object.keys(NOT_JSON).filter((k) => !registered.has(k))).toEqual([]);
  });
});
