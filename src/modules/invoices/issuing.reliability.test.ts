import net from "node:net";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { databaseKinds, describePostgres } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { startSmtp, type TestSmtp } from "../../../test/support/smtp";
import { waitUntil } from "../../../test/support/wait";
import {
  deliveries,
  invoiceNumberSequences,
  invoices,
  organizations,
  smsOutbox,
  submissions,
  taxBureauAccounts,
} from "../../platform/db/schema";
import type { ChannelAdapter } from "./channels/channel";
import { createSandboxChannel } from "./channels/sandbox";
import { findInvoiceLines } from "./invoices.repository";
import { issueInvoice, issueRequestOf } from "./issuing.attempt";

const json = { "content-type": "application/json" };
const buyer = () => ({
  invoiceType: "digital_normal",
  buyer: { type: "enterprise", name: "杭州某某贸易有限公司", taxId: makeUscc("91330100") },
  email: "buyer@example.com",
  mobile: "13800138000",
});

let app: TestApp | undefined;
let smtp: TestSmtp | undefined;
afterEach(async () => {
  await app?.close();
  await smtp?.close();
  app = undefined;
  smtp = undefined;
});

async function setChannel(a: TestApp, orgId: string, settings: object) {
  await a.ctx.database.db
    .update(taxBureauAccounts)
    .set({ settings })
    .where(eq(taxBureauAccounts.orgId, orgId));
}

async function view(a: TestApp, token: string) {
  return (await a.http.inject({ method: "GET", url: `/api/scan/${token}` })).json();
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

for (const kind of databaseKinds()) {
  describe(`issuing and delivery [${kind}]`, () => {
    it("e-mails the invoice with its PDF and XML through SMTP and texts the link", async () => {
      smtp = await startSmtp();
      app = await createTestApp(kind, { env: { SMTP_URL: smtp.url } });
      const org = await makeOrganization(app.ctx.database);
      const code = await makeReceiptCode(app.ctx, org.id);
      const res = await app.http.inject({
        method: "POST",
        url: `/api/scan/${code.token}/submit`,
        headers: json,
        payload: buyer(),
      });
      const number = res.json().invoices[0].number as string;

      const [mail] = await smtp.waitFor(1);
      expect(mail?.to).toEqual(["buyer@example.com"]);
      expect(mail?.subject).toContain(number);
      expect(mail?.attachments.map((a) => a.filename).sort()).toEqual([`${number}.pdf`, `${number}.xml`]);
      expect(
        mail?.attachments
          .find((a) => a.filename.endsWith(".pdf"))
          ?.content.subarray(0, 5)
          .toString(),
      ).toBe("%PDF-");
      expect(mail?.attachments.find((a) => a.filename.endsWith(".xml"))?.content.toString()).toContain(
        number,
      );

      const sms = await waitUntil(
        async () =>
          (await app!.ctx.database.db.select().from(smsOutbox).where(eq(smsOutbox.mobile, "13800138000")))[0],
        "the SMS",
      );
      expect(sms.text).toContain(`/s/${code.token}`);
      await waitUntil(async () => {
        const rows = await app!.ctx.database.db.select().from(deliveries);
        return rows.length === 2 && rows.every((d) => d.status === "sent");
      }, "both deliveries sent");
    });

    it("keeps a delivery while SMTP is down and sends it when SMTP is back", async () => {
      const port = await freePort();
      app = await createTestApp(kind, { env: { SMTP_URL: `smtp://127.0.0.1:${port}` } });
      const org = await makeOrganization(app.ctx.database);
      const code = await makeReceiptCode(app.ctx, org.id);
      const body = { ...buyer(), mobile: undefined };
      expect(
        (
          await app.http.inject({
            method: "POST",
            url: `/api/scan/${code.token}/submit`,
            headers: json,
            payload: body,
          })
        ).statusCode,
      ).toBe(202);
      const failed = await waitUntil(async () => {
        const [d] = await app!.ctx.database.db.select().from(deliveries);
        return d && d.attempts >= 1 && d.status === "pending" && d.lastError ? d : undefined;
      }, "a failed first attempt");
      expect(failed.lastError).toMatch(/ECONNREFUSED|connect/i);

      smtp = await startSmtp(port);
      const [mail] = await smtp.waitFor(1, 30_000);
      expect(mail?.to).toEqual(["buyer@example.com"]);
      await waitUntil(
        async () => (await app!.ctx.database.db.select().from(deliveries))[0]?.status === "sent",
        "sent",
      );
    });

    it("accepts a submit while the channel is offline and issues once it is back", async () => {
      app = await createTestApp(kind);
      const org = await makeOrganization(app.ctx.database);
      await setChannel(app, org.id, { mode: "offline" });
      const code = await makeReceiptCode(app.ctx, org.id);
      const res = await app.http.inject({
        method: "POST",
        url: `/api/scan/${code.token}/submit`,
        headers: json,
        payload: buyer(),
      });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({
        status: "issuing",
        invoices: [{ status: "issuing", number: null }],
      });
      // What the consumer typed is stored, whatever happens next.
      const [sub] = await app.ctx.database.db.select().from(submissions);
      expect(sub?.buyerName).toBe("杭州某某贸易有限公司");

      await setChannel(app, org.id, {});
      const done = await waitUntil(async () => {
        const v = await view(app!, code.token);
        return v.status === "invoiced" ? v : undefined;
      }, "the invoice after the channel came back");
      expect(done.invoices[0].number).toMatch(/^\d{20}$/);
    });

    it("finishes with the first number when a process died between the channel's answer and saving it", async () => {
      // A sandbox that counts what it is asked: a retry must query the serial, never issue again.
      const calls: string[] = [];
      let inner: ChannelAdapter | undefined;
      const counting: ChannelAdapter = {
        id: "sandbox",
        issue: (r) => {
          calls.push("issue");
          return inner!.issue(r);
        },
        query: (serial, settings) => {
          calls.push("query");
          return inner!.query(serial, settings);
        },
      };
      app = await createTestApp(kind, {
        tuning: { issueBackstopSeconds: 3600 },
        providers: { channels: new Map([["sandbox", counting]]) },
      });
      inner = createSandboxChannel(app.ctx.database);
      const org = await makeOrganization(app.ctx.database);
      await setChannel(app, org.id, { mode: "offline" });
      const code = await makeReceiptCode(app.ctx, org.id);
      await app.http.inject({
        method: "POST",
        url: `/api/scan/${code.token}/submit`,
        headers: json,
        payload: buyer(),
      });
      const [pending] = await app.ctx.database.db.select().from(invoices);
      expect(pending?.status).toBe("issuing");

      // The lost attempt after the channel is back: the channel issued this serial, and the
      // process died before saving the answer.
      await setChannel(app, org.id, {});
      const [orgRow] = await app.ctx.database.db
        .select()
        .from(organizations)
        .where(eq(organizations.id, org.id));
      const lines = await findInvoiceLines(app.ctx.database.db, pending!.id);
      const lost = await inner.issue(issueRequestOf(pending!, orgRow!, lines, {}));
      expect(lost.status).toBe("issued");
      calls.length = 0;

      // The restarted process retries: it must ask for the serial, not issue a second number.
      expect(await issueInvoice(app.ctx, pending!.id)).toBe("issued");
      const [saved] = await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, pending!.id));
      expect(saved?.number).toBe(lost.status === "issued" ? lost.number : "");
      const [seq] = await app.ctx.database.db.select().from(invoiceNumberSequences);
      expect(seq?.lastValue).toBe(1n);
      expect(saved?.attempts).toBe(2);
      expect(calls).toEqual(["query"]);
    });
  });
}

