import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";

describe("/docs: the open API", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp("pglite", { startJobs: false });
  });
  afterAll(() => app?.close());

  it("lists every open route under the `open` tag, signed, with a request example", async () => {
    const doc = (await app.http.inject({ method: "GET", url: "/openapi.json" })).json();
    const open = [
      ["post", "/open/v1/receipt-codes"],
      ["get", "/open/v1/receipt-codes/{orderNo}"],
      ["get", "/open/v1/receipt-codes/{orderNo}/qr.png"],
      ["get", "/open/v1/receipt-codes/{orderNo}/qr.svg"],
      ["post", "/open/v1/receipt-codes/{orderNo}/disable"],
      ["get", "/open/v1/invoices"],
      ["get", "/open/v1/invoices/{id}"],
      ["post", "/open/v1/invoices/{id}/reverse"],
    ] as const;
    for (const [method, path] of open) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op.tags).toEqual(["open"]);
      expect(op.security).toEqual([{ AppKey: [], Timestamp: [], Nonce: [], Signature: [] }]);
    }
    expect(Object.keys(doc.components.securitySchemes)).toEqual(
      expect.arrayContaining(["AppKey", "Timestamp", "Nonce", "Signature"]),
    );
    const push = doc.paths["/open/v1/receipt-codes"].post.requestBody.content["application/json"].schema;
    expect(JSON.stringify(push)).toContain("POS-20261122-000123");
    expect(doc.paths["/q/{appKey}"].get.tags).toEqual(["open"]);
  });

  it("documents the invoice webhooks, invoice.red_confirmation with the invoice's redConfirmation", async () => {
    const doc = (await app.http.inject({ method: "GET", url: "/openapi.json" })).json();
    expect(Object.keys(doc.webhooks)).toEqual([
      "invoice.issued",
      "invoice.failed",
      "invoice.reversed",
      "invoice.red_confirmation",
    ]);
    const body = doc.webhooks["invoice.red_confirmation"].post.requestBody.content["application/json"].schema;
    expect(body.properties.type.enum).toEqual(["invoice.red_confirmation"]);
    const confirmation = body.properties.data.properties.redConfirmation;
    expect(JSON.stringify(confirmation)).toContain("no_confirmation_needed");
    // GET /open/v1/invoices/{id} answers the same field.
    const get = doc.paths["/open/v1/invoices/{id}"].get.responses["200"].content["application/json"].schema;
    expect(JSON.stringify(get)).toContain("redConfirmation");
  });

  it("describes the consumer page's polling header on the scan route", async () => {
    const doc = (await app.http.inject({ method: "GET", url: "/openapi.json" })).json();
    expect(doc.paths["/api/scan/{token}"].get.description).toContain("X-Piaoma-Poll: 1");
  });
});
