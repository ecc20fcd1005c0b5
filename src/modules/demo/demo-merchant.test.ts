import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { makeUscc } from "../../../test/support/factories";
import { waitUntil } from "../../../test/support/wait";
import { systemActor } from "../../context";
import { organizations } from "../../platform/db/schema";
import { revokeCredentials, rotateCredentials } from "../credentials/credentials.service";
import { sendTestWebhook } from "../webhooks/webhooks.service";
import { seedDemo } from "./demo.seed";
import { type DemoMerchant, startDemoMerchant } from "./demo-merchant";

describe("demo merchant with the demo organization", () => {
  let app: TestApp;
  let merchant: DemoMerchant;
  let demo: Awaited<ReturnType<typeof seedDemo>>;
  const logged: string[] = [];
  beforeAll(async () => {
    app = await createTestApp("pglite", {
      env: { PIAOMA_ALLOW_PRIVATE_URLS: "true" },
      tuning: { webhookRetryFactor: 0.01 },
    });
    const baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
    app.config.publicUrl = baseUrl;
    demo = await seedDemo(app.ctx, { onlyIfEmpty: false });
    // Seeding again prints the same credentials: the demo secret can be shown on every start.
    const again = await seedDemo(app.ctx, { onlyIfEmpty: false });
    expect(again).toMatchObject({ appKey: demo!.appKey, appSecret: demo!.appSecret });
    merchant = await startDemoMerchant({
      appKey: demo!.appKey,
      appSecret: demo!.appSecret,
      piaomaUrl: baseUrl,
      port: 0,
      log: (line) => logged.push(line),
    });
    // The seed points at the default port; this test's merchant listens elsewhere.
    await app.ctx.database.db
      .update(organizations)
      .set({ orderQueryUrl: `${merchant.url}/order-query`, webhookUrl: `${merchant.url}/webhooks` })
      .where(eq(organizations.id, demo!.orgId));
  });
  afterAll(async () => {
    await merchant?.close();
    await app?.close();
  });

  it("hands out a signed link that Piaoma turns into a code, issues, and reports by webhook", async () => {
    const { orderNo, link } = merchant.newLink();
    const opened = await fetch(link, { redirect: "manual" });
    expect(opened.status).toBe(302);
    const token = opened.headers.get("location")!.replace("/s/", "");
    expect(logged).toContain(`[demo-merchant] 3.1.02 order query ${orderNo}: found`);

    const submit = await app.http.inject({
      method: "POST",
      url: `/api/scan/${token}/submit`,
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({
        invoiceType: "digital_normal",
        buyer: { type: "enterprise", name: "演示买方有限公司", taxId: makeUscc() },
        email: "demo@example.com",
      }),
    });
    const invoice = submit.json().invoices[0];
    expect(invoice.totals.totalAmount).toBe("524.00");
    await waitUntil(
      () => logged.some((l) => l.startsWith(`[demo-merchant] webhook invoice.issued ${invoice.number}`)),
      "the webhook at the demo merchant",
    );
    expect(logged.filter((l) => l.includes("refused"))).toEqual([]);
  });

  it("still verifies webhooks with its key after a rotation keeps that key, not after it is revoked", async () => {
    const actor = systemActor("test");
    const orgId = demo!.orgId;
    const rotated = await rotateCredentials(app.ctx, { actor, orgId, appKey: demo!.appKey });
    const delivered = async () => {
      const eventId = await sendTestWebhook(app.ctx, orgId);
      return waitUntil(
        () => logged.find((l) => l.includes(eventId)) ?? false,
        `the demo merchant's answer to ${eventId}`,
      );
    };
    // X-App-Key now names the new key; the demo, holding the old one, finds it in X-Signatures.
    expect(await delivered()).toMatch(/^\[demo-merchant\] webhook webhook\.test/);
    expect(logged.filter((l) => l.includes("refused"))).toEqual([]);
    await revokeCredentials(app.ctx, { actor, orgId, appKey: demo!.appKey });
    const refusedBefore = logged.filter((l) => l.includes("refused")).length;
    await sendTestWebhook(app.ctx, orgId);
    await waitUntil(
      () => logged.filter((l) => l.includes("refused")).length > refusedBefore,
      "the demo merchant refusing a webhook signed only with the new key",
    );
    expect(rotated.appKey).not.toBe(demo!.appKey);
  });

  it("refuses requests that are not signed by Piaoma", async () => {
    const res = await fetch(`${merchant.url}/order-query`, { method: "POST", body: "{}" });
    expect(res.status).toBe(401);
  });
});
