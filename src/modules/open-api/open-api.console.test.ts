import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { loginAs, makeUser } from "../../../test/support/console";
import { makeOrganization } from "../../../test/support/factories";
import { type MerchantServer, openRequest, startMerchant } from "../../../test/support/open-api";
import { waitUntil } from "../../../test/support/wait";

describe("open API in the console (credentials, URLs, test webhook, attempts)", () => {
  let app: TestApp;
  let merchant: MerchantServer;
  let orgId: string;
  beforeAll(async () => {
    merchant = await startMerchant((_r, res) => {
      res.end("ok");
    });
    app = await createTestApp("pglite", { env: { PIAOMA_ALLOW_PRIVATE_URLS: "true" } });
    orgId = (await makeOrganization(app.ctx.database)).id;
  });
  afterAll(async () => {
    await app?.close();
    await merchant?.close();
  });

  it("an admin creates, lists, rotates and revokes keys; the secret is shown once", async () => {
    const admin = await makeUser(app.ctx.database, { role: "admin", orgIds: [orgId] });
    const c = await loginAs(app, admin.username, admin.password);
    const created = await c.post(`/orgs/${orgId}/credentials`, { label: "POS" });
    expect(created.statusCode).toBe(201);
    const first = created.json();
    const ping = () => openRequest(app, first, { method: "GET", url: "/open/v1/invoices?orderNo=X" });
    expect((await ping()).statusCode).toBe(200);

    const list = (await c.get(`/orgs/${orgId}/credentials`)).json();
    expect(list).toEqual([
      expect.objectContaining({
        appKey: first.appKey,
        label: "POS",
        status: "active",
        lastUsedAt: expect.any(String),
      }),
    ]);
    expect(JSON.stringify(list)).not.toContain(first.appSecret);

    const rotated = (await c.post(`/orgs/${orgId}/credentials/${first.appKey}/rotate`, {})).json();
    expect(rotated.appKey).not.toBe(first.appKey);
    expect((await ping()).statusCode).toBe(200); // the old key still works until revoked
    expect((await c.post(`/orgs/${orgId}/credentials/${first.appKey}/revoke`)).statusCode).toBe(204);
    expect((await ping()).json().error.code).toBe("APP_KEY_UNKNOWN");

    // Rotating with revokeOld cuts over at once: the new key works, the old one is refused.
    const third = (
      await c.post(`/orgs/${orgId}/credentials/${rotated.appKey}/rotate`, { revokeOld: true })
    ).json();
    const pingWith = (keys: { appKey: string; appSecret: string }) =>
      openRequest(app, keys, { method: "GET", url: "/open/v1/invoices?orderNo=X" });
    expect((await pingWith(rotated)).json().error.code).toBe("APP_KEY_UNKNOWN");
    expect((await pingWith(third)).statusCode).toBe(200);
    const statuses = (await c.get(`/orgs/${orgId}/credentials`)).json();
    expect(statuses.find((k: { appKey: string }) => k.appKey === rotated.appKey).status).toBe("revoked");
  });

  it("saves the URLs, sends a test webhook and shows its attempts", async () => {
    const admin = await makeUser(app.ctx.database, { role: "admin", orgIds: [orgId] });
    const c = await loginAs(app, admin.username, admin.password);
    const saved = await c.put(`/orgs/${orgId}/open-api`, {
      orderQueryUrl: `${merchant.url}/q`,
      webhookUrl: `${merchant.url}/hooks`,
    });
    expect(saved.json()).toMatchObject({ webhookUrl: `${merchant.url}/hooks` });
    const bad = await c.put(`/orgs/${orgId}/open-api`, { orderQueryUrl: "ftp://x", webhookUrl: "" });
    expect(bad.json().error.details.fields).toHaveProperty("orderQueryUrl");

    const test = await c.post(`/orgs/${orgId}/open-api/webhook-test`);
    expect(test.statusCode).toBe(202);
    const { eventId } = test.json();
    const event = await waitUntil(async () => {
      const events = (await c.get(`/orgs/${orgId}/webhook-events`)).json();
      const e = events.find((x: { id: string }) => x.id === eventId);
      return e?.status === "delivered" && e;
    }, "the test event delivered");
    expect(event).toMatchObject({ type: "webhook.test", attempts: [{ attempt: 1, statusCode: 200 }] });
    expect(merchant.received.some((r) => JSON.parse(r.body).id === eventId)).toBe(true);
  });

  it("refuses operators (admins only)", async () => {
    const op = await makeUser(app.ctx.database, { role: "operator", orgIds: [orgId] });
    const c = await loginAs(app, op.username, op.password);
    expect((await c.get(`/orgs/${orgId}/credentials`)).statusCode).toBe(403);
    expect((await c.post(`/orgs/${orgId}/credentials`, {})).statusCode).toBe(403);
  });
});
