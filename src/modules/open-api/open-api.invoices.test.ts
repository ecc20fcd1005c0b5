import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { databaseKinds } from "../../../test/support/db";
import { makeOrganization, makeUscc } from "../../../test/support/factories";
import {
  type AppKeys,
  type MerchantServer,
  makeCredentials,
  openRequest,
  type ReceivedRequest,
  startMerchant,
} from "../../../test/support/open-api";
import { pdfToText } from "../../../test/support/system-tools";
import { waitUntil } from "../../../test/support/wait";
import { organizations, taxBureauAccounts, webhookAttempts, webhookEvents } from "../../platform/db/schema";
import { isSignatureValid } from "../../platform/signing";
import { sendTestWebhook } from "../webhooks/webhooks.service";

const lunch = {
  name: "午餐",
  shortName: "餐饮服务",
  taxCode: "3070401000000000000",
  taxRate: "0.06",
  amount: "88.00",
};
const buyer = () => ({
  invoiceType: "digital_normal",
  buyer: { type: "enterprise", name: "上海某某科技有限公司", taxId: makeUscc("91310000") },
  email: "finance@example.com",
});

/** What a merchant does with a webhook: verify the four headers against its app secret. */
function verifiedBy(keys: AppKeys, r: ReceivedRequest): boolean {
  return (
    r.headers["x-app-key"] === keys.appKey &&
    isSignatureValid(
      keys.appSecret,
      {
        method: r.method,
        pathWithQuery: r.url,
        timestamp: String(r.headers["x-timestamp"]),
        nonce: String(r.headers["x-nonce"]),
        body: r.body,
      },
      String(r.headers["x-signature"]),
    )
  );
}

