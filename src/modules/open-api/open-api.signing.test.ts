import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { databaseKinds } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { type AppKeys, makeCredentials, openRequest } from "../../../test/support/open-api";
import { systemActor } from "../../context";
import { receiptCodes } from "../../platform/db/schema";
import { randomNonce, signedHeaders } from "../../platform/signing";
import { revokeCredentials } from "../credentials/credentials.service";

const order = (orderNo: string) => ({
  orderNo,
  drawer: "张三",
  lines: [
    { name: "午餐", shortName: "餐饮服务", taxCode: "3070401000000000000", taxRate: "0.06", amount: "88.00" },
  ],
});

for (const kind of databaseKinds()) {
  describe(`open API signing [${kind}]`, () => {
    let app: TestApp;
    let orgId: string;
    let keys: AppKeys;
    beforeAll(async () => {
      app = await createTestApp(kind);
      orgId = (await makeOrganization(app.ctx.database)).id;
      keys = await makeCredentials(app, orgId);
    });
    afterAll(() => app?.close());

    const push = (orderNo: string, tamper: Parameters<typeof openRequest>[3] = {}) =>
      openRequest(app, keys, { method: "POST", url: "/open/v1/receipt-codes", body: order(orderNo) }, tamper);
    const codesOf = async (orderNo: string) =>
      app.ctx.database.db.select().from(receiptCodes).where(eq(receiptCodes.serialNo, orderNo));

    it("accepts a correctly signed push", async () => {
      const res = await push("SIG-OK-1");
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({ orderNo: "SIG-OK-1", status: "active" });
    });

    it.each([
      [
        "a tampered body",
        { body: JSON.stringify(order("SIG-X-1")).replace("88.00", "8.00") },
        "SIGNATURE_INVALID",
      ],
      ["a wrong signature", { signature: "0".repeat(64) }, "SIGNATURE_INVALID"],
      [
        "a stale timestamp",
        { timestamp: String(Math.floor(Date.now() / 1000) - 301) },
        "TIMESTAMP_OUT_OF_WINDOW",
      ],
      [
        "a future timestamp",
        { timestamp: String(Math.floor(Date.now() / 1000) + 400) },
        "TIMESTAMP_OUT_OF_WINDOW",
      ],
      ["an unknown key", { appKey: "pk_000000000000000000000000" }, "APP_KEY_UNKNOWN"],
      ["a short nonce", { nonce: "abc" }, "SIGNATURE_INVALID"],
    ])("refuses %s with its own code and creates nothing", async (_what, tamper, code) => {
      const res = await push("SIG-X-1", tamper);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe(code);
      expect(await codesOf("SIG-X-1")).toHaveLength(0);
    });

    it("signs the path with its query: a changed query is refused", async () => {
      const url = "/open/v1/invoices?orderNo=SIG-OK-1";
      const ok = await openRequest(app, keys, { method: "GET", url });
      expect(ok.statusCode).toBe(200);
      const moved = await openRequest(
        app,
        keys,
        { method: "GET", url },
        { url: "/open/v1/invoices?orderNo=OTHER" },
      );
      expect([moved.statusCode, moved.json().error.code]).toEqual([401, "SIGNATURE_INVALID"]);
    });

    it("refuses a reused nonce, even for a request that is otherwise new", async () => {
      const nonce = randomNonce();
      expect((await push("SIG-N-1", { nonce })).statusCode).toBe(201);
      const replay = await push("SIG-N-2", { nonce });
      expect([replay.statusCode, replay.json().error.code]).toEqual([401, "NONCE_REUSED"]);
      expect(await codesOf("SIG-N-2")).toHaveLength(0);
    });

    it("refuses missing headers, and a revoked key at once", async () => {
      const bare = await app.http.inject({ method: "GET", url: "/open/v1/invoices?orderNo=A" });
      expect(bare.statusCode).toBe(401);
      expect(bare.json().error).toMatchObject({
        code: "SIGNATURE_INVALID",
        details: { missing: expect.any(Array) },
      });

      const other = await makeCredentials(app, orgId);
      await revokeCredentials(app.ctx, { actor: systemActor("test"), orgId, appKey: other.appKey });
      const revoked = await openRequest(app, other, { method: "GET", url: "/open/v1/invoices?orderNo=A" });
      expect([revoked.statusCode, revoked.json().error.code]).toEqual([401, "APP_KEY_UNKNOWN"]);
    });

    it("checks the signature before the body: bad JSON from a signed request is INVALID_JSON", async () => {
      const res = await push("SIG-J-1", { body: "{not json" });
      // The signature covered the original body, so a changed body is first of all a bad signature…
      expect(res.json().error.code).toBe("SIGNATURE_INVALID");
      const raw = "{not json";
      const signed = await app.http.inject({
        method: "POST",
        url: "/open/v1/receipt-codes",
        headers: {
          ...signedHeaders(keys.appKey, keys.appSecret, {
            method: "POST",
            pathWithQuery: "/open/v1/receipt-codes",
            body: raw,
          }),
          "content-type": "application/json",
        },
        payload: raw,
      });
      // …and a correctly signed one that is not JSON is INVALID_JSON.
      expect([signed.statusCode, signed.json().error.code]).toEqual([400, "INVALID_JSON"]);
    });

    it("refuses a signed body that is not valid UTF-8 with INVALID_JSON, after checking the signature", async () => {
      // A lone surrogate's bytes in orderNo: signed as sent, so only the decoding can refuse it.
      const raw = Buffer.concat([
        Buffer.from('{"orderNo":"SIG-U-'),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from(
          '","lines":[{"name":"午餐","shortName":"餐饮服务","taxCode":"3070401000000000000","taxRate":"0.06","amount":"1.00"}]}',
        ),
      ]);
      const send = (signature?: string) =>
        app.http.inject({
          method: "POST",
          url: "/open/v1/receipt-codes",
          headers: {
            ...signedHeaders(keys.appKey, keys.appSecret, {
              method: "POST",
              pathWithQuery: "/open/v1/receipt-codes",
              body: raw,
            }),
            ...(signature ? { "x-signature": signature } : {}),
            "content-type": "application/json",
          },
          payload: raw,
        });
      const unsigned = await send("0".repeat(64));
      expect([unsigned.statusCode, unsigned.json().error.code]).toEqual([401, "SIGNATURE_INVALID"]);
      const signed = await send();
      expect([signed.statusCode, signed.json().error.code]).toEqual([400, "INVALID_JSON"]);
      expect(signed.json().error.message).toContain("UTF-8");
    });
  });
}
