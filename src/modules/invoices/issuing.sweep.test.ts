import { eq, inArray, sql } from "drizzle-orm";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { databaseKinds, describePostgres } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { invoices, receiptCodes, taxBureauAccounts } from "../../platform/db/schema";
import { Sweeper } from "../../platform/sweeper";
import { ISSUE_SWEEP, issueSweep } from "./issuing.sweep";

const json = { "content-type": "application/json" };
const buyer = () => ({
  invoiceType: "digital_normal",
  buyer: { type: "enterprise", name: "杭州某某贸易有限公司", taxId: makeUscc("91330100") },
  email: "buyer@example.com",
});

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function setChannel(a: TestApp, orgId: string, settings: object) {
  await a.ctx.database.db
    .update(taxBureauAccounts)
    .set({ settings })
    .where(eq(taxBureauAccounts.orgId, orgId));
}

/** Submits for a fresh code while the channel is offline: the invoice stays unfinished. */
async function unfinishedInvoice(a: TestApp, orgId: string) {
  const code = await makeReceiptCode(a.ctx, orgId);
  const res = await a.http.inject({
    method: "POST",
    url: `/api/scan/${code.token}/submit`,
    headers: json,
    payload: buyer(),
  });
  expect(res.statusCode).toBe(202);
  const [row] = await a.ctx.database.db.select().from(invoices).where(eq(invoices.receiptCodeId, code.id));
  return row!;
}

const makeDue = (a: TestApp, ids: string[]) =>
  a.ctx.database.db
    .update(invoices)
    .set({ nextAttemptAt: sql`now() - interval '1 second'` })
    .where(inArray(invoices.id, ids));

for (const kind of databaseKinds()) {
  describe(`issuing sweep [${kind}]`, () => {
    it("leaves an unfinished invoice alone until it is due, then issues it and lets go of it", async () => {
      // No background work in this app: the test sweeps by hand.
      app = await createTestApp(kind, { startJobs: false, tuning: { issueRetrySeconds: 30 } });
      const org = await makeOrganization(app.ctx.database);
      await setChannel(app, org.id, { mode: "offline" });
      const before = Date.now();
      const pending = await unfinishedInvoice(app, org.id);
      expect(pending.status).toBe("issuing");
      expect(pending.attempts).toBe(1);
      // Due after the backstop delay, not at once: the in-process attempt had its chance.
      const backstop = app.ctx.config.tuning.issueBackstopSeconds * 1000;
      expect(pending.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(before + backstop - 1000);

      const sweeper = new Sweeper(pino({ level: "silent" }));
      sweeper.define(issueSweep(app.ctx));
      expect(await sweeper.sweepOnce(ISSUE_SWEEP)).toBe(0);

      // Due while the channel is still down: claimed, tried (the serial is asked for first, as an
      // earlier attempt may have reached the channel), and leased for issueRetrySeconds.
      await makeDue(app, [pending.id]);
      expect(await sweeper.sweepOnce(ISSUE_SWEEP)).toBe(1);
      const [leased] = await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, pending.id));
      expect(leased?.status).toBe("issuing");
      expect(leased?.attempts).toBe(2);
      const retry = app.ctx.config.tuning.issueRetrySeconds * 1000;
      expect(leased!.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now() + retry - 1000);
      expect(await sweeper.sweepOnce(ISSUE_SWEEP)).toBe(0);

      await setChannel(app, org.id, {});
      await makeDue(app, [pending.id]);
      expect(await sweeper.sweepOnce(ISSUE_SWEEP)).toBe(1);
      const [issued] = await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, pending.id));
      expect(issued?.status).toBe("issued");
      expect(issued?.number).toMatch(/^\d{20}$/);
      const [code] = await app.ctx.database.db
        .select()
        .from(receiptCodes)
        .where(eq(receiptCodes.id, pending.receiptCodeId));
      expect(code?.status).toBe("invoiced");
      // Issued invoices are no longer the sweep's business, whatever their due time.
      await makeDue(app, [pending.id]);
      expect(await sweeper.sweepOnce(ISSUE_SWEEP)).toBe(0);
    });
  });
}

describePostgres("issuing sweep with several processes [postgres]", () => {
  it("two sweeps claiming at once never take the same invoice", async () => {
    app = await createTestApp("postgres", { startJobs: false });
    const org = await makeOrganization(app.ctx.database);
    await setChannel(app, org.id, { mode: "offline" });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await unfinishedInvoice(app, org.id)).id);
    await makeDue(app, ids);

    const sweep = issueSweep(app.ctx);
    const claims = await Promise.all([sweep.claim(5), sweep.claim(5), sweep.claim(5), sweep.claim(5)]);
    const claimed = claims.flat();
    expect(claims.every((c) => c.length <= 5)).toBe(true);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect([...claimed].sort()).toEqual([...ids].sort());
    // Leased: nothing is due any more.
    expect(await sweep.claim(5)).toEqual([]);
  });
});
