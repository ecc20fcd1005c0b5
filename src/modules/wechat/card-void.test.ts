import fs from "node:fs";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import type { Actor } from "../../context";
import { migrationsFolder } from "../../platform/db/migrate";
import { invoices, orgIntegrations, wechatInvoiceCards } from "../../platform/db/schema";
import { Sweeper } from "../../platform/sweeper";
import type { RunningStandin } from "../../standins/server";
import { standinControl } from "../../standins/server";
import { createWechatStandin, DEFAULT_WECHAT_APP } from "../../standins/wechat/wechat-standin";
import { getInvoiceForConsole } from "../invoices/invoices.console.service";
import { reverseInvoice } from "../invoices/reversal.service";
import { WECHAT_CARD } from "./card.mapping";
import { CARD_VOID_SWEEP, cardVoidSweep } from "./card-void";
import { CARD_VOID_MAX_DELAY_SECONDS, cardVoidDelaySeconds } from "./invoice-card";

/**
 * 红冲 voids the consumer's 微信卡包 card (CHANNELS.md §5.3 updatestatus INVOICE_REIMBURSE_CANCEL):
 * recorded in the red invoice's transaction, done by the card-void sweep (run by hand here, the
 * app's own sweeps stopped), against the WeChat stand-in. On both databases: the marking and the
 * sweep's claim are SQL of their own.
 */
