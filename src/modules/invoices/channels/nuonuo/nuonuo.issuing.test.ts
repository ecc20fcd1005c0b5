import { and, eq, isNotNull, sql } from "drizzle-orm";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../../../test/support/app";
import { loginAs, makeUser } from "../../../../../test/support/console";
import { databaseKinds } from "../../../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../../../test/support/factories";
import { makeCredentials, openRequest } from "../../../../../test/support/open-api";
import { invoiceFiles, invoices, taxBureauAccounts } from "../../../../platform/db/schema";
import { Sweeper } from "../../../../platform/sweeper";
import { createNuonuoStandin, DEFAULT_APP } from "../../../../standins/nuonuo/nuonuo-standin";
import { type RunningStandin, standinControl } from "../../../../standins/server";
import { findTaxAccountsForConsole, testTaxAccount } from "../../../tax-accounts/tax-accounts.service";
import { ACCOUNT_CHECK_SWEEP, accountCheckSweep } from "../../../tax-accounts/tax-accounts.sweep";
import { getInvoiceForConsole, retryInvoiceForConsole } from "../../invoices.console.service";
import { CHANNEL_FILES_SWEEP, channelFilesSweep } from "../../issuing.files";
import { ISSUE_SWEEP, issueSweep } from "../../issuing.sweep";
import { prepareSettings } from "../channel-registry";
import { CONSUMER_SENTENCE } from "./mapping";
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
async function issuingApp(
  kind: Parameters<typeof createTestApp>[0],
  settings: Record<string, unknown> = {},
  overrides: {
    org?: Parameters<typeof makeOrganization>[1];
    code?: Parameters<typeof makeReceiptCode>[2];
    buyer?: Record<string, unknown>;
  } = {},
) {
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
  const org = await makeOrganization(app.ctx.database, overrides.org);
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
  const code = await makeReceiptCode(app.ctx, org.id, overrides.code);
  const control = (action: string, body?: unknown) => standinControl(running.url, action, body);
  /**
   * The consumer's submit, as answered (`issuing` as soon as 诺诺 accepted); the attempt it left
   * running in the background (its re-queries) has ended when this returns.
   */
  const submit = async () => {
    const res = await app!.http.inject({
      method: "POST",
      url: `/api/scan/${code.token}/submit`,
      headers: { "content-type": "application/json" },
      payload: {
        invoiceType: "digital_normal",
        buyer: overrides.buyer ?? {
          type: "enterprise",
          name: "杭州某某贸易有限公司",
          taxId: makeUscc("91330100"),
        },
        email: "buyer@example.com",
      },
    });
    await app!.ctx.background.settled();
    return res;
  };
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
  const sweeper = new Sweeper(pino({ level: "silent" }));
  sweeper.define(issueSweep(app.ctx));
  sweeper.define(accountCheckSweep(app.ctx));
  /** One issuing sweep; `due` first makes the code's invoices due (if they have a due time). */
  const sweep = async (options: { due?: boolean } = { due: true }) => {
    if (options.due)
      await app!.ctx.database.db
        .update(invoices)
        .set({ nextAttemptAt: sql`now() - interval '1 second'` })
        .where(and(eq(invoices.receiptCodeId, code.id), isNotNull(invoices.nextAttemptAt)));
    return sweeper.sweepOnce(ISSUE_SWEEP);
  };
  const account = async () => {
    const [row] = await app!.ctx.database.db
      .select()
      .from(taxBureauAccounts)
      .where(eq(taxBureauAccounts.orgId, org.id));
    return row!;
  };
  /** One account check, the account made due first. */
  const checkAccounts = async () => {
    await app!.ctx.database.db
      .update(taxBureauAccounts)
      .set({ nextAttemptAt: sql`now() - interval '1 second'` })
      .where(and(eq(taxBureauAccounts.orgId, org.id), isNotNull(taxBureauAccounts.nextAttemptAt)));
    return sweeper.sweepOnce(ACCOUNT_CHECK_SWEEP);
  };
  return { app, org, code, control, submit, view, invoiceOfCode, sweep, waited, account, checkAccounts };
}