describePostgres("one set of invoices per receipt code under concurrency [postgres]", () => {
  it("20 concurrent submits for one code issue exactly one invoice", async () => {
    app = await createTestApp("postgres");
    const org = await makeOrganization(app.ctx.database);
    for (let round = 0; round < 3; round++) {
      const code = await makeReceiptCode(app.ctx, org.id);
      const buyers = Array.from({ length: 20 }, (_, i) => ({
        ...buyer(),
        buyer: { type: "enterprise", name: i % 2 ? "甲公司" : "乙公司", taxId: makeUscc() },
      }));
      const results = await Promise.all(
        buyers.map((b) =>
          app!.http.inject({
            method: "POST",
            url: `/api/scan/${code.token}/submit`,
            headers: json,
            payload: b,
          }),
        ),
      );
      const statuses = results.map((r) => r.statusCode);
      expect(statuses.filter((s) => s === 202)).toHaveLength(1);
      expect(statuses.every((s) => s === 202 || s === 200 || s === 409)).toBe(true);
      const rows = await app.ctx.database.db
        .select()
        .from(invoices)
        .where(eq(invoices.receiptCodeId, code.id));
      expect(rows).toHaveLength(1);
    }
    const numbers = (await app.ctx.database.db.select({ n: invoices.number }).from(invoices)).map((r) => r.n);
    expect(new Set(numbers).size).toBe(3);
  });
});

describe("a slow channel", () => {
  it("answers the submit after the wait cap with issuing, and the invoice is issued in the background", async () => {
    app = await createTestApp("pglite", { tuning: { submitWaitSeconds: 0.3, issueBackstopSeconds: 3600 } });
    const org = await makeOrganization(app.ctx.database);
    await setChannel(app, org.id, { delayMs: 1500 });
    const code = await makeReceiptCode(app.ctx, org.id);
    const res = await app.http.inject({
      method: "POST",
      url: `/api/scan/${code.token}/submit`,
      headers: json,
      payload: buyer(),
    });
    expect(res.statusCode).toBe(202);
    expect(res.json().status).toBe("issuing");
    await waitUntil(
      async () => (await view(app!, code.token)).status === "invoiced",
      "the background issue",
      60_000,
    );
  }, 90_000);
});