for (const kind of databaseKinds()) {
  describe(`open API invoices and webhooks [${kind}]`, () => {
    let app: TestApp;
    let keys: AppKeys;
    let orgId: string;
    let merchant: MerchantServer;
    /** How the merchant's webhook receiver answers request number i. */
    let answer: (i: number) => number = () => 200;
    beforeAll(async () => {
      merchant = await startMerchant((_r, res, i) => {
        res.statusCode = answer(i);
        res.end("ok");
      });
      app = await createTestApp(kind, {
        env: { PIAOMA_ALLOW_PRIVATE_URLS: "true" },
        tuning: { webhookRetryFactor: 0.01 },
      });
      orgId = (await makeOrganization(app.ctx.database)).id;
      keys = await makeCredentials(app, orgId);
      await app.ctx.database.db
        .update(organizations)
        .set({ webhookUrl: `${merchant.url}/hooks/piaoma?v=1` })
        .where(eq(organizations.id, orgId));
    });
    afterEach(() => {
      answer = () => 200;
    });
    afterAll(async () => {
      await app?.close();
      await merchant?.close();
    });

    const pushAndInvoice = async (orderNo: string) => {
      const body = { orderNo, drawer: "张三", lines: [lunch] };
      const code = (
        await openRequest(app, keys, { method: "POST", url: "/open/v1/receipt-codes", body })
      ).json();
      const submitted = await app.http.inject({
        method: "POST",
        url: `/api/scan/${code.token}/submit`,
        headers: { "content-type": "application/json" },
        payload: JSON.stringify(buyer()),
      });
      expect(submitted.json().status).toBe("issued");
      return submitted.json().invoices[0].id as string;
    };
    const hooksFor = (invoiceId: string, type: string) =>
      merchant.received.filter((r) => {
        const e = JSON.parse(r.body);
        return e.type === type && e.data.id === invoiceId;
      });

    it("push → scan → issue → a signed invoice.issued webhook; GET gives the invoice with working file links", async () => {
      const invoiceId = await pushAndInvoice("INV-1");
      const hook = await waitUntil(
        () => hooksFor(invoiceId, "invoice.issued")[0],
        "the invoice.issued webhook",
      );
      expect(hook.url).toBe("/hooks/piaoma?v=1");
      expect(verifiedBy(keys, hook)).toBe(true);
      const event = JSON.parse(hook.body);
      expect(event.id).toMatch(/^evt_/);
      expect(event.data).toMatchObject({
        orderNo: "INV-1",
        status: "issued",
        totals: { totalAmount: "88.00" },
      });
      expect(event.data.pdfUrl).toContain("/files/invoices/");

      const list = await openRequest(app, keys, { method: "GET", url: "/open/v1/invoices?orderNo=INV-1" });
      expect(list.json().invoices.map((i: { id: string }) => i.id)).toEqual([invoiceId]);
      const one = (
        await openRequest(app, keys, { method: "GET", url: `/open/v1/invoices/${invoiceId}` })
      ).json();
      expect(one).toMatchObject({
        id: invoiceId,
        orderNo: "INV-1",
        type: "digital_normal",
        status: "issued",
        number: expect.stringMatching(/^\d{20}$/),
        buyer: { name: "上海某某科技有限公司" },
        lines: [{ itemName: "*餐饮服务*午餐", amountIncludingTax: "88.00", taxRateLabel: "6%" }],
        red: null,
      });
      const pdf = await app.http.inject({ method: "GET", url: one.pdfUrl.replace(app.config.publicUrl, "") });
      expect(pdf.statusCode).toBe(200);
      expect(await pdfToText(pdf.rawPayload)).toContain(one.number);
      const xml = await app.http.inject({ method: "GET", url: one.xmlUrl.replace(app.config.publicUrl, "") });
      expect(xml.body).toContain(`<InvoiceNumber>${one.number}</InvoiceNumber>`);
      // A forged or altered link is refused.
      const forged = one.pdfUrl.replace(app.config.publicUrl, "").replace(/e=\d+/, "e=9999999999");
      expect((await app.http.inject({ method: "GET", url: forged })).statusCode).toBe(404);
    });

    it("a receiver that fails twice gets the event on the third attempt, each attempt recorded", async () => {
      const before = merchant.received.length;
      answer = (i) => (i < before + 2 ? 503 : 200);
      const invoiceId = await pushAndInvoice("INV-2");
      await waitUntil(() => hooksFor(invoiceId, "invoice.issued").length >= 3, "three attempts", 30_000);
      const [event] = await app.ctx.database.db
        .select()
        .from(webhookEvents)
        .where(eq(webhookEvents.invoiceId, invoiceId));
      await waitUntil(async () => {
        const [e] = await app.ctx.database.db
          .select()
          .from(webhookEvents)
          .where(eq(webhookEvents.id, event!.id));
        return e?.status === "delivered";
      }, "the event delivered");
      const attempts = await app.ctx.database.db
        .select()
        .from(webhookAttempts)
        .where(eq(webhookAttempts.eventId, event!.id))
        .orderBy(webhookAttempts.attempt);
      expect(attempts.map((a) => [a.attempt, a.statusCode])).toEqual([
        [1, 503],
        [2, 503],
        [3, 200],
      ]);
      const hooks = hooksFor(invoiceId, "invoice.issued");
      expect(new Set(hooks.map((h) => JSON.parse(h.body).id)).size).toBe(1);
      expect(hooks.every((h) => verifiedBy(keys, h))).toBe(true);
    });

    it("reverses an issued invoice: a red invoice, the blue one reversed, an invoice.reversed webhook", async () => {
      const invoiceId = await pushAndInvoice("INV-3");
      const url = `/open/v1/invoices/${invoiceId}/reverse`;
      const bad = await openRequest(app, keys, { method: "POST", url, body: { reason: "不想要了" } });
      expect([bad.statusCode, bad.json().error.details.fields.reason]).toEqual([422, expect.any(String)]);

      const res = await openRequest(app, keys, { method: "POST", url, body: { reason: "销货退回" } });
      expect(res.statusCode).toBe(201);
      const red = res.json();
      expect(red).toMatchObject({
        color: "red",
        status: "issued",
        blueInvoiceId: invoiceId,
        totals: { totalAmount: "-88.00" },
        number: expect.stringMatching(/^\d{20}$/),
      });
      const again = await openRequest(app, keys, { method: "POST", url, body: { reason: "销货退回" } });
      expect([again.statusCode, again.json().id]).toEqual([200, red.id]);

      const blue = (
        await openRequest(app, keys, { method: "GET", url: `/open/v1/invoices/${invoiceId}` })
      ).json();
      expect(blue).toMatchObject({
        status: "reversed",
        red: { id: red.id, number: red.number, reason: "销货退回" },
      });
      const hook = await waitUntil(
        () => hooksFor(invoiceId, "invoice.reversed")[0],
        "the invoice.reversed webhook",
      );
      expect(verifiedBy(keys, hook)).toBe(true);
      expect(JSON.parse(hook.body).data).toMatchObject({ status: "reversed", red: { id: red.id } });

      const redPdf = await app.http.inject({
        method: "GET",
        url: red.pdfUrl.replace(app.config.publicUrl, ""),
      });
      const text = await pdfToText(redPdf.rawPayload);
      expect(text).toContain(blue.number);
      const redTwice = await openRequest(app, keys, {
        method: "POST",
        url: `/open/v1/invoices/${red.id}/reverse`,
        body: { reason: "开票有误" },
      });
      expect(redTwice.statusCode).toBe(409);
    });

    it("sends invoice.failed when the channel refuses the invoice", async () => {
      await app.ctx.database.db
        .update(taxBureauAccounts)
        .set({ settings: { mode: "reject", message: "税局拒绝（测试）" } })
        .where(eq(taxBureauAccounts.orgId, orgId));
      try {
        const body = { orderNo: "INV-F", drawer: "张三", lines: [lunch] };
        const code = (
          await openRequest(app, keys, { method: "POST", url: "/open/v1/receipt-codes", body })
        ).json();
        const submitted = await app.http.inject({
          method: "POST",
          url: `/api/scan/${code.token}/submit`,
          headers: { "content-type": "application/json" },
          payload: JSON.stringify(buyer()),
        });
        const invoiceId = submitted.json().invoices[0].id;
        const hook = await waitUntil(
          () => hooksFor(invoiceId, "invoice.failed")[0],
          "the invoice.failed webhook",
        );
        expect(verifiedBy(keys, hook)).toBe(true);
        expect(JSON.parse(hook.body).data).toMatchObject({
          status: "failed",
          failure: { message: "税局拒绝（测试）" },
          pdfUrl: null,
        });
      } finally {
        await app.ctx.database.db
          .update(taxBureauAccounts)
          .set({ settings: {} })
          .where(eq(taxBureauAccounts.orgId, orgId));
      }
    });

    it("answers INVOICE_NOT_FOUND for another organization's invoice", async () => {
      const invoiceId = await pushAndInvoice("INV-4");
      const otherOrg = await makeOrganization(app.ctx.database);
      const other = await makeCredentials(app, otherOrg.id);
      const res = await openRequest(app, other, { method: "GET", url: `/open/v1/invoices/${invoiceId}` });
      expect([res.statusCode, res.json().error.code]).toEqual([404, "INVOICE_NOT_FOUND"]);
      const rev = await openRequest(app, other, {
        method: "POST",
        url: `/open/v1/invoices/${invoiceId}/reverse`,
        body: { reason: "销货退回" },
      });
      expect(rev.statusCode).toBe(404);
    });
  });
}

