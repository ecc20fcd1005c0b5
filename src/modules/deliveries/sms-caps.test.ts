import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { databaseKinds } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { type App, buildApp } from "../../app";
import { deliveries, smsOutbox } from "../../platform/db/schema";
import { newId } from "../../platform/ids";
import { createLogger } from "../../platform/logger";
import { drainDeliveries, sendDelivery } from "./deliveries.service";

let app: TestApp | undefined;
let second: App | undefined;
afterEach(async () => {
  await second?.close();
  await app?.close();
  app = undefined;
  second = undefined;
});

/** One invoice sent by SMS to `mobile`, then `extra` more SMS deliveries of it waiting (resends). */
async function invoiceWithWaitingSms(a: TestApp, recipients: string[]) {
  const org = await makeOrganization(a.ctx.database);
  const code = await makeReceiptCode(a.ctx, org.id);
  const res = await a.http.inject({
    method: "POST",
    url: `/api/scan/${code.token}/submit`,
    payload: {
      invoiceType: "digital_normal",
      buyer: { type: "enterprise", name: "杭州某某贸易有限公司", taxId: makeUscc("91330100") },
      mobile: recipients[0],
    },
  });
  expect(res.json().status).toBe("issued");
  await drainDeliveries(a.ctx);
  const invoiceId = res.json().invoices[0].id as string;
  const ids = recipients.slice(1).map(() => newId("dlv"));
  await a.ctx.database.db.insert(deliveries).values(
    ids.map((id, i) => ({
      id,
      invoiceId,
      channel: "sms",
      recipient: recipients[i + 1]!,
      reason: "resend",
      status: "pending",
    })),
  );
  return { invoiceId, ids };
}

const countBy = async (a: TestApp, invoiceId: string) => {
  const rows = await a.ctx.database.db.select().from(deliveries).where(eq(deliveries.invoiceId, invoiceId));
  return {
    sent: rows.filter((r) => r.status === "sent").length,
    failed: rows.filter((r) => r.status === "failed"),
  };
};

for (const kind of databaseKinds()) {
  describe(`SMS caps held by the database [${kind}]`, () => {
    it("per number per day: concurrent sends from two processes stop exactly at the cap", async () => {
      app = await createTestApp(kind, {
        startJobs: false,
        env: { PIAOMA_SMS_CAP_PER_NUMBER_DAY: "3", PIAOMA_SMS_CAP_PER_CODE: "100" },
      });
      // A second process on the same database (its own pool on PostgreSQL: real concurrency).
      second = await buildApp(app.config, {
        database: app.ctx.database,
        logger: createLogger("silent"),
        startJobs: false,
        serveWeb: false,
      });
      const { invoiceId, ids } = await invoiceWithWaitingSms(app, Array(9).fill("13500135000"));
      const contexts = [app.ctx, second.ctx];
      await Promise.all(ids.map((id, i) => sendDelivery(contexts[i % 2]!, id).catch(() => {})));
      const { sent, failed } = await countBy(app, invoiceId);
      expect(sent).toBe(3);
      expect(failed).toHaveLength(6);
      for (const f of failed) expect(f.lastError).toContain("该手机号今日短信已达上限（3 条）");
      const recorded = await app.ctx.database.db
        .select()
        .from(smsOutbox)
        .where(eq(smsOutbox.mobile, "13500135000"));
      expect(recorded).toHaveLength(3);
      // A delivery is charged once: sending a charged one again does not count it twice.
      const [charged] = await app.ctx.database.db
        .select()
        .from(deliveries)
        .where(eq(deliveries.status, "sent"))
        .limit(1);
      expect(charged?.quotaCharged).toBe(true);
    });

    it("per receipt code, whatever the numbers", async () => {
      app = await createTestApp(kind, {
        startJobs: false,
        env: { PIAOMA_SMS_CAP_PER_NUMBER_DAY: "100", PIAOMA_SMS_CAP_PER_CODE: "2" },
      });
      const numbers = ["13500135001", "13500135002", "13500135003", "13500135004", "13500135005"];
      const { invoiceId, ids } = await invoiceWithWaitingSms(app, numbers);
      await Promise.all(ids.map((id) => sendDelivery(app!.ctx, id).catch(() => {})));
      const { sent, failed } = await countBy(app, invoiceId);
      expect(sent).toBe(2);
      expect(failed).toHaveLength(3);
      for (const f of failed) expect(f.lastError).toContain("该小票码的短信已达上限（2 条）");
    });
  });
}
