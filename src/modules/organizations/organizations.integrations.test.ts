import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { loginAs, makeUser } from "../../../test/support/console";
import { makeOrganization, makeReceiptCode } from "../../../test/support/factories";
import { orgIntegrations } from "../../platform/db/schema";
import type { RunningStandin } from "../../standins/server";
import {
  createTianyanchaStandin,
  DEFAULT_TIANYANCHA_TOKEN,
} from "../../standins/tianyancha/tianyancha-standin";
import { createWechatStandin, DEFAULT_WECHAT_APP } from "../../standins/wechat/wechat-standin";
import { jsapiSignature } from "../wechat/jssdk";

/**
 * 扫码页抬头服务 from the console to the consumer API: the 公众号 and the registry key are sealed,
 * shown masked, kept when left empty; the consumer page learns which services exist and gets a
 * signed wx.config only for its own pages. One database (PGlite).
 */
describe("the organization's 抬头 services", () => {
  const wechat = createWechatStandin();
  const tyc = createTianyanchaStandin();
  let standin: RunningStandin;
  let registry: RunningStandin;
  let app: TestApp;
  let orgId: string;
  let admin: Awaited<ReturnType<typeof loginAs>>;
  let viewer: Awaited<ReturnType<typeof loginAs>>;

  beforeAll(async () => {
    standin = await wechat.start();
    registry = await tyc.start();
    app = await createTestApp("pglite", {
      env: {
        PIAOMA_WECHAT_API_URL: standin.url,
        PIAOMA_TIANYANCHA_API_URL: registry.url,
        PUBLIC_URL: "https://fapiao.example.com",
      },
    });
    orgId = (await makeOrganization(app.ctx.database)).id;
    const a = await makeUser(app.ctx.database, { orgIds: [orgId] });
    admin = await loginAs(app, a.username, a.password);
    const v = await makeUser(app.ctx.database, { orgIds: [orgId], role: "viewer" });
    viewer = await loginAs(app, v.username, v.password);
  });
  afterAll(async () => {
    await app?.close();
    await standin?.close();
    await registry?.close();
  });

  const wechatConfig = (token: string, url: string) =>
    app.http.inject({ method: "POST", url: `/api/scan/${token}/wechat-config`, payload: { url } });

  it("has none at first: the page offers neither, and wx.config is refused", async () => {
    expect((await admin.get(`/orgs/${orgId}/integrations`)).json()).toEqual({
      wechatAppId: "",
      wechatSecretMasked: "",
      titleProvider: "none",
      titleProviderKeyMasked: "",
      wechatInvoiceSPappid: "",
      wechatInvoiceCardId: "",
    });
    const code = await makeReceiptCode(app.ctx, orgId);
    const view = await app.http.inject({ method: "GET", url: `/api/scan/${code.token}` });
    expect(view.json().titleSources).toEqual({ wechat: false, lookup: false });
    const res = await wechatConfig(code.token, `https://fapiao.example.com/s/${code.token}`);
    expect([res.statusCode, res.json().error.code]).toEqual([404, "NOT_FOUND"]);
  });

  it("saves the 公众号 sealed and masked, keeps the secret when left empty, refuses bad values at their fields", async () => {
    const bad = await admin.put(`/orgs/${orgId}/integrations`, {
      wechatAppId: "wx123",
      wechatSecret: "short",
    });
    expect(bad.statusCode).toBe(422);
    expect(Object.keys(bad.json().error.details.fields).sort()).toEqual(["wechatAppId", "wechatSecret"]);
    const noSecret = await admin.put(`/orgs/${orgId}/integrations`, {
      wechatAppId: DEFAULT_WECHAT_APP.appId,
    });
    expect(noSecret.json().error.details.fields).toEqual({ wechatSecret: "请填写公众号 AppSecret" });
    expect((await viewer.put(`/orgs/${orgId}/integrations`, { wechatAppId: "" })).statusCode).toBe(403);

    const saved = await admin.put(`/orgs/${orgId}/integrations`, {
      wechatAppId: DEFAULT_WECHAT_APP.appId,
      wechatSecret: DEFAULT_WECHAT_APP.secret,
    });
    expect(saved.json()).toEqual({
      wechatAppId: DEFAULT_WECHAT_APP.appId,
      wechatSecretMasked: "3f7c••••2a2e".replace("2a2e", DEFAULT_WECHAT_APP.secret.slice(-4)),
      titleProvider: "none",
      titleProviderKeyMasked: "",
      wechatInvoiceSPappid: "",
      wechatInvoiceCardId: "",
    });
    expect(saved.body).not.toContain(DEFAULT_WECHAT_APP.secret);
    const [row] = await app.ctx.database.db
      .select()
      .from(orgIntegrations)
      .where(eq(orgIntegrations.orgId, orgId));
    expect(row?.wechatSecretCiphertext).not.toContain(DEFAULT_WECHAT_APP.secret);
    expect(app.ctx.keyring.decrypt(row!.wechatSecretCiphertext!)).toBe(DEFAULT_WECHAT_APP.secret);

    // Saved again without the secret (the form shows it masked): the sealed one stays.
    const again = await admin.put(`/orgs/${orgId}/integrations`, { wechatAppId: DEFAULT_WECHAT_APP.appId });
    expect(again.statusCode).toBe(200);
    const [after] = await app.ctx.database.db
      .select()
      .from(orgIntegrations)
      .where(eq(orgIntegrations.orgId, orgId));
    expect(after?.wechatSecretCiphertext).toBe(row?.wechatSecretCiphertext);
  });

  it("signs wx.config for the organization's consumer page, only for this deployment's /s/ pages", async () => {
    const code = await makeReceiptCode(app.ctx, orgId);
    const view = await app.http.inject({ method: "GET", url: `/api/scan/${code.token}` });
    expect(view.json().titleSources).toEqual({ wechat: true, lookup: false });
    const page = `https://fapiao.example.com/s/${code.token}`;
    const res = await wechatConfig(code.token, `${page}#form`);
    expect(res.statusCode).toBe(200);
    const config = res.json();
    expect(config.signature).toBe(
      jsapiSignature({
        ticket: wechat.tickets().at(-1)!,
        nonceStr: config.nonceStr,
        timestamp: config.timestamp,
        url: page,
      }),
    );
    const elsewhere = await wechatConfig(code.token, "https://evil.example.com/s/x");
    expect([elsewhere.statusCode, elsewhere.json().error.details.fields]).toEqual([
      422,
      { url: "只能为本站的扫码开票页签名" },
    ]);
    const unknown = await wechatConfig("unknowntoken1234", page);
    expect(unknown.statusCode).toBe(404);
    expect(wechat.calls()).toEqual({ token: 1, ticket: 1 });
  });

  it("switches 微信抬头 off with an empty AppID", async () => {
    await admin.put(`/orgs/${orgId}/integrations`, { wechatAppId: "" });
    const code = await makeReceiptCode(app.ctx, orgId);
    const view = await app.http.inject({ method: "GET", url: `/api/scan/${code.token}` });
    expect(view.json().titleSources.wechat).toBe(false);
  });

  it("looks titles up in the organization's registry service with its sealed key; without one nothing is asked", async () => {
    const code = await makeReceiptCode(app.ctx, orgId);
    const titles = async (q: string) =>
      (
        await app.http.inject({
          method: "GET",
          url: `/api/scan/${code.token}/titles?q=${encodeURIComponent(q)}`,
        })
      ).json();
    expect(await titles("杭州示例")).toEqual({ titles: [] });
    expect(tyc.searches()).toEqual([]);

    const noKey = await admin.put(`/orgs/${orgId}/integrations`, { titleProvider: "tianyancha" });
    expect(noKey.json().error.details.fields).toEqual({ titleProviderKey: "请填写抬头查询服务的密钥" });
    const saved = await admin.put(`/orgs/${orgId}/integrations`, {
      titleProvider: "tianyancha",
      titleProviderKey: DEFAULT_TIANYANCHA_TOKEN,
    });
    expect(saved.json()).toMatchObject({
      titleProvider: "tianyancha",
      titleProviderKeyMasked: "tyc-••••5a6b",
    });
    const view = await app.http.inject({ method: "GET", url: `/api/scan/${code.token}` });
    expect(view.json().titleSources).toEqual({ wechat: false, lookup: true });

    expect(await titles("杭州示例")).toEqual({
      titles: [
        { name: "杭州示例网络科技有限公司", taxId: "91330106MA2B0000X1", type: "enterprise" },
        { name: "杭州示例餐饮管理有限公司", taxId: "91330105MA2C1111Y2", type: "enterprise" },
      ],
    });
    // One character is not enough to ask.
    expect(await titles("杭")).toEqual({ titles: [] });
    expect(tyc.searches()).toEqual(["杭州示例"]);

    // A refused key: the consumer gets no suggestions (logged), never an error page.
    await app.ctx.database.db
      .update(orgIntegrations)
      .set({ titleProviderKeyCiphertext: app.ctx.keyring.encrypt("revoked-key") })
      .where(eq(orgIntegrations.orgId, orgId));
    expect(await titles("上海示例")).toEqual({ titles: [] });

    await admin.put(`/orgs/${orgId}/integrations`, { titleProvider: "none" });
    expect(await titles("北京百度")).toEqual({ titles: [] });
    expect(tyc.searches()).toEqual(["杭州示例", "上海示例"]);
  });
});
