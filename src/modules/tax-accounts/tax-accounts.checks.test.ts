import { eq, sql } from "drizzle-orm";
import pino from "pino";
import { afterEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { taxBureauAccounts } from "../../platform/db/schema";
import { Sweeper } from "../../platform/sweeper";
import { createNuonuoStandin, DEFAULT_APP } from "../../standins/nuonuo/nuonuo-standin";
import { type RunningStandin, standinControl } from "../../standins/server";
import { findExceptions } from "../exceptions/exceptions.service";
import { prepareSettings } from "../invoices/channels/channel-registry";
import {
  ACCOUNT_CHECK_SWEEP,
  accountCheckSweep,
  CREDIT_CHECK_SWEEP,
  creditCheckSweep,
} from "./tax-accounts.sweep";

let app: TestApp | undefined;
let standin: RunningStandin | undefined;
afterEach(async () => {
  await app?.close();
  await standin?.close();
  app = undefined;
  standin = undefined;
});

interface StandinState {
  now: string;
  tokenRequests: number;
  calls: Array<{ method: string; code: string }>;
}

/** The application with one organization whose account issues through a 诺诺 stand-in. */
async function accountApp(kind: Parameters<typeof createTestApp>[0]) {
  standin = await createNuonuoStandin().start();
  const running = standin;
  app = await createTestApp(kind, {
    startJobs: false,
    env: { PIAOMA_ALLOW_PRIVATE_URLS: "true" },
    tuning: { accountCheckSeconds: 60, accountCheckMaxSeconds: 3600, creditCheckMinutes: 30 },
  });
  const org = await makeOrganization(app.ctx.database);
  const stored = prepareSettings(
    "nuonuo",
    {
      apiUrl: `${running.url}/open/v1/services`,
      tokenUrl: `${running.url}/accessToken`,
      appKey: DEFAULT_APP.appKey,
      appSecret: DEFAULT_APP.appSecret,
    },
    { keyring: app.ctx.keyring, allowPrivateUrls: true },
  );
  await app.ctx.database.db
    .update(taxBureauAccounts)
    .set({ channel: "nuonuo", settings: stored })
    .where(eq(taxBureauAccounts.orgId, org.id));
  const sweeper = new Sweeper(pino({ level: "silent" }));
  sweeper.define(accountCheckSweep(app.ctx));
  sweeper.define(creditCheckSweep(app.ctx));
  const account = async () => {
    const [row] = await app!.ctx.database.db
      .select()
      .from(taxBureauAccounts)
      .where(eq(taxBureauAccounts.orgId, org.id));
    return row!;
  };
  const control = (action: string, body?: unknown) => standinControl(running.url, action, body);
  const state = async () => (await control("state")) as StandinState;
  const user = await makeUser(app.ctx.database, { orgIds: [org.id] });
  const client: ConsoleClient = await loginAs(app, user.username, user.password);
  const id = (await account()).id;
  return { app, org, id, account, control, state, sweeper, client };
}

describeEachDatabase("tax-bureau account checks", (kind) => {
  it("reads a healthy account's 授信额度 every creditCheckMinutes, shows it, and credit_low works on it", async () => {
    const t = await accountApp(kind);
    expect((await t.account()).creditAvailable).toBeNull();
    // Healthy, never checked: the credit check asks the channel.
    expect(await t.sweeper.sweepOnce(CREDIT_CHECK_SWEEP)).toBe(1);
    const first = await t.account();
    expect(first).toMatchObject({ status: "online", statusProblem: null, creditAvailable: "1000000.00" });
    expect(first.creditReportedAt).not.toBeNull();
    // Not again before creditCheckMinutes have passed.
    expect(await t.sweeper.sweepOnce(CREDIT_CHECK_SWEEP)).toBe(0);
    expect((await t.state()).calls.filter((c) => c.method.endsWith("getCreditLine"))).toHaveLength(1);

    // The credit line shrinks at 诺诺; half an hour later the check reads the new figure.
    await t.control("scenario", { creditTotal: "8000.00" });
    await t.app.ctx.database.db
      .update(taxBureauAccounts)
      .set({ creditCheckedAt: sql`now() - interval '31 minutes'` })
      .where(eq(taxBureauAccounts.id, t.id));
    expect(await t.sweeper.sweepOnce(CREDIT_CHECK_SWEEP)).toBe(1);
    expect((await t.account()).creditAvailable).toBe("8000.00");

    const actor = {
      type: "user" as const,
      userId: "usr_test",
      username: "admin",
      roles: new Map([[t.org.id, "admin" as const]]),
      orgIds: [t.org.id],
    };
    const { items } = await findExceptions(t.app.ctx, { actor, orgId: t.org.id, kind: "credit_low" });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ kind: "credit_low", accountId: t.id });
    expect(items[0]?.detail).toContain("8000.00");

    // The console's list shows the figure and when it was read.
    const listed = (await t.client.get(`/orgs/${t.org.id}/tax-accounts`)).json() as Array<
      Record<string, unknown>
    >;
    expect(listed[0]).toMatchObject({ creditAvailable: "8000.00", creditReportedAt: expect.any(String) });
  });

  it("backs off exponentially on a token refusal, persisted on the account; 测试连接 asks at once", async () => {
    const t = await accountApp(kind);
    // The token quota is used up at 诺诺: every token request is refused.
    await t.control("scenario", { tokenQuotaUsed: 50 });
    const tested = await t.client.post(`/orgs/${t.org.id}/tax-accounts/${t.id}/test`);
    expect(tested.json()).toMatchObject({ status: "reauth", problem: "token_quota" });
    expect((await t.state()).tokenRequests).toBe(1);
    expect(await t.account()).toMatchObject({ statusProblem: "token_quota", checkFailures: 1 });

    /** Seconds from now to the account's next check. */
    const delay = async () => {
      const [row] = (
        await t.app.ctx.database.executeSql(
          "select extract(epoch from next_attempt_at - now())::float8 as s from tax_bureau_accounts where id = $1",
          [t.id],
        )
      ).rows as Array<{ s: number }>;
      return row!.s;
    };
    const makeDue = () =>
      t.app.ctx.database.db
        .update(taxBureauAccounts)
        .set({ nextAttemptAt: sql`now() - interval '1 second'` })
        .where(eq(taxBureauAccounts.id, t.id));

    // Not due: the account check asks nothing.
    expect(await t.sweeper.sweepOnce(ACCOUNT_CHECK_SWEEP)).toBe(0);
    expect((await t.state()).tokenRequests).toBe(1);

    // Each refusal doubles the wait: 60 s after the first, then 120, 240 … up to an hour.
    const waits: number[] = [];
    for (let n = 2; n <= 8; n++) {
      await makeDue();
      expect(await t.sweeper.sweepOnce(ACCOUNT_CHECK_SWEEP)).toBe(1);
      expect((await t.account()).checkFailures).toBe(n);
      waits.push(Math.round((await delay()) / 60));
      expect(await t.sweeper.sweepOnce(ACCOUNT_CHECK_SWEEP)).toBe(0);
    }
    expect(waits).toEqual([2, 4, 8, 16, 32, 60, 60]);
    // One token request per check, none in between.
    expect((await t.state()).tokenRequests).toBe(8);

    // An operator's 测试连接 asks at once, whatever the backoff; back online, the count starts again.
    await t.control("scenario", { tokenQuotaUsed: 0 });
    const back = await t.client.post(`/orgs/${t.org.id}/tax-accounts/${t.id}/test`);
    expect(back.json()).toMatchObject({ status: "online" });
    expect((await t.state()).tokenRequests).toBe(9);
    expect(await t.account()).toMatchObject({
      status: "online",
      statusProblem: null,
      checkFailures: 0,
      nextAttemptAt: null,
    });
  });

  it("扫码认证: a new QR on request, the scan polled and completed, the account back online", async () => {
    const t = await accountApp(kind);
    const reauth = (body: unknown = {}) =>
      t.client.post(`/orgs/${t.org.id}/tax-accounts/${t.id}/reauth`, body);
    // Nothing to scan while the account is fine.
    expect((await reauth({ refresh: true })).statusCode).toBe(409);
    expect((await reauth({ refresh: "yes" })).statusCode).toBe(422);

    // 数电 logged out at 诺诺: 测试连接 shows the login QR with its expiry.
    await t.control("scenario", { session: "loggedOut" });
    const tested = (await t.client.post(`/orgs/${t.org.id}/tax-accounts/${t.id}/test`)).json();
    expect(tested).toMatchObject({ status: "reauth", problem: "logged_out" });
    expect(tested.qrCode.text).toMatch(/\/qr\/login\//);
    expect(Date.parse(tested.qrCode.expiresAt)).toBeGreaterThan(Date.parse((await t.state()).now));

    // 刷新二维码: a new one (getQrCode 2); a second at once is refused by 诺诺 (1 a minute) and said so.
    const fresh = (await reauth({ refresh: true })).json();
    expect(fresh).toMatchObject({
      scan: "waiting",
      qrCode: { text: expect.stringMatching(/\/qr\/login\//) },
    });
    expect(fresh.qrCode.text).not.toBe(tested.qrCode.text);
    const again = (await reauth({ refresh: true })).json();
    expect(again.qrCode).toBeUndefined();
    expect(again.message).toMatch(/刷新过于频繁/);

    // Polled: not scanned yet; scanned on the phone → confirmed (verifyComplete 0) and online.
    expect((await reauth()).json()).toMatchObject({ scan: "waiting", status: "reauth" });
    await t.control("qr/scan", {});
    expect((await reauth()).json()).toMatchObject({ scan: "done", status: "online" });
    expect(await t.account()).toMatchObject({ status: "online", statusProblem: null });
    const methods = (await t.state()).calls.map((c) => c.method);
    expect(methods.filter((m) => m.endsWith("verifyComplete")).length).toBeGreaterThanOrEqual(2);

    // 实人认证: the face QR; after the scan the state is refreshed from the bureau (getCertificationStatus 0).
    await t.control("scenario", { session: "needsFaceAuth" });
    const face = (await t.client.post(`/orgs/${t.org.id}/tax-accounts/${t.id}/test`)).json();
    expect(face).toMatchObject({
      problem: "identity_verification_due",
      qrCode: { text: expect.stringMatching(/\/qr\/face\//) },
    });
    // An expired QR cannot be scanned; a new one can.
    await t.control("clock", { advanceMs: 6 * 60_000 });
    await expect(t.control("qr/scan", {})).rejects.toThrow(/expired/);
    expect((await reauth()).json()).toMatchObject({ scan: "expired" });
    expect((await reauth({ refresh: true })).json().qrCode.text).toMatch(/\/qr\/face\//);
    await t.control("qr/scan", {});
    expect((await reauth()).json()).toMatchObject({ scan: "done", status: "online" });
    expect(await t.account()).toMatchObject({ status: "online", statusProblem: null });
  });
});