describeEachDatabase("微信卡包 card voided after 红冲", (kind) => {
  const wechat = createWechatStandin();
  let api: RunningStandin;
  let app: TestApp;
  let orgId: string;
  let sweeper: Sweeper;
  let actor: Actor;

  beforeAll(async () => {
    api = await wechat.start();
    app = await createTestApp(kind, {
      startJobs: false,
      env: { PIAOMA_WECHAT_API_URL: api.url },
      tuning: { deliveryRetrySeconds: 60 },
    });
    sweeper = new Sweeper(pino({ level: "silent" }));
    sweeper.define(cardVoidSweep(app.ctx));
    orgId = (await makeOrganization(app.ctx.database, { name: "卡包红冲测试餐饮有限公司" })).id;
    actor = { type: "app", appKey: "test-app", orgId };
    await app.ctx.database.db.insert(orgIntegrations).values({
      orgId,
      wechatAppId: DEFAULT_WECHAT_APP.appId,
      wechatSecretCiphertext: app.ctx.keyring.encrypt(DEFAULT_WECHAT_APP.secret),
      wechatInvoiceSPappid: DEFAULT_WECHAT_APP.sPappid!,
      wechatInvoiceCardId: DEFAULT_WECHAT_APP.cardId!,
    });
  });
  afterAll(async () => {
    await app?.close();
    await api?.close();
  });

  /** An issued blue invoice (the factory's receipt: 800.00 in two reversible lines). */
  async function issued() {
    const code = await makeReceiptCode(app.ctx, orgId);
    const res = await app.http.inject({
      method: "POST",
      url: `/api/scan/${code.token}/submit`,
      payload: {
        invoiceType: "digital_normal",
        buyer: { type: "enterprise", name: "杭州某某贸易有限公司", taxId: makeUscc("91330100") },
        email: "void.buyer@example.com",
      },
    });
    expect(res.json().status, res.body).toBe("issued");
    return { token: code.token, invoiceId: res.json().invoices[0].id as string };
  }
  const start = (token: string, invoiceId: string) =>
    app.http.inject({ method: "POST", url: `/api/scan/${token}/invoices/${invoiceId}/wechat-card` });
  const check = (token: string, invoiceId: string) =>
    app.http.inject({ method: "POST", url: `/api/scan/${token}/invoices/${invoiceId}/wechat-card/check` });
  const rowOf = async (invoiceId: string) =>
    (
      await app.ctx.database.db
        .select()
        .from(wechatInvoiceCards)
        .where(eq(wechatInvoiceCards.invoiceId, invoiceId))
    )[0]!;
  const view = async (token: string) =>
    (
      await app.http.inject({ method: "GET", url: `/api/scan/${token}`, headers: { "x-piaoma-poll": "1" } })
    ).json();
  const cardOfView = async (token: string, invoiceId: string) =>
    (await view(token)).invoices.find((i: { id: string }) => i.id === invoiceId)?.wechatCard;
  const consoleCard = async (invoiceId: string) =>
    (
      await getInvoiceForConsole(app.ctx, {
        actor: {
          type: "user",
          userId: "usr_test",
          username: "viewer",
          roles: new Map([[orgId, "viewer" as const]]),
          orgIds: [orgId],
        },
        orgId,
        id: invoiceId,
      })
    ).wechatCard;
  /** The stand-in's card (by the code insert answered). */
  const cardAtWechat = (code: string | null) =>
    wechat.orders().find((o) => o.inserted?.code === code)?.inserted;
  const makeDue = (invoiceId: string) =>
    app.ctx.database.db
      .update(wechatInvoiceCards)
      .set({ nextAttemptAt: sql`now() - interval '1 second'` })
      .where(eq(wechatInvoiceCards.invoiceId, invoiceId));
  const status = async (id: string) =>
    (await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, id)))[0]!.status;

  /** An issued invoice whose card the consumer put into their 卡包. */
  async function inserted() {
    const { token, invoiceId } = await issued();
    await start(token, invoiceId);
    wechat.authorize((await rowOf(invoiceId)).orderId);
    expect((await check(token, invoiceId)).json()).toEqual({ status: "inserted" });
    const row = await rowOf(invoiceId);
    expect(cardAtWechat(row.cardCode)?.reimburseStatus).toBe("INVOICE_REIMBURSE_INIT");
    return { token, invoiceId, code: row.cardCode };
  }

  it("a red invoice reversing it wholly records the void with it; the sweep voids the card at WeChat; both pages show it", async () => {
    const { token, invoiceId, code } = await inserted();
    const before = wechat.cardCalls().updatestatus;
    const { red } = await reverseInvoice(app.ctx, { actor, invoiceId, reason: "开票有误" });
    expect(await status(red.id)).toBe("issued");
    expect(await status(invoiceId)).toBe("reversed");
    // Recorded by the red invoice's transaction, nothing called yet.
    expect(await rowOf(invoiceId)).toMatchObject({ status: "voiding", voidRedInvoiceId: red.id });
    expect(wechat.cardCalls().updatestatus).toBe(before);

    expect(await sweeper.sweepOnce(CARD_VOID_SWEEP)).toBe(1);
    expect(wechat.cardCalls().updatestatus).toBe(before + 1);
    expect(cardAtWechat(code)?.reimburseStatus).toBe("INVOICE_REIMBURSE_CANCEL");
    const row = await rowOf(invoiceId);
    expect(row).toMatchObject({ status: "voided", error: null, voidAttempts: 1, nextAttemptAt: null });
    expect(row.voidedAt).toBeInstanceOf(Date);
    // Nothing more to do.
    expect(await sweeper.sweepOnce(CARD_VOID_SWEEP)).toBe(0);

    // The consumer's re-scan and the operator's invoice detail show it; 加入微信卡包 is refused.
    expect(await cardOfView(token, invoiceId)).toEqual({ status: "voided" });
    expect(await consoleCard(invoiceId)).toMatchObject({ status: "voided", error: null });
    const again = await start(token, invoiceId);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toContain("已红冲");
    // The red invoice is no card either.
    expect(await cardOfView(token, red.id)).toBeUndefined();
  });

  it("WeChat down: the card stays voiding with the error, is retried after a backoff, and voided once WeChat is back", async () => {
    const { invoiceId, code } = await inserted();
    await reverseInvoice(app.ctx, { actor, invoiceId, reason: "服务中止" });
    await standinControl(api.url, "fail", { endpoint: "updatestatus", status: 503 });

    expect(await sweeper.sweepOnce(CARD_VOID_SWEEP)).toBe(1);
    const failed = await rowOf(invoiceId);
    expect(failed).toMatchObject({ status: "voiding", voidAttempts: 1, voidUnanswered: true });
    expect(failed.error).toContain("503");
    // The first retry one deliveryRetrySeconds (60 s) later: not before.
    const delay = failed.nextAttemptAt!.getTime() - failed.updatedAt.getTime();
    expect(delay).toBeGreaterThanOrEqual(59_000);
    expect(delay).toBeLessThanOrEqual(61_000);
    expect(await sweeper.sweepOnce(CARD_VOID_SWEEP)).toBe(0);
    expect(cardAtWechat(code)?.reimburseStatus).toBe("INVOICE_REIMBURSE_INIT");
    expect(await consoleCard(invoiceId)).toMatchObject({ status: "voiding" });

    await makeDue(invoiceId);
    expect(await sweeper.sweepOnce(CARD_VOID_SWEEP)).toBe(1);
    expect(await rowOf(invoiceId)).toMatchObject({ status: "voided", error: null, voidAttempts: 2 });
    expect(cardAtWechat(code)?.reimburseStatus).toBe("INVOICE_REIMBURSE_CANCEL");
  });

  it("no token to be had: retried too, and not taken for a call WeChat may have acted on", async () => {
    const { invoiceId, code } = await inserted();
    await reverseInvoice(app.ctx, { actor, invoiceId, reason: "开票有误" });
    // The kept token is revoked (updatestatus answers 40001) and a new one cannot be fetched.
    await standinControl(api.url, "revoke", {});
    await standinControl(api.url, "fail", { endpoint: "token", status: 503 });
    expect(await sweeper.sweepOnce(CARD_VOID_SWEEP)).toBe(1);
    const failed = await rowOf(invoiceId);
    expect(failed).toMatchObject({ status: "voiding", voidAttempts: 1, voidUnanswered: false });
    expect(failed.error).toContain("503");
    await makeDue(invoiceId);
    expect(await sweeper.sweepOnce(CARD_VOID_SWEEP)).toBe(1);
    expect(await rowOf(invoiceId)).toMatchObject({ status: "voided", voidAttempts: 2 });
    expect(cardAtWechat(code)?.reimburseStatus).toBe("INVOICE_REIMBURSE_CANCEL");
  });

  it("WeChat's refusal is shown to the operator (and the consumer sees the card voided); retried until WeChat accepts", async () => {
    const { token, invoiceId, code } = await inserted();
    await reverseInvoice(app.ctx, { actor, invoiceId, reason: "开票有误" });
    await standinControl(api.url, "fail", {
      endpoint: "updatestatus",
      errcode: 72015,
      errmsg: "unauthorized",
      times: 2,
    });
    expect(await sweeper.sweepOnce(CARD_VOID_SWEEP)).toBe(1);
    const card = await consoleCard(invoiceId);
    expect(card.status).toBe("voiding");
    expect(card.error).toContain("72015 unauthorized");
    expect(card.error).toContain("将自动重试");
    expect(await cardOfView(token, invoiceId)).toEqual({ status: "voiding" });
    expect((await start(token, invoiceId)).statusCode).toBe(409);

    // Refused again: the wait doubles.
    await makeDue(invoiceId);
    expect(await sweeper.sweepOnce(CARD_VOID_SWEEP)).toBe(1);
    const second = await rowOf(invoiceId);
    expect(second).toMatchObject({ status: "voiding", voidAttempts: 2, voidUnanswered: false });
    expect(second.nextAttemptAt!.getTime() - second.updatedAt.getTime()).toBeGreaterThanOrEqual(119_000);

    await makeDue(invoiceId);
    expect(await sweeper.sweepOnce(CARD_VOID_SWEEP)).toBe(1);
    expect((await consoleCard(invoiceId)).status).toBe("voided");
    expect(cardAtWechat(code)?.reimburseStatus).toBe("INVOICE_REIMBURSE_CANCEL");
  });

  it("a card never inserted: nothing is called; one being authorised is never inserted after the reversal", async () => {
    const none = await issued();
    const authorizing = await issued();
    await start(authorizing.token, authorizing.invoiceId);
    const calls = wechat.cardCalls();

    await reverseInvoice(app.ctx, { actor, invoiceId: none.invoiceId, reason: "开票有误" });
    await reverseInvoice(app.ctx, { actor, invoiceId: authorizing.invoiceId, reason: "开票有误" });
    expect(await sweeper.sweepOnce(CARD_VOID_SWEEP)).toBe(0);
    expect(wechat.cardCalls().updatestatus).toBe(calls.updatestatus);
    expect((await rowOf(authorizing.invoiceId)).status).toBe("authorizing");

    // The user authorises afterwards: no card goes in for the reversed invoice.
    wechat.authorize((await rowOf(authorizing.invoiceId)).orderId);
    expect((await check(authorizing.token, authorizing.invoiceId)).json()).toEqual({ status: "failed" });
    expect(wechat.cardCalls()).toMatchObject({ insert: calls.insert, setpdf: calls.setpdf });
    // Neither is offered any more (a reversed invoice is not added to the 卡包).
    expect(await cardOfView(none.token, none.invoiceId)).toBeUndefined();
    expect(await cardOfView(authorizing.token, authorizing.invoiceId)).toBeUndefined();
    expect((await start(none.token, none.invoiceId)).statusCode).toBe(409);
  });

  it("a start that slipped in just before the red invoice committed (no mark on the card) inserts nothing either", async () => {
    const { token, invoiceId } = await issued();
    await start(token, invoiceId);
    const calls = wechat.cardCalls();
    // The card was not being authorised when the red invoice committed (so it is not marked)…
    const setStatus = (status: string) =>
      app.ctx.database.db
        .update(wechatInvoiceCards)
        .set({ status })
        .where(eq(wechatInvoiceCards.invoiceId, invoiceId));
    await setStatus("failed");
    await reverseInvoice(app.ctx, { actor, invoiceId, reason: "开票有误" });
    expect((await rowOf(invoiceId)).voidRedInvoiceId).toBeNull();
    // …and the start that passed its check before that commit then gets the user's authorisation.
    await setStatus("authorizing");
    wechat.authorize((await rowOf(invoiceId)).orderId);
    expect((await check(token, invoiceId)).json()).toEqual({ status: "failed" });
    expect(wechat.cardCalls()).toMatchObject({ insert: calls.insert, setpdf: calls.setpdf });
  });

  it("a PARTIAL red (部分红冲) voids the card too: it would still claim the full amount", async () => {
    const { token, invoiceId, code } = await inserted();
    const { red } = await reverseInvoice(app.ctx, {
      actor,
      invoiceId,
      reason: "销货退回",
      lines: [{ lineNo: 1 }],
    });
    expect(await status(red.id)).toBe("issued");
    expect(await status(invoiceId)).toBe("partially_reversed");
    expect(await rowOf(invoiceId)).toMatchObject({ status: "voiding", voidRedInvoiceId: red.id });
    expect(await sweeper.sweepOnce(CARD_VOID_SWEEP)).toBe(1);
    expect(cardAtWechat(code)?.reimburseStatus).toBe("INVOICE_REIMBURSE_CANCEL");
    expect(await cardOfView(token, invoiceId)).toEqual({ status: "voided" });
    expect((await start(token, invoiceId)).statusCode).toBe(409);

    // The rest reversed later: the card stays voided, WeChat is not asked again.
    const calls = wechat.cardCalls().updatestatus;
    await reverseInvoice(app.ctx, { actor, invoiceId, reason: "销货退回", lines: [{ lineNo: 2 }] });
    expect(await status(invoiceId)).toBe("reversed");
    expect(await rowOf(invoiceId)).toMatchObject({ status: "voided", voidRedInvoiceId: red.id });
    expect(await sweeper.sweepOnce(CARD_VOID_SWEEP)).toBe(0);
    expect(wechat.cardCalls().updatestatus).toBe(calls);
  });

  it("WeChat refuses a second void ([G] 72024): after an unanswered call it means done, otherwise a refusal", async () => {
    const { invoiceId, code } = await inserted();
    await reverseInvoice(app.ctx, { actor, invoiceId, reason: "开票有误" });
    expect(await sweeper.sweepOnce(CARD_VOID_SWEEP)).toBe(1);
    expect(cardAtWechat(code)?.reimburseStatus).toBe("INVOICE_REIMBURSE_CANCEL");

    // As if the process had died after WeChat voided the card: voiding again, with no answer recorded.
    const again = () =>
      app.ctx.database.db
        .update(wechatInvoiceCards)
        .set({ status: "voiding", nextAttemptAt: sql`now() - interval '1 second'`, voidUnanswered: true })
        .where(eq(wechatInvoiceCards.invoiceId, invoiceId));
    await again();
    expect(await sweeper.sweepOnce(CARD_VOID_SWEEP)).toBe(1);
    expect(await rowOf(invoiceId)).toMatchObject({ status: "voided", error: null });

    // Without an unanswered call before, the same answer is WeChat refusing: the operator sees it.
    await again();
    await app.ctx.database.db
      .update(wechatInvoiceCards)
      .set({ voidUnanswered: false })
      .where(eq(wechatInvoiceCards.invoiceId, invoiceId));
    expect(await sweeper.sweepOnce(CARD_VOID_SWEEP)).toBe(1);
    const refused = await rowOf(invoiceId);
    expect(refused.status).toBe("voiding");
    expect(refused.error).toContain(String(WECHAT_CARD.statusNotChangeable));
  });

  it("migration 0032 queues the cards of invoices reversed before it (its UPDATE, run again on such a card)", async () => {
    const { invoiceId, code } = await inserted();
    const { red } = await reverseInvoice(app.ctx, { actor, invoiceId, reason: "开票有误" });
    // As before 0032: the reversal left the card inserted, nothing recorded.
    await app.ctx.database.db
      .update(wechatInvoiceCards)
      .set({ status: "inserted", voidRedInvoiceId: null, nextAttemptAt: null })
      .where(eq(wechatInvoiceCards.invoiceId, invoiceId));
    const migration = fs.readFileSync(path.join(migrationsFolder, "0032_card_void.sql"), "utf8");
    const backfill = migration.split("--> statement-breakpoint").at(-1)!;
    expect(backfill).toContain("UPDATE");
    await app.ctx.database.executeSql(backfill, []);
    expect(await rowOf(invoiceId)).toMatchObject({ status: "voiding", voidRedInvoiceId: red.id });
    expect(await sweeper.sweepOnce(CARD_VOID_SWEEP)).toBe(1);
    expect(cardAtWechat(code)?.reimburseStatus).toBe("INVOICE_REIMBURSE_CANCEL");
  });
});

