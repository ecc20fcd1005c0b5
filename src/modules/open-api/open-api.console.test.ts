import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, submitAsCompany, type TestApp } from "../../../test/support/app";
import { loginAs, makeUser } from "../../../test/support/console";
import { makeOrganization, makeReceiptCode } from "../../../test/support/factories";
import {
  type MerchantServer,
  makeCredentials,
  openRequest,
  startMerchant,
} from "../../../test/support/open-api";
import { waitUntil } from "../../../test/support/wait";

describe("open API in the console (credentials, URLs, test webhook, attempts)", () => {
  let app: TestApp;
  let merchant: MerchantServer;
  let orgId: string;
  beforeAll(async () => {
    merchant = await startMerchant((r, res) => {
      // A merchant whose /down endpoint is failing, for the redelivery.
      if (r.url === "/down") res.statusCode = 503;
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

  it("lists an invoice's event with its number, and 重新投递 delivers it again as a new attempt", async () => {
    const org = (await makeOrganization(app.ctx.database)).id;
    await makeCredentials(app, org);
    const admin = await makeUser(app.ctx.database, { role: "admin", orgIds: [org] });
    const c = await loginAs(app, admin.username, admin.password);
    const redeliver = (eventId: string) => c.post(`/orgs/${org}/webhook-events/${eventId}/redeliver`);

    // The merchant's endpoint fails the first attempt; the event lists the invoice's number.
    await c.put(`/orgs/${org}/open-api`, { orderQueryUrl: "", webhookUrl: `${merchant.url}/down` });
    const code = await makeReceiptCode(app.ctx, org);
    const submitted = (await submitAsCompany(app, code.token)).json();
    expect(submitted.status).toBe("issued");
    const invoice = submitted.invoices[0];
    expect(invoice.number).toMatch(/^\d{20}$/);
    const listed = async () => {
      const events = (await c.get(`/orgs/${org}/webhook-events`)).json();
      return events.find((e: { invoiceId: string | null }) => e.invoiceId === invoice.id);
    };
    const event = await waitUntil(async () => {
      const e = await listed();
      return e?.attempts.length > 0 ? e : undefined;
    }, "the first attempt recorded");
    expect(event).toMatchObject({
      type: "invoice.issued",
      invoiceNumber: invoice.number,
      status: "pending",
      attempts: [{ attempt: 1, statusCode: 503 }],
    });

    // Without a webhookUrl there is nowhere to deliver: refused, nothing queued.
    await c.put(`/orgs/${org}/open-api`, { orderQueryUrl: "", webhookUrl: "" });
    const refused = await redeliver(event.id);
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.details.fields).toHaveProperty("webhookUrl");

    await c.put(`/orgs/${org}/open-api`, { orderQueryUrl: "", webhookUrl: `${merchant.url}/redeliver` });
    const before = event.attempts.length;
    const queued = await redeliver(event.id);
    expect(queued.statusCode).toBe(202);
    expect(queued.json()).toEqual({ eventId: event.id, attempt: before + 1 });
    const delivered = await waitUntil(async () => {
      const e = await listed();
      return e?.status === "delivered" && e;
    }, "the event delivered again");
    expect(delivered.attempts.at(-1)).toMatchObject({ attempt: before + 1, statusCode: 200 });
    const bodies = () =>
      merchant.received.filter((r) => r.url === "/redeliver").map((r) => JSON.parse(r.body));
    expect(bodies()).toEqual([expect.objectContaining({ id: event.id, type: "invoice.issued" })]);
    expect(bodies()[0].data).toMatchObject({ id: invoice.id, number: invoice.number });

    // A delivered event goes again on request (the merchant lost it): one more attempt, one more POST.
    expect((await redeliver(event.id)).json()).toEqual({ eventId: event.id, attempt: before + 2 });
    await waitUntil(async () => (await listed())?.attempts.length === before + 2, "the second redelivery");
    expect(bodies()).toHaveLength(2);
    const audit = (await c.get(`/orgs/${org}/audit?action=webhook.redeliver`)).json();
    expect(audit.total).toBe(2);
  });

  it("重新投递 is for the event's own organization and its admins", async () => {
    const mine = (await makeOrganization(app.ctx.database, { webhookUrl: `${merchant.url}/x` })).id;
    const theirs = (await makeOrganization(app.ctx.database, { webhookUrl: `${merchant.url}/y` })).id;
    const { eventId } = (
      await (async () => {
        const admin = await makeUser(app.ctx.database, { role: "admin", orgIds: [theirs] });
        const c = await loginAs(app, admin.username, admin.password);
        return c.post(`/orgs/${theirs}/open-api/webhook-test`);
      })()
    ).json();
    const admin = await makeUser(app.ctx.database, { role: "admin", orgIds: [mine] });
    const c = await loginAs(app, admin.username, admin.password);
    // Through its own organization, another's event is not found; through the other one, the
    // admin of this one is no member.
    const other = await c.post(`/orgs/${mine}/webhook-events/${eventId}/redeliver`);
    expect(other.statusCode).toBe(404);
    expect((await c.post(`/orgs/${theirs}/webhook-events/${eventId}/redeliver`)).statusCode).toBe(404);
    const op = await makeUser(app.ctx.database, { role: "operator", orgIds: [theirs] });
    const opClient = await loginAs(app, op.username, op.password);
    expect((await opClient.post(`/orgs/${theirs}/webhook-events/${eventId}/redeliver`)).statusCode).toBe(403);
    const bad = await c.post(`/orgs/${mine}/webhook-events/${encodeURIComponent("evt x")}/redeliver`);
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.code).toBe("VALIDATION_FAILED");
  });
});