describe("webhooks to private addresses", () => {
  let app: TestApp | undefined;
  let merchant: MerchantServer | undefined;
  afterAll(async () => {
    await app?.close();
    await merchant?.close();
  });

  it("are refused unless allowed in config, and the refusal is recorded as an attempt", async () => {
    merchant = await startMerchant((_r, res) => {
      res.end("ok");
    });
    app = await createTestApp("pglite", {
      env: { PIAOMA_ALLOW_PRIVATE_URLS: "false" },
    });
    const orgId = (await makeOrganization(app.ctx.database)).id;
    await makeCredentials(app, orgId);
    await app.ctx.database.db
      .update(organizations)
      .set({ webhookUrl: `${merchant.url}/hooks` })
      .where(eq(organizations.id, orgId));
    const eventId = await sendTestWebhook(app.ctx, orgId);
    const attempt = await waitUntil(async () => {
      const rows = await app!.ctx.database.db
        .select()
        .from(webhookAttempts)
        .where(eq(webhookAttempts.eventId, eventId));
      return rows[0];
    }, "the attempt");
    expect(attempt).toMatchObject({ statusCode: null, error: expect.stringContaining("内网") });
    const [event] = await app.ctx.database.db
      .select()
      .from(webhookEvents)
      .where(eq(webhookEvents.id, eventId));
    // Still pending: fixing the URL (or the setting) lets a later attempt of the ladder through.
    expect(event).toMatchObject({ status: "pending", nextAttemptAt: expect.any(Date) });
    expect(merchant.received).toHaveLength(0);
  });
});