describe("the stand-in's updatestatus", () => {
  const wechat = createWechatStandin();
  let api: RunningStandin;
  beforeAll(async () => {
    api = await wechat.start();
  });
  afterAll(async () => {
    await api?.close();
  });
  const post = async (path: string, token: string, body: unknown) =>
    (
      await fetch(`${api.url}${path}?access_token=${encodeURIComponent(token)}`, {
        method: "POST",
        body: JSON.stringify(body),
      })
    ).json();

  it("checks the token, the card_id, the code and the status value", async () => {
    const token = (
      await (
        await fetch(
          `${api.url}/cgi-bin/token?grant_type=client_credential&appid=${DEFAULT_WECHAT_APP.appId}&secret=${DEFAULT_WECHAT_APP.secret}`,
        )
      ).json()
    ).access_token as string;
    const body = {
      card_id: DEFAULT_WECHAT_APP.cardId,
      code: "no-such-code",
      reimburse_status: "INVOICE_REIMBURSE_CANCEL",
    };
    const path = "/card/invoice/platform/updatestatus";
    expect((await post(path, "not-a-token", body)).errcode).toBe(40001);
    expect((await post(path, token, { ...body, card_id: "pOther" })).errcode).toBe(WECHAT_CARD.invalidCardId);
    expect((await post(path, token, { ...body, reimburse_status: "CANCEL" })).errcode).toBe(
      WECHAT_CARD.invalidParams,
    );
    expect((await post(path, token, body)).errcode).toBe(WECHAT_CARD.invalidCode);
  });
});

describe("the void's backoff", () => {
  it("doubles from the base and stops growing at the cap", () => {
    expect(cardVoidDelaySeconds(30, 1)).toBe(30);
    expect(cardVoidDelaySeconds(30, 2)).toBe(60);
    expect(cardVoidDelaySeconds(30, 3)).toBe(120);
    expect(cardVoidDelaySeconds(30, 40)).toBe(CARD_VOID_MAX_DELAY_SECONDS);
  });
});
