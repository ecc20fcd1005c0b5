import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { auditLog, orgIntegrations } from "../../platform/db/schema";
import type { RunningStandin } from "../../standins/server";
import { standinControl } from "../../standins/server";
import { createWechatStandin, type WechatApp } from "../../standins/wechat/wechat-standin";
import { sPappidOf } from "./card-setup";

/**
 * 开通微信卡包 through the console route against the WeChat stand-in: seturl → set_contact →
 * createcard with the organization's saved 公众号, s_pappid and card_id saved, a repeat reusing
 * them, a refusal reported with its step and WeChat's errcode/errmsg, admins only.
 */
const APP: WechatApp = { appId: "wx0a1b2c3d4e5f6071", secret: "0123456789abcdef0123456789abcdef" };
const BODY = {
  contactPhone: "0571-88886666",
  title: "杭州示例餐饮",
  logoUrl: "https://mmbiz.qpic.cn/logo.png",
};

describeEachDatabase("开通微信卡包", (kind) => {
  let wechat: ReturnType<typeof createWechatStandin>;
  let standin: RunningStandin;
  let app: TestApp;
  let orgId: string;
  let admin: ConsoleClient;
  let viewer: ConsoleClient;

  beforeAll(async () => {
    wechat = createWechatStandin({ apps: [APP] });
    standin = await wechat.start();
    app = await createTestApp(kind, { startJobs: false, env: { PIAOMA_WECHAT_API_URL: standin.url } });
    orgId = (await makeOrganization(app.ctx.database, { name: "杭州示例餐饮管理有限公司" })).id;
    const a = await makeUser(app.ctx.database, { orgIds: [orgId] });
    admin = await loginAs(app, a.username, a.password);
    const v = await makeUser(app.ctx.database, { orgIds: [orgId], role: "viewer" });
    viewer = await loginAs(app, v.username, v.password);
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await standin?.close();
  });
  beforeEach(async () => {
    await app.ctx.database.db.delete(orgIntegrations).where(eq(orgIntegrations.orgId, orgId));
    await app.ctx.database.db.insert(orgIntegrations).values({
      orgId,
      wechatAppId: APP.appId,
      wechatSecretCiphertext: app.ctx.keyring.encrypt(APP.secret),
    });
  });

  const setUp = (body: unknown) => admin.post(`/orgs/${orgId}/integrations/wechat-card`, body);
  const saved = async () =>
    (await app.ctx.database.db.select().from(orgIntegrations).where(eq(orgIntegrations.orgId, orgId)))[0]!;

  it("runs the three calls in order, saves s_pappid and card_id, and a repeat reuses them", async () => {
    const before = wechat.cardCalls();
    const res = await setUp(BODY);
    expect(res.statusCode, res.body).toBe(200);
    const out = res.json();
    const held = wechat.app(APP.appId)!;
    expect(out.ok).toBe(true);
    expect(out.steps.map((s: { step: string; status: string }) => [s.step, s.status])).toEqual([
      ["seturl", "done"],
      ["set_contact", "done"],
      ["createcard", "done"],
    ]);
    expect(out.steps[2].message).toContain(held.cardId);
    expect(held.contact).toEqual({ phone: "0571-88886666", timeOut: 7200 });
    expect(out.integrations).toMatchObject({
      wechatInvoiceSPappid: held.sPappid,
      wechatInvoiceCardId: held.cardId,
    });
    expect(await saved()).toMatchObject({
      wechatInvoiceSPappid: held.sPappid,
      wechatInvoiceCardId: held.cardId,
    });
    const after = wechat.cardCalls();
    expect([after.seturl - before.seturl, after.setbizattr - before.setbizattr]).toEqual([1, 1]);
    expect(after.createcard - before.createcard).toBe(1);
    const audit = await app.ctx.database.db.select().from(auditLog).where(eq(auditLog.entityId, orgId));
    expect(audit.filter((a) => a.action === "organization.integrations.wechat_card_setup")).toHaveLength(2);

    // Again: s_pappid and card_id are reused (no seturl, no createcard); set_contact is sent again.
    const again = (await setUp({ contactPhone: "13800138000" })).json();
    expect(again.ok).toBe(true);
    expect(again.steps.map((s: { status: string }) => s.status)).toEqual(["reused", "done", "reused"]);
    const last = wechat.cardCalls();
    expect([last.seturl, last.setbizattr, last.createcard]).toEqual([
      after.seturl,
      after.setbizattr + 1,
      after.createcard,
    ]);
    expect(wechat.app(APP.appId)!.contact?.phone).toBe("13800138000");
    expect((await saved()).wechatInvoiceCardId).toBe(held.cardId);
  });

  it("reports a refused step with WeChat's errcode and errmsg, keeps what succeeded, goes on from there", async () => {
    await standinControl(standin.url, "fail", { endpoint: "createcard", errcode: 72015, errmsg: "no auth" });
    const res = await setUp(BODY);
    expect(res.statusCode).toBe(200);
    const out = res.json();
    expect(out.ok).toBe(false);
    expect(out.steps[2]).toMatchObject({
      step: "createcard",
      status: "failed",
      errcode: 72015,
      errmsg: "no auth",
    });
    expect(out.steps[2].message).toContain("第 3 步");
    expect(out.steps[2].message).toContain("72015");
    const row = await saved();
    expect(row.wechatInvoiceSPappid).toBe(wechat.app(APP.appId)!.sPappid);
    expect(row.wechatInvoiceCardId).toBeNull();
    // The integrations form, saved in between, keeps that s_pappid (卡包 stays off without a card_id).
    const form = await admin.put(`/orgs/${orgId}/integrations`, {
      wechatAppId: APP.appId,
      wechatInvoiceSPappid: row.wechatInvoiceSPappid,
    });
    expect([form.statusCode, form.json().wechatInvoiceCardId]).toEqual([200, ""]);
    expect((await saved()).wechatInvoiceSPappid).toBe(row.wechatInvoiceSPappid);

    // The repeat goes on: s_pappid reused, the card created now.
    const seturls = wechat.cardCalls().seturl;
    const retry = (await setUp(BODY)).json();
    expect(retry.steps.map((s: { status: string }) => s.status)).toEqual(["reused", "done", "done"]);
    expect(wechat.cardCalls().seturl).toBe(seturls);
    expect((await saved()).wechatInvoiceCardId).toBe(wechat.app(APP.appId)!.cardId);
  });

  it("stops at a failed set_contact (the later step is skipped, nothing saved for it)", async () => {
    await app.ctx.database.db
      .update(orgIntegrations)
      .set({ wechatInvoiceSPappid: "keptPappid" })
      .where(eq(orgIntegrations.orgId, orgId));
    await standinControl(standin.url, "fail", { endpoint: "setbizattr", status: 503 });
    const creates = wechat.cardCalls().createcard;
    const out = (await setUp(BODY)).json();
    expect(out.ok).toBe(false);
    expect(out.steps.map((s: { status: string }) => s.status)).toEqual(["reused", "failed", "skipped"]);
    expect(out.steps[1].message).toContain("第 2 步");
    expect(wechat.cardCalls().createcard).toBe(creates);
    expect((await saved()).wechatInvoiceCardId).toBeNull();
  });

  it("the stand-in refuses a title over 9 characters and a createcard without logo", async () => {
    await app.ctx.database.db
      .update(orgIntegrations)
      .set({ wechatInvoiceSPappid: null })
      .where(eq(orgIntegrations.orgId, orgId));
    // Past our own check (which counts characters the same way) only by a direct call: the client.
    const account = { appId: APP.appId, secret: APP.secret };
    await app.ctx.providers.wechat.postJson(account, "/card/invoice/seturl", {});
    const card = (title: string, logo = "https://mmbiz.qpic.cn/l.png") =>
      app.ctx.providers.wechat.postJson(account, "/card/invoice/platform/createcard", {
        invoice_info: { base_info: { logo_url: logo, title }, payee: "某公司", type: "增值税电子普通发票" },
      });
    expect(await card("一二三四五六七八九十")).toMatchObject({ errcode: 72031 });
    expect(await card("一二三四五六七八九", "")).toMatchObject({ errcode: 72031 });
    expect(await card("一二三四五六七八九")).toMatchObject({ errcode: 0 });
  });

  it("refuses bad input at its fields, a missing 公众号, and a viewer — asking WeChat nothing", async () => {
    const calls = wechat.cardCalls();
    const long = await setUp({ ...BODY, title: "一二三四五六七八九十" });
    expect([long.statusCode, long.json().error.details.fields]).toEqual([
      422,
      { title: "卡券标题最多 9 个字" },
    ]);
    const noPhone = await setUp({ title: "示例" });
    expect(noPhone.statusCode).toBe(422);
    expect(Object.keys(noPhone.json().error.details.fields)).toEqual(["contactPhone"]);
    // The organization's name (12 characters) does not fit as the title; no logo.
    const defaults = await setUp({ contactPhone: "0571-88886666" });
    expect(defaults.json().error.details.fields).toEqual({
      title: "组织名称超过 9 个字，请填写卡券标题",
      logoUrl: "创建发票卡券模板需要 logo 地址",
    });
    expect((await viewer.post(`/orgs/${orgId}/integrations/wechat-card`, BODY)).statusCode).toBe(403);
    await app.ctx.database.db.delete(orgIntegrations).where(eq(orgIntegrations.orgId, orgId));
    const none = await setUp(BODY);
    expect([none.statusCode, Object.keys(none.json().error.details.fields)]).toEqual([422, ["wechatAppId"]]);
    expect(wechat.cardCalls()).toEqual(calls);
  });

  it("reads the s_pappid out of seturl's invoice_url", () => {
    expect(sPappidOf("https://mp.weixin.qq.com/bizmall/authinvoice?action=list&s_pappid=abc%3D%3D")).toBe(
      "abc==",
    );
    expect(sPappidOf("https://mp.weixin.qq.com/bizmall/authinvoice?action=list")).toBeNull();
    expect(sPappidOf(undefined)).toBeNull();
  });
});
