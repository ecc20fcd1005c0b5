import { eq, sql } from "drizzle-orm";
import pino from "pino";
import { afterEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../../../test/support/app";
import { describeEachDatabase } from "../../../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../../../test/support/factories";
import { invoices, taxBureauAccounts } from "../../../../platform/db/schema";
import { Sweeper } from "../../../../platform/sweeper";
import { createNuonuoStandin, DEFAULT_APP } from "../../../../standins/nuonuo/nuonuo-standin";
import { type RunningStandin, standinControl } from "../../../../standins/server";
import { ISSUE_SWEEP, issueSweep } from "../../issuing.sweep";
import { prepareSettings } from "../channel-registry";
import { nuonuoOrderNo } from "./nuonuo.channel";

let app: TestApp | undefined;
let standin: RunningStandin | undefined;
afterEach(async () => {
  await app?.close();
  await standin?.close();
  app = undefined;
  standin = undefined;
});

// Phase 1: the issuing path of today, through the bridge (pending → "try again later"): a consumer's
// invoice is issued through the 诺诺 stand-in, once, under its fixed order number.
describeEachDatabase("issuing through the 诺诺 stand-in", (kind) => {
  it("submit → 开票中 (202 issuing) → the sweep asks for the order → issued with 诺诺's number", async () => {
    app = await createTestApp(kind, { startJobs: false, env: { PIAOMA_ALLOW_PRIVATE_URLS: "true" } });
    standin = await createNuonuoStandin().start();
    const org = await makeOrganization(app.ctx.database);
    const settings = prepareSettings(
      "nuonuo",
      {
        apiUrl: `${standin.url}/open/v1/services`,
        tokenUrl: `${standin.url}/accessToken`,
        appKey: DEFAULT_APP.appKey,
        appSecret: DEFAULT_APP.appSecret,
        clerk: "王五",
      },
      { keyring: app.ctx.keyring, allowPrivateUrls: true },
    );
    await app.ctx.database.db
      .update(taxBureauAccounts)
      .set({ channel: "nuonuo", settings })
      .where(eq(taxBureauAccounts.orgId, org.id));

    const code = await makeReceiptCode(app.ctx, org.id);
    const res = await app.http.inject({
      method: "POST",
      url: `/api/scan/${code.token}/submit`,
      headers: { "content-type": "application/json" },
      payload: {
        invoiceType: "digital_normal",
        buyer: { type: "enterprise", name: "杭州某某贸易有限公司", taxId: makeUscc("91330100") },
        email: "buyer@example.com",
      },
    });
    expect(res.statusCode, res.body).toBe(202);
    const [waiting] = await app.ctx.database.db
      .select()
      .from(invoices)
      .where(eq(invoices.receiptCodeId, code.id));
    expect(waiting?.status).toBe("issuing");

    await standinControl(standin.url, "clock", { advanceMs: 3000 });
    await app.ctx.database.db
      .update(invoices)
      .set({ nextAttemptAt: sql`now() - interval '1 second'` })
      .where(eq(invoices.id, waiting!.id));
    const sweeper = new Sweeper(pino({ level: "silent" }));
    sweeper.define(issueSweep(app.ctx));
    expect(await sweeper.sweepOnce(ISSUE_SWEEP)).toBe(1);

    const [issued] = await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, waiting!.id));
    const state = (await standinControl(standin.url, "state")) as {
      invoices: Array<{ orderNo: string; number: string; order: Record<string, unknown> }>;
    };
    expect(state.invoices).toHaveLength(1);
    expect(state.invoices[0]).toMatchObject({
      orderNo: nuonuoOrderNo(waiting!.serial),
      order: { clerk: "王五" },
    });
    expect(issued).toMatchObject({ status: "issued", number: state.invoices[0]!.number });
  });
});