interface StandinState {
  invoices: Array<{ orderNo: string; status: string; number: string | null; order: Record<string, unknown> }>;
  calls: Array<{ method: string; code: string }>;
}

// 开票中 briefly (issued within the submit) and beyond the submit's waits: the list every channel
// runs, test/support/channel-scenarios.ts (1a, 1), through nuonuo.scenarios.test.ts.

// A refund of part of an invoice issued through 诺诺 (部分退款): its red invoice goes through a partial
// 红字确认单 by itself — no longer left to an operator (refunds.service.ts falls back to `manual` only
// for channels without 部分红冲, such as 金蝶).
for (const kind of databaseKinds())
  describe(`a partial refund through the open API, invoiced through the 诺诺 stand-in [${kind}]`, () => {
    it("makes the red invoice automatically: the refund is reversing, 诺诺 issues the red invoice of that part, the blue is partially reversed", async () => {
      const t = await issuingApp(kind);
      await t.control("scenario", { pendingMs: 2000 });
      // Answered 开票中; the submit's own wait (3 s) then finds it issued.
      expect((await t.submit()).json()).toMatchObject({ status: "issuing" });
      const blue = await t.invoiceOfCode();
      expect(blue.status).toBe("issued");
      const keys = await makeCredentials(t.app, t.org.id);
      const res = await openRequest(t.app, keys, {
        method: "POST",
        url: `/open/v1/receipt-codes/${encodeURIComponent(t.code.serialNo)}/refunds`,
        body: { refundNo: "NR-1", reason: "销货退回", lines: [{ lineNo: 2, quantity: "1" }] },
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ status: "reversing", totalAmount: "350.00" });
      const redId = res.json().redInvoiceId as string;
      await t.app.ctx.background.settled();
      await t.control("clock", { advanceMs: 5000 });
      await t.sweep();
      const [red] = await t.app.ctx.database.db.select().from(invoices).where(eq(invoices.id, redId));
      const state = (await t.control("state")) as StandinState & {
        bills: Array<{ request: { detail?: Array<Record<string, string>> } }>;
      };
      const held = state.invoices.find((i) => i.number === red?.number);
      expect(red).toMatchObject({ status: "issued", totalAmount: "-350.00", blueInvoiceId: blue.id });
      expect(held).toBeDefined();
      // One 确认单, for one room of the 标准间 (line 2, its discount row merged).
      expect(state.bills.map((b) => b.request.detail)).toEqual([
        [expect.objectContaining({ blueDetailIndex: "2", goodsName: "标准间", num: "-1" })],
      ]);
      const [after] = await t.app.ctx.database.db.select().from(invoices).where(eq(invoices.id, blue.id));
      expect(after?.status).toBe("partially_reversed");
    });
  });

