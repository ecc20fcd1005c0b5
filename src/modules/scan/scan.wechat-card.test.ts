import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { describeOneDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { orgIntegrations, wechatInvoiceCards } from "../../platform/db/schema";
import type { RunningStandin } from "../../standins/server";
import { standinControl } from "../../standins/server";
import { createWechatStandin, DEFAULT_WECHAT_APP } from "../../standins/wechat/wechat-standin";
import { getInvoiceForConsole } from "../invoices/invoices.console.service";

describeOneDatabase("加入微信卡包 against the WeChat stand-in", (kind) => {
  const wechat = createWechatStandin();
  let api: RunningStandin;
  let app: TestApp;
  let orgId: string;
  let plainOrgId: string;

  beforeAll(async () => {
    api = await wechat.start();
    app = await createTestApp(kind, { env: { PIAOMA_WECHAT_API_URL: api.url } });
    orgId = (await makeOrganization(app.ctx.database, { name: "卡包测试餐饮有限公司" })).id;
    plainOrgId = (await makeOrganization(app.ctx.database)).id;
    const res = await app.ctx.database.db.insert(orgIntegrations).values({
      orgId,
      wechatAppId: DEFAULT_WECHAT_APP.appId,
      wechatSecretCiphertext: app.ctx.keyring.encrypt(DEFAULT_WECHAT_APP.secret),
      wechatInvoiceSPappid: DEFAULT_WECHAT_APP.sPappid!,
      wechatInvoiceCardId: DEFAULT_WECHAT_APP.cardId!,
    });
    expect(res).toBeDefined();
  });
  afterAll(async () => {
    await app?.close();
    await api?.close();
  });

  async function issued(org = orgId) {
    const code = await makeReceiptCode(app.ctx, org);
    const res = await app.http.inject({
      method: "POST",
      url: `/api/scan/${code.token}/submit`,
      headers: { "content-type": "application/json" },
      payload: {
        invoiceType: "digital_normal",
        buyer: { type: "enterprise", name: "杭州某某贸易有限公司", taxId: makeUscc("91330100") },
        email: "card.buyer@example.com",
      },
    });
    expect(res.json().status, res.body).toBe("issued");
    const invoice = res.json().invoices[0] as { id: string; number: string; totals: { totalAmount: string } };
    return { token: code.token, invoice };
  }
  const view = async (token: string) =>
    (
      await app.http.inject({ method: "GET", url: `/api/scan/${token}`, headers: { "x-piaoma-poll": "1" } })
    ).json();
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
    )[0];

  it("authorisation URL → the user authorises → setpdf → insert; the state follows on the re-scan", async () => {
    const { token, invoice } = await issued();
    expect((await view(token)).invoices[0].wechatCard).toEqual({ status: "none" });

    const started = await start(token, invoice.id);
    expect(started.statusCode).toBe(200);
    expect(started.json().status).toBe("authorizing");
    const authUrl = new URL(started.json().authUrl);
    expect(authUrl.searchParams.get("s_pappid")).toBe(DEFAULT_WECHAT_APP.sPappid);
    expect(authUrl.searchParams.get("redirect_url")).toBe(
      `${app.config.publicUrl}/s/${token}?wxcard=${invoice.id}`,
    );
    const [order] = wechat.orders();
    expect(order).toMatchObject({
      appId: DEFAULT_WECHAT_APP.appId,
      money: Math.round(Number(invoice.totals.totalAmount) * 100),
    });
    expect((await view(token)).invoices[0].wechatCard).toEqual({ status: "authorizing" });

    // Back before authorising: still waiting, nothing uploaded.
    expect((await check(token, invoice.id)).json()).toEqual({ status: "authorizing" });
    expect(wechat.cardCalls()).toMatchObject({ setpdf: 0, insert: 0 });

    wechat.authorize(order!.orderId);
    expect((await check(token, invoice.id)).json()).toEqual({ status: "inserted" });
    const inserted = wechat.orders()[0]!.inserted!;
    expect(inserted).toMatchObject({ billingNo: invoice.number, title: "杭州某某贸易有限公司" });
    expect(inserted.fee).toBe(Math.round(Number(invoice.totals.totalAmount) * 100));
    const row = await rowOf(invoice.id);
    expect(row).toMatchObject({ status: "inserted", cardCode: inserted.code, openid: inserted.openid });
    expect((await view(token)).invoices[0].wechatCard).toEqual({ status: "inserted" });
    // Added already: a second start is refused, a second check changes nothing.
    expect((await start(token, invoice.id)).statusCode).toBe(409);
    expect((await check(token, invoice.id)).json()).toEqual({ status: "inserted" });
    expect(wechat.cardCalls().insert).toBe(1);

    // The operator sees it in the invoice detail.
    const detail = await consoleDetail(invoice.id);
    expect(detail.wechatCard).toMatchObject({ status: "inserted", error: null });
  });

  it("the authorisation event only makes us ask WeChat; a forged event for an unauthorised order inserts nothing", async () => {
    const { token, invoice } = await issued();
    await start(token, invoice.id);
    const orderId = (await rowOf(invoice.id))!.orderId;
    const event = (id: string) =>
      app.http.inject({
        method: "POST",
        url: `/wechat/card-events/${orgId}`,
        headers: { "content-type": "text/xml" },
        payload: `<xml><ToUserName><![CDATA[gh_1]]></ToUserName><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[user_authorize_invoice]]></Event><SuccOrderId><![CDATA[${id}]]></SuccOrderId><AuthorizeAppId><![CDATA[${DEFAULT_WECHAT_APP.appId}]]></AuthorizeAppId><Source><![CDATA[web]]></Source></xml>`,
      });
    const forged = await event(orderId);
    expect(forged.statusCode).toBe(200);
    expect(forged.body).toBe("success");
    expect((await rowOf(invoice.id))?.status).toBe("authorizing");
    wechat.authorize(orderId);
    expect((await event(orderId)).body).toBe("success");
    expect((await rowOf(invoice.id))?.status).toBe("inserted");
    // An order of no invoice of ours: answered, nothing happens.
    expect((await event("wxo_not_ours")).body).toBe("success");
  });

  it("records WeChat's refusal as failed with its code for the operator, and a retry starts a new order", async () => {
    const { token, invoice } = await issued();
    await start(token, invoice.id);
    const first = (await rowOf(invoice.id))!.orderId;
    wechat.authorize(first);
    await standinControl(api.url, "fail", { endpoint: "insert", errcode: 72047, errmsg: "invalid invoice" });
    expect((await check(token, invoice.id)).json()).toEqual({ status: "failed" });
    expect((await rowOf(invoice.id))?.error).toContain("72047");
    expect((await view(token)).invoices[0].wechatCard).toEqual({ status: "failed" });
    const again = await start(token, invoice.id);
    expect(again.json().status).toBe("authorizing");
    expect((await rowOf(invoice.id))!.orderId).not.toBe(first);
  });

  it("a user who refuses on WeChat's page: failed; getauthurl refused: 503 and nothing offered as started", async () => {
    const { token, invoice } = await issued();
    await start(token, invoice.id);
    wechat.authorize((await rowOf(invoice.id))!.orderId, true);
    expect((await check(token, invoice.id)).json()).toEqual({ status: "failed" });

    const other = await issued();
    await standinControl(api.url, "fail", { endpoint: "getauthurl", errcode: 72015, errmsg: "unauthorized" });
    const refused = await start(other.token, other.invoice.id);
    expect(refused.statusCode).toBe(503);
    expect((await rowOf(other.invoice.id))?.status).toBe("failed");
  });

  it("is not offered for an organization without the 电子发票 plugin", async () => {
    const { token, invoice } = await issued(plainOrgId);
    expect((await view(token)).invoices[0].wechatCard).toBeUndefined();
    const res = await start(token, invoice.id);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toContain("未开通微信卡包");
  });

  async function consoleDetail(invoiceId: string) {
    return getInvoiceForConsole(app.ctx, {
      actor: {
        type: "user",
        userId: "usr_test",
        username: "viewer",
        roles: new Map([[orgId, "viewer" as const]]),
        orgIds: [orgId],
      },
      orgId,
      id: invoiceId,
    });
  }
});
