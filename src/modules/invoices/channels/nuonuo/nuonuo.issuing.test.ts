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

interface Waited {
  ms: number;
  /** Database connections checked out of the pool while waiting (PostgreSQL), or null (PGlite). */
  checkedOut: number | null;
}

/**
 * The application issuing through a running 诺诺 stand-in (manual clock). Its waits between
 * re-queries do not sleep: they move the stand-in's clock by as much, and record what the
 * database held meanwhile.
 */
async function issuingApp(kind: Parameters<typeof createTestApp>[0], settings: Record<string, unknown> = {}) {
  standin = await createNuonuoStandin().start();
  const running = standin;
  const waited: Waited[] = [];
  app = await createTestApp(kind, {
    startJobs: false,
    env: { PIAOMA_ALLOW_PRIVATE_URLS: "true" },
    providers: {
      sleep: async (ms) => {
        const database = app!.ctx.database;
        waited.push({
          ms,
          checkedOut:
            database.kind === "postgres" ? database.pool.totalCount - database.pool.idleCount : null,
        });
        await standinControl(running.url, "clock", { advanceMs: ms });
      },
    },
  });
  const org = await makeOrganization(app.ctx.database);
  const stored = prepareSettings(
    "nuonuo",
    {
      apiUrl: `${running.url}/open/v1/services`,
      tokenUrl: `${running.url}/accessToken`,
      appKey: DEFAULT_APP.appKey,
      appSecret: DEFAULT_APP.appSecret,
      ...settings,
    },
    { keyring: app.ctx.keyring, allowPrivateUrls: true },
  );
  await app.ctx.database.db
    .update(taxBureauAccounts)
    .set({ channel: "nuonuo", settings: stored })
    .where(eq(taxBureauAccounts.orgId, org.id));
  const code = await makeReceiptCode(app.ctx, org.id);
  const control = (action: string, body?: unknown) => standinControl(running.url, action, body);
  const submit = () =>
    app!.http.inject({
      method: "POST",
      url: `/api/scan/${code.token}/submit`,
      headers: { "content-type": "application/json" },
      payload: {
        invoiceType: "digital_normal",
        buyer: { type: "enterprise", name: "杭州某某贸易有限公司", taxId: makeUscc("91330100") },
        email: "buyer@example.com",
      },
    });
  const view = async () =>
    (await app!.http.inject({ method: "GET", url: `/api/scan/${code.token}` })).json() as {
      status: string;
      invoices: Array<{ status: string; number: string | null }>;
    };
  const invoiceOfCode = async () => {
    const [row] = await app!.ctx.database.db
      .select()
      .from(invoices)
      .where(eq(invoices.receiptCodeId, code.id));
    return row!;
  };
  const sweep = async () => {
    const sweeper = new Sweeper(pino({ level: "silent" }));
    sweeper.define(issueSweep(app!.ctx));
    await app!.ctx.database.db
      .update(invoices)
      .set({ nextAttemptAt: sql`now() - interval '1 second'` })
      .where(eq(invoices.receiptCodeId, code.id));
    return sweeper.sweepOnce(ISSUE_SWEEP);
  };
  return { app, org, code, control, submit, view, invoiceOfCode, sweep, waited };
}

interface StandinState {
  invoices: Array<{ orderNo: string; status: string; number: string | null; order: Record<string, unknown> }>;
  calls: Array<{ method: string; code: string }>;
}

describeEachDatabase("issuing through the 诺诺 stand-in", (kind) => {
  it("开票中 for 2 s: asked again after 3 s in the submitting process, with no connection held while waiting → issued", async () => {
    const t = await issuingApp(kind, { clerk: "王五" });
    await t.control("scenario", { pendingMs: 2000 });

    const res = await t.submit();
    expect(res.statusCode, res.body).toBe(202);
    const state = (await t.control("state")) as StandinState;
    expect(state.invoices).toHaveLength(1);
    const answered = res.json() as { status: string; invoices: Array<{ number: string | null }> };
    expect(answered).toMatchObject({ status: "issued", invoices: [{ number: state.invoices[0]!.number }] });
    // One wait of 3 s (the stand-in's clock moved by it), then the query found it issued.
    expect(t.waited.map((w) => w.ms)).toEqual([3000]);
    if (kind === "postgres") expect(t.waited.map((w) => w.checkedOut)).toEqual([0]);
    expect(state.calls.map((c) => `${c.method.replace("nuonuo.OpeMplatform.", "")} ${c.code}`)).toEqual([
      "requestBillingNew E0000",
      "queryInvoiceResult E0000",
    ]);
    const row = await t.invoiceOfCode();
    expect(row).toMatchObject({ status: "issued", number: state.invoices[0]!.number, attempts: 1 });
    expect(state.invoices[0]).toMatchObject({ orderNo: nuonuoOrderNo(row.serial), order: { clerk: "王五" } });
  });

  it("开票中 beyond 3 s + 5 s: the consumer sees issuing, the sweep asks at its cadence, then the invoice (not an outage)", async () => {
    const t = await issuingApp(kind, { clerk: "王五" });
    await t.control("scenario", { pendingMs: 20_000 });

    const res = await t.submit();
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ status: "issuing" });
    expect(t.waited.map((w) => w.ms)).toEqual([3000, 5000]);
    if (kind === "postgres") expect(t.waited.map((w) => w.checkedOut)).toEqual([0, 0]);
    expect(await t.view()).toMatchObject({
      status: "issuing",
      invoices: [{ status: "issuing", number: null }],
    });

    // Still 开票中 at the sweep's first look: nothing changes, the invoice waits for the next one.
    expect(await t.sweep()).toBe(1);
    expect(await t.invoiceOfCode()).toMatchObject({ status: "issuing", attempts: 2, failureCode: null });

    await t.control("clock", { advanceMs: 12_000 });
    expect(await t.sweep()).toBe(1);
    const state = (await t.control("state")) as StandinState;
    // One request, never a second: every later look was a query by the same order number.
    expect(state.calls.filter((c) => c.method.endsWith("requestBillingNew"))).toHaveLength(1);
    expect(state.invoices).toHaveLength(1);
    const row = await t.invoiceOfCode();
    expect(row).toMatchObject({ status: "issued", number: state.invoices[0]!.number });
    expect(await t.view()).toMatchObject({
      status: "invoiced",
      invoices: [{ status: "issued", number: state.invoices[0]!.number }],
    });
  });
});