// 诺诺's own: logic, not concurrency — PGlite only (test time is a budget).
describe("issuing through the 诺诺 stand-in [pglite]", () => {
  const kind = "pglite" as const;

  it("数电 session logged out: the account turns 需重新认证 with what to do, the invoice stays queued, and resumes by itself (reInvoice) once the account is back", async () => {
    const t = await issuingApp(kind, { clerk: "王五" });
    await t.control("scenario", { pendingMs: 2000, session: "loggedOut" });

    const res = await t.submit();
    expect(res.json()).toMatchObject({ status: "issuing" });
    // 诺诺 accepted, then failed it for the session (22 + 请先登录): an account problem, not a refusal.
    expect(await t.invoiceOfCode()).toMatchObject({
      status: "issuing",
      failureCode: null,
      nextAttemptAt: null,
      channelData: { heldForAccount: true },
    });
    expect(await t.account()).toMatchObject({ status: "reauth", statusProblem: "logged_out" });
    const actor = {
      type: "user" as const,
      userId: "usr_test",
      username: "admin",
      roles: new Map([[t.org.id, "admin" as const]]),
      orgIds: [t.org.id],
    };
    const [listed] = await findTaxAccountsForConsole(t.app.ctx, { actor, orgId: t.org.id });
    expect(listed).toMatchObject({ status: "reauth", problem: "logged_out" });
    expect(listed?.statusAction).toMatch(/重新登录/);
    expect(await t.view()).toMatchObject({ status: "issuing" });

    // Held: the issuing sweep leaves it alone; the account check finds the session still out.
    expect(await t.sweep({ due: false })).toBe(0);
    expect(await t.checkAccounts()).toBe(1);
    expect(await t.account()).toMatchObject({ status: "reauth", statusProblem: "logged_out" });
    expect(await t.sweep({ due: false })).toBe(0);

    // Someone logs in again at 诺诺: the next check finds the account online and the invoice due.
    await t.control("scenario", { session: "ok" });
    expect(await t.checkAccounts()).toBe(1);
    expect(await t.account()).toMatchObject({ status: "online", statusProblem: null, nextAttemptAt: null });
    expect(await t.sweep({ due: false })).toBe(1);
    await t.control("clock", { advanceMs: 2000 });
    expect(await t.sweep()).toBe(1);
    const state = (await t.control("state")) as StandinState;
    expect(state.invoices).toHaveLength(1);
    // The same order, retried under its number: never a second request.
    expect(state.calls.filter((c) => c.method.endsWith("requestBillingNew"))).toHaveLength(1);
    expect(state.calls.filter((c) => c.method.endsWith("reInvoice"))).toHaveLength(1);
    const row = await t.invoiceOfCode();
    expect(row).toMatchObject({ status: "issued", number: state.invoices[0]!.number, failureCode: null });
    expect(row.channelData).not.toHaveProperty("heldForAccount");
  });

  it("实人认证 by scanning from the console: the held invoice goes on once the scan is done", async () => {
    const t = await issuingApp(kind, { clerk: "王五" });
    await t.control("scenario", { pendingMs: 2000, session: "needsFaceAuth", sessionMode: "refuse" });
    expect((await t.submit()).json()).toMatchObject({ status: "issuing" });
    expect(await t.invoiceOfCode()).toMatchObject({
      status: "issuing",
      channelData: { heldForAccount: true },
    });
    const accountId = (await t.account()).id;
    expect(await t.account()).toMatchObject({ statusProblem: "identity_verification_due" });

    const user = await makeUser(t.app.ctx.database, { orgIds: [t.org.id] });
    const client = await loginAs(t.app, user.username, user.password);
    const reauth = (body: unknown = {}) =>
      client.post(`/orgs/${t.org.id}/tax-accounts/${accountId}/reauth`, body);
    expect((await reauth({ refresh: true })).json()).toMatchObject({
      scan: "waiting",
      qrCode: { text: expect.stringMatching(/\/qr\/face\//) },
    });
    expect((await reauth()).json()).toMatchObject({ scan: "waiting" });
    expect(await t.sweep({ due: false })).toBe(0);

    // Scanned on the phone: the next poll completes it and the held invoice is due at once.
    await t.control("qr/scan", {});
    expect((await reauth()).json()).toMatchObject({ scan: "done", status: "online" });
    expect(await t.sweep({ due: false })).toBe(1);
    await t.control("clock", { advanceMs: 2000 });
    await t.sweep();
    expect(await t.invoiceOfCode()).toMatchObject({ status: "issued" });
  });

  it("token quota used up: 需重新认证 before anything reaches 诺诺; later invoices wait uncalled; a successful 测试连接 resumes them", async () => {
    const t = await issuingApp(kind, { clerk: "王五" });
    await t.control("scenario", { pendingMs: 1000, tokenQuotaUsed: 50 });

    expect((await t.submit()).json()).toMatchObject({ status: "issuing" });
    expect(await t.account()).toMatchObject({ status: "reauth", statusProblem: "token_quota" });
    expect((await t.account()).statusAction).toMatch(/永不过期/);
    expect(await t.invoiceOfCode()).toMatchObject({
      status: "issuing",
      nextAttemptAt: null,
      failureCode: null,
    });
    // Another consumer's invoice on the same account waits with it, without calling 诺诺.
    const other = await makeReceiptCode(t.app.ctx, t.org.id);
    const second = await t.app.http.inject({
      method: "POST",
      url: `/api/scan/${other.token}/submit`,
      headers: { "content-type": "application/json" },
      payload: {
        invoiceType: "digital_normal",
        buyer: { type: "individual", name: "李四" },
        email: "li@example.com",
      },
    });
    expect(second.json()).toMatchObject({ status: "issuing" });
    const before = (await t.control("state")) as StandinState & { tokenCalls: Record<string, number> };
    expect(before.calls).toEqual([]);
    expect(before.tokenCalls[DEFAULT_APP.appKey]).toBe(50);

    // The quota comes back (30 days later on the stand-in's clock); 测试连接 in the console.
    await t.control("clock", { advanceMs: 31 * 24 * 3600_000 });
    const actor = { type: "system" as const, reason: "test" };
    expect(await testTaxAccount(t.app.ctx, { actor, id: (await t.account()).id })).toMatchObject({
      status: "online",
    });
    expect(await t.account()).toMatchObject({ status: "online", statusProblem: null });
    const sweeper = new Sweeper(pino({ level: "silent" }));
    sweeper.define(issueSweep(t.app.ctx));
    expect(await sweeper.sweepOnce(ISSUE_SWEEP)).toBe(2);
    await t.control("clock", { advanceMs: 1000 });
    await t.app.ctx.database.db.update(invoices).set({ nextAttemptAt: sql`now() - interval '1 second'` });
    expect(await sweeper.sweepOnce(ISSUE_SWEEP)).toBe(2);
    const state = (await t.control("state")) as StandinState;
    expect(state.invoices).toHaveLength(2);
    expect(await t.invoiceOfCode()).toMatchObject({ status: "issued" });
    const [otherInvoice] = await t.app.ctx.database.db
      .select()
      .from(invoices)
      .where(eq(invoices.receiptCodeId, other.id));
    expect(otherInvoice).toMatchObject({ status: "issued" });
  });

  it("a refusal keeps 诺诺's code and words for the operator, the consumer reads a plain sentence, and 重试 goes through reInvoice under the same order", async () => {
    const t = await issuingApp(kind, { clerk: "王五" });
    await t.control("scenario", { pendingMs: 1000, fail: "购方名称与纳税人识别号不一致" });

    // Answered as soon as 诺诺 accepted it; its failure (22) is found by the re-query after.
    expect((await t.submit()).json()).toMatchObject({ status: "issuing" });
    expect(await t.view()).toMatchObject({ status: "failed" });
    const failed = await t.invoiceOfCode();
    const actor = {
      type: "user" as const,
      userId: "usr_test",
      username: "admin",
      roles: new Map([[t.org.id, "admin" as const]]),
      orgIds: [t.org.id],
    };
    expect(await getInvoiceForConsole(t.app.ctx, { actor, orgId: t.org.id, id: failed.id })).toMatchObject({
      status: "failed",
      failureCode: "NUONUO_22",
      failureReason: "购方名称与纳税人识别号不一致",
      canRetry: true,
    });
    const view = (await t.view()) as unknown as {
      status: string;
      invoices: Array<{ failureMessage: string }>;
    };
    expect(view.status).toBe("failed");
    expect(view.invoices[0]!.failureMessage).toBe(CONSUMER_SENTENCE.refused);
    expect(JSON.stringify(view)).not.toContain("纳税人识别号不一致");
    expect(JSON.stringify(view)).not.toContain("NUONUO_22");

    // The buyer's details are sorted out at 诺诺; the operator retries.
    await t.control("scenario", { fail: null });
    expect(await retryInvoiceForConsole(t.app.ctx, { actor, orgId: t.org.id, id: failed.id })).toEqual({
      status: "issued",
    });
    const state = (await t.control("state")) as StandinState;
    expect(state.calls.filter((c) => c.method.endsWith("requestBillingNew"))).toHaveLength(1);
    expect(state.calls.filter((c) => c.method.endsWith("reInvoice"))).toHaveLength(1);
    expect(state.invoices).toHaveLength(1);
    const row = await t.invoiceOfCode();
    expect(row).toMatchObject({ status: "issued", number: state.invoices[0]!.number, failureCode: null });
    expect(row.channelData).not.toHaveProperty("retry");
    expect(row.channelData).not.toHaveProperty("consumerMessage");
    expect(await t.view()).toMatchObject({ status: "invoiced", invoices: [{ failureMessage: null }] });
  });

  it("the whole invoice travels: seller and buyer details, 备注, 开票人 as 诺诺's clerk (no setting needed), 收款人 / 复核人, line kinds, zero-rate kinds, 19-digit codes; the order number is stored before the first call", async () => {
    const buyerTaxId = makeUscc("91330100");
    const t = await issuingApp(
      kind,
      {},
      {
        org: {
          address: "深圳市南山区科技园",
          phone: "0755-12345678",
          bankName: "招商银行深圳分行",
          bankAccount: "755900000000",
        },
        code: {
          drawer: "张会计",
          payee: "李收款",
          reviewer: "赵复核",
          remark: "桌号 8",
          lines: [
            {
              name: "标准间",
              shortName: "住宿服务",
              taxCode: "3070402000000000000",
              taxRate: "0.06",
              quantity: "2",
              unitPrice: "388.00",
              amount: "776.00",
              discount: "-76.00",
            },
            {
              name: "图书",
              shortName: "图书",
              taxCode: "1060201010000000000",
              taxRate: "0",
              zeroRateKind: "exempt",
              amount: "50.00",
            },
          ],
        },
        buyer: {
          type: "enterprise",
          name: "杭州某某贸易有限公司",
          taxId: buyerTaxId,
          address: "杭州市西湖区文三路 1 号",
          phone: "0571-87654321",
          bankName: "工商银行杭州分行",
          bankAccount: "1202000000000000",
        },
      },
    );
    // The first call does not get through: the order number is already stored with the invoice.
    await t.control("scenario", { pendingMs: 1000, http5xx: 1 });
    expect((await t.submit()).json()).toMatchObject({ status: "issuing" });
    const waiting = await t.invoiceOfCode();
    expect(waiting.channelData).toEqual({ orderNo: nuonuoOrderNo(waiting.serial) });
    expect(nuonuoOrderNo(waiting.serial).length).toBeLessThanOrEqual(20);

    expect(await t.sweep()).toBe(1);
    await t.control("clock", { advanceMs: 1000 });
    expect(await t.sweep()).toBe(1);
    const state = (await t.control("state")) as StandinState;
    expect(state.invoices).toHaveLength(1);
    expect(await t.invoiceOfCode()).toMatchObject({ status: "issued", number: state.invoices[0]!.number });
    const order = state.invoices[0]!.order;
    expect(order).toMatchObject({
      orderNo: nuonuoOrderNo(waiting.serial),
      invoiceLine: "pc",
      salerAddress: "深圳市南山区科技园",
      salerTel: "0755-12345678",
      salerAccount: "招商银行深圳分行 755900000000",
      buyerName: "杭州某某贸易有限公司",
      buyerTaxNum: buyerTaxId,
      buyerAddress: "杭州市西湖区文三路 1 号",
      buyerTel: "0571-87654321",
      buyerAccount: "工商银行杭州分行 1202000000000000",
      naturalPersonFlag: "0",
      remark: "桌号 8",
      clerk: "张会计",
      payee: "李收款",
      checker: "赵复核",
      pushMode: "-1",
    });
    expect(order.invoiceDetail).toEqual([
      expect.objectContaining({
        goodsName: "标准间",
        goodsCode: "3070402000000000000",
        invoiceLineProperty: "2",
      }),
      expect.objectContaining({ goodsName: "标准间", invoiceLineProperty: "1", taxExcludedAmount: "-71.70" }),
      expect.objectContaining({
        goodsName: "图书",
        goodsCode: "1060201010000000000",
        taxRate: "0",
        favouredPolicyFlag: "03",
        invoiceLineProperty: "0",
      }),
    ]);
  });

  it("a natural person travels as one (naturalPersonFlag 1, no tax number)", async () => {
    const t = await issuingApp(kind, {}, { buyer: { type: "individual", name: "张三" } });
    await t.control("scenario", { pendingMs: 1000 });
    expect((await t.submit()).json()).toMatchObject({ status: "issuing" });
    expect(await t.view()).toMatchObject({ invoices: [{ status: "issued" }] });
    const state = (await t.control("state")) as StandinState;
    expect(state.invoices[0]!.order).toMatchObject({
      buyerName: "张三",
      buyerTaxNum: "",
      naturalPersonFlag: "1",
    });
  });

  it("a response lost after 诺诺 accepted: the repeat is answered E9106 and resolved by a query under the same order number, never a new one", async () => {
    const t = await issuingApp(kind, { clerk: "王五" });
    await t.control("scenario", {
      pendingMs: 1000,
      unknownAfterSubmitMs: 5000,
      dropResponse: { count: 1, method: "requestBillingNew" },
    });
    expect((await t.submit()).json()).toMatchObject({ status: "issuing" });
    // Next attempt: the query does not know it yet (E9500), the repeated request is a duplicate.
    expect(await t.sweep()).toBe(1);
    expect(await t.invoiceOfCode()).toMatchObject({ status: "issuing", failureCode: null });
    await t.control("clock", { advanceMs: 5000 });
    expect(await t.sweep()).toBe(1);
    const state = (await t.control("state")) as StandinState;
    const row = await t.invoiceOfCode();
    expect(state.calls.map((c) => `${c.method.replace("nuonuo.OpeMplatform.", "")} ${c.code}`)).toEqual([
      "requestBillingNew DROPPED_E0000",
      "queryInvoiceResult E9500",
      "requestBillingNew E9106",
      "queryInvoiceResult E9500",
      "queryInvoiceResult E0000",
    ]);
    expect(state.invoices).toHaveLength(1);
    expect(state.invoices[0]!.orderNo).toBe((row.channelData as { orderNo: string }).orderNo);
    expect(row).toMatchObject({ status: "issued", number: state.invoices[0]!.number });
  });

  it("诺诺's own PDF, OFD and XML are fetched at once and become the invoice's files (ours the preview, rendered when first asked for), served to the consumer and the console", async () => {
    const t = await issuingApp(kind, { clerk: "王五" });
    await t.control("scenario", { pendingMs: 1000 });
    expect((await t.submit()).json()).toMatchObject({ status: "issuing" });
    expect(await t.view()).toMatchObject({ invoices: [{ status: "issued" }] });
    const row = await t.invoiceOfCode();
    const kinds = async () =>
      (
        await t.app.ctx.database.db
          .select({ kind: invoiceFiles.kind })
          .from(invoiceFiles)
          .where(eq(invoiceFiles.invoiceId, row.id))
      )
        .map((k) => k.kind)
        .sort();
    // The channel's files only: our rendering is not made while nobody asks for it.
    expect(await kinds()).toEqual(["ofd", "pdf", "xml"]);
    const pdf = await t.app.http.inject({
      method: "GET",
      url: `/api/scan/${t.code.token}/invoices/${row.id}.pdf`,
    });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.body).toBe(`%PDF standin ${row.number}`);
    const ofd = await t.app.http.inject({
      method: "GET",
      url: `/api/scan/${t.code.token}/invoices/${row.id}.ofd`,
    });
    expect(ofd.headers["content-type"]).toBe("application/ofd");
    expect(ofd.body).toBe(`%OFD standin ${row.number}`);
    expect((await t.app.ctx.providers.files.get(row.id, "xml"))?.toString()).toContain(
      `number="${row.number}"`,
    );
    expect(row.channelData).not.toHaveProperty("pendingFiles");
    // Through the console's download route: the legal PDF (the channel's), and ours as the preview.
    const user = await makeUser(t.app.ctx.database, { orgIds: [t.org.id] });
    const operator = await loginAs(t.app, user.username, user.password);
    const legal = await operator.get(`/orgs/${t.org.id}/invoices/${row.id}/files/pdf`);
    expect(legal.statusCode).toBe(200);
    expect(legal.body).toBe(`%PDF standin ${row.number}`);
    const preview = await operator.get(`/orgs/${t.org.id}/invoices/${row.id}/files/preview_pdf`);
    expect(preview.statusCode).toBe(200);
    expect(preview.headers["content-disposition"]).toContain(`filename="${row.number}.preview.pdf"`);
    expect(preview.rawPayload.subarray(0, 5).toString()).toBe("%PDF-");
    // Rendered once and stored: asked again, the same bytes from the store.
    expect(await kinds()).toEqual(["ofd", "pdf", "preview_pdf", "xml"]);
    expect((await t.app.ctx.providers.files.get(row.id, "preview_pdf"))?.equals(preview.rawPayload)).toBe(
      true,
    );
    const again = await operator.get(`/orgs/${t.org.id}/invoices/${row.id}/files/preview_pdf`);
    expect(again.rawPayload.equals(preview.rawPayload)).toBe(true);
    const previewXml = await operator.get(`/orgs/${t.org.id}/invoices/${row.id}/files/preview_xml`);
    expect(previewXml.statusCode).toBe(200);
    expect(previewXml.body).toContain(row.number);
    expect(await kinds()).toEqual(["ofd", "pdf", "preview_pdf", "preview_xml", "xml"]);
  });

  it("files from a host outside the allowed list are not fetched: the invoice is issued with our files as the preview, and the sweep fetches them once allowed", async () => {
    const t = await issuingApp(kind, { clerk: "王五", fileHosts: "files.example.com" });
    await t.control("scenario", { pendingMs: 1000 });
    expect((await t.submit()).json()).toMatchObject({ status: "issuing" });
    expect(await t.view()).toMatchObject({ invoices: [{ status: "issued" }] });
    const row = await t.invoiceOfCode();
    expect(row.status).toBe("issued");
    expect((row.channelData as { pendingFiles: unknown[] }).pendingFiles).toHaveLength(3);
    // Until then, downloads serve our rendering.
    const before = await t.app.http.inject({
      method: "GET",
      url: `/api/scan/${t.code.token}/invoices/${row.id}.pdf`,
    });
    expect(before.body.startsWith("%PDF-")).toBe(true);

    const account = await t.account();
    const url = new URL(String((account.settings as Record<string, unknown>).apiUrl));
    await t.app.ctx.database.db
      .update(taxBureauAccounts)
      .set({ settings: { ...(account.settings as object), fileHosts: url.hostname } })
      .where(eq(taxBureauAccounts.id, account.id));
    await t.app.ctx.database.db
      .update(invoices)
      .set({ nextAttemptAt: sql`now() - interval '1 second'` })
      .where(eq(invoices.id, row.id));
    const sweeper = new Sweeper(pino({ level: "silent" }));
    sweeper.define(channelFilesSweep(t.app.ctx));
    expect(await sweeper.sweepOnce(CHANNEL_FILES_SWEEP)).toBe(1);
    const after = await t.invoiceOfCode();
    expect(after).toMatchObject({ status: "issued", nextAttemptAt: null });
    expect(after.channelData).not.toHaveProperty("pendingFiles");
    const pdf = await t.app.http.inject({
      method: "GET",
      url: `/api/scan/${t.code.token}/invoices/${row.id}.pdf`,
    });
    expect(pdf.body).toBe(`%PDF standin ${row.number}`);
  });
});
