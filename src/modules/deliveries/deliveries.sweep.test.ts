import { eq, sql } from "drizzle-orm";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { databaseKinds } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { waitUntil } from "../../../test/support/wait";
import { deliveries } from "../../platform/db/schema";
import { Sweeper } from "../../platform/sweeper";
import type { FileStore } from "../files/file-store";
import { DELIVERY_RETRY_LIMIT, DELIVERY_SWEEP, deliverySweep, drainDeliveries } from "./deliveries.service";
import type { Mailer, MailMessage } from "./mailer";

/** An SMTP stand-in that can be switched off; it keeps what it was given. */
function switchableMailer() {
  const sent: MailMessage[] = [];
  const mailer: Mailer & { down: boolean; sent: MailMessage[] } = {
    kind: "smtp",
    down: false,
    sent,
    async send(message) {
      if (mailer.down) throw new Error("connect ECONNREFUSED 127.0.0.1:25");
      sent.push(message);
      return undefined;
    },
    close() {},
  };
  return mailer;
}

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function submit(a: TestApp, orgId: string) {
  const code = await makeReceiptCode(a.ctx, orgId);
  const res = await a.http.inject({
    method: "POST",
    url: `/api/scan/${code.token}/submit`,
    headers: { "content-type": "application/json" },
    payload: {
      invoiceType: "digital_normal",
      buyer: { type: "enterprise", name: "杭州某某贸易有限公司", taxId: makeUscc("91330100") },
      email: "buyer@example.com",
    },
  });
  expect(res.json().status).toBe("issued");
  return res.json().invoices[0] as { id: string; number: string };
}

const deliveryOf = async (a: TestApp, invoiceId: string) =>
  (await a.ctx.database.db.select().from(deliveries).where(eq(deliveries.invoiceId, invoiceId)))[0]!;

const makeDue = (a: TestApp, id: string) =>
  a.ctx.database.db
    .update(deliveries)
    .set({ nextAttemptAt: sql`now() - interval '1 second'` })
    .where(eq(deliveries.id, id));

for (const kind of databaseKinds()) {
  describe(`deliveries: first try in-process, then the sweep [${kind}]`, () => {
    it("e-mails right after issuing with the files just rendered, without reading them back", async () => {
      const mailer = switchableMailer();
      let reads = 0;
      app = await createTestApp(kind, { startJobs: false, providers: { mailer } });
      const files = app.ctx.providers.files;
      const counting: FileStore = {
        ...files,
        get: (...args) => {
          reads++;
          return files.get(...args);
        },
      };
      app.ctx.providers.files = counting;
      const org = await makeOrganization(app.ctx.database);
      const invoice = await submit(app, org.id);
      await drainDeliveries(app.ctx);
      expect(mailer.sent.map((m) => m.subject)).toEqual([expect.stringContaining(invoice.number)]);
      expect(mailer.sent[0]?.attachments.map((a) => a.filename)).toEqual([
        `${invoice.number}.pdf`,
        `${invoice.number}.xml`,
      ]);
      expect(reads).toBe(0);
      const delivery = await deliveryOf(app, invoice.id);
      expect(delivery).toMatchObject({ status: "sent", attempts: 1, nextAttemptAt: null });
    });

    it("retries a failed send when due, with exponential backoff, and gives up after the limit", async () => {
      const mailer = switchableMailer();
      app = await createTestApp(kind, {
        startJobs: false,
        providers: { mailer },
        tuning: { deliveryRetrySeconds: 60 },
      });
      const sweeper = new Sweeper(pino({ level: "silent" }));
      sweeper.define(deliverySweep(app.ctx));
      const org = await makeOrganization(app.ctx.database);
      mailer.down = true;
      const invoice = await submit(app, org.id);
      await drainDeliveries(app.ctx);

      const first = await deliveryOf(app, invoice.id);
      expect(first).toMatchObject({ status: "pending", attempts: 1 });
      expect(first.lastError).toContain("ECONNREFUSED");
      // First retry one deliveryRetrySeconds later; not before.
      const delay1 = first.nextAttemptAt!.getTime() - first.updatedAt.getTime();
      expect(delay1).toBeGreaterThanOrEqual(59_000);
      expect(delay1).toBeLessThanOrEqual(61_000);
      expect(await sweeper.sweepOnce(DELIVERY_SWEEP)).toBe(0);

      // Due, still down: tried again, and the next try twice as far away.
      await makeDue(app, first.id);
      expect(await sweeper.sweepOnce(DELIVERY_SWEEP)).toBe(1);
      const second = await deliveryOf(app, invoice.id);
      expect(second).toMatchObject({ status: "pending", attempts: 2 });
      const delay2 = second.nextAttemptAt!.getTime() - second.updatedAt.getTime();
      expect(delay2).toBeGreaterThanOrEqual(119_000);
      expect(delay2).toBeLessThanOrEqual(121_000);

      // Back up: the due delivery is sent by the sweep.
      mailer.down = false;
      await makeDue(app, first.id);
      expect(await sweeper.sweepOnce(DELIVERY_SWEEP)).toBe(1);
      expect(await deliveryOf(app, invoice.id)).toMatchObject({ status: "sent", attempts: 3 });
      expect(mailer.sent).toHaveLength(1);

      // A delivery that has used up its retries is marked failed and left alone.
      const other = await submit(app, org.id);
      const pending = await deliveryOf(app, other.id);
      await drainDeliveries(app.ctx);
      mailer.down = true;
      await app.ctx.database.db
        .update(deliveries)
        .set({
          status: "pending",
          attempts: DELIVERY_RETRY_LIMIT,
          nextAttemptAt: sql`now() - interval '1 second'`,
        })
        .where(eq(deliveries.id, pending.id));
      expect(await sweeper.sweepOnce(DELIVERY_SWEEP)).toBe(1);
      expect(await deliveryOf(app, other.id)).toMatchObject({
        status: "failed",
        attempts: DELIVERY_RETRY_LIMIT + 1,
        nextAttemptAt: null,
      });
      await app.ctx.database.db
        .update(deliveries)
        .set({ nextAttemptAt: sql`now() - interval '1 second'` })
        .where(eq(deliveries.id, pending.id));
      expect(await sweeper.sweepOnce(DELIVERY_SWEEP)).toBe(0);
    });

    it("the running app's sweep sends what the first try could not", async () => {
      const mailer = switchableMailer();
      app = await createTestApp(kind, { providers: { mailer }, tuning: { deliveryRetrySeconds: 0.5 } });
      const org = await makeOrganization(app.ctx.database);
      mailer.down = true;
      const invoice = await submit(app, org.id);
      await waitUntil(
        async () => (await deliveryOf(app!, invoice.id)).attempts >= 1,
        "the first try to fail",
      );
      mailer.down = false;
      await waitUntil(
        async () => (await deliveryOf(app!, invoice.id)).status === "sent",
        "the sweep to send it",
      );
      expect(mailer.sent).toHaveLength(1);
    });
  });
}
