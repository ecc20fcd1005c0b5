import { afterEach, beforeEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { describeOneDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { startKingdeeStandin } from "../../standins/kingdee";
import { createNuonuoStandin, DEFAULT_APP } from "../../standins/nuonuo/nuonuo-standin";
import { type RunningStandin, standinControl } from "../../standins/server";

let app: TestApp;
let standin: RunningStandin;
let admin: ConsoleClient;
let orgId: string;

describeOneDatabase("console 电子税局账号 on real channels", (kind) => {
  beforeEach(async () => {
    app = await createTestApp(kind, { startJobs: false, env: { PIAOMA_ALLOW_PRIVATE_URLS: "true" } });
    standin = await createNuonuoStandin().start();
    const org = await makeOrganization(app.ctx.database);
    orgId = org.id;
    const user = await makeUser(app.ctx.database, { role: "admin", orgIds: [org.id] });
    admin = await loginAs(app, user.username, user.password);
  });
  afterEach(async () => {
    await standin.close();
    await app.close();
  });

  it("lists the channels with their fields, saves a 诺诺 account with masked secrets, keeps them on edit, tests it", async () => {
    const channels = (await admin.get(`/orgs/${orgId}/tax-account-channels`)).json();
    expect(channels.map((c: { id: string }) => c.id)).toEqual(["sandbox", "nuonuo", "kingdee"]);
    expect(channels[1].fields).toContainEqual(expect.objectContaining({ key: "appSecret", secret: true }));

    const settings = {
      apiUrl: `${standin.url}/open/v1/services`,
      tokenUrl: `${standin.url}/accessToken`,
      appKey: DEFAULT_APP.appKey,
      appSecret: DEFAULT_APP.appSecret,
    };
    const created = await admin.post(`/orgs/${orgId}/tax-accounts`, {
      name: "诺诺",
      channel: "nuonuo",
      settings,
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().settings).toMatchObject({ appKey: DEFAULT_APP.appKey, appSecret: "******" });
    expect(created.body).not.toContain(DEFAULT_APP.appSecret);
    const id = created.json().id;
    const list = await admin.get(`/orgs/${orgId}/tax-accounts`);
    expect(list.body).not.toContain(DEFAULT_APP.appSecret);

    // An edit that sends the secret masked (or empty) keeps it: the connection still works.
    const edited = await admin.put(`/orgs/${orgId}/tax-accounts/${id}`, {
      name: "诺诺主账号",
      channel: "nuonuo",
      settings: { ...settings, appSecret: "******", extensionNumber: "8889" },
    });
    expect(edited.json()).toMatchObject({
      name: "诺诺主账号",
      settings: { extensionNumber: "8889", appSecret: "******" },
    });
    const ok = await admin.post(`/orgs/${orgId}/tax-accounts/${id}/test`, {});
    expect(ok.json()).toMatchObject({
      status: "online",
      message: "连接正常",
      creditLine: { total: "1000000.00" },
    });

    await standinControl(standin.url, "scenario", { session: "needsFaceAuth" });
    const face = (await admin.post(`/orgs/${orgId}/tax-accounts/${id}/test`, {})).json();
    expect(face).toMatchObject({
      status: "reauth",
      problem: "identity_verification_due",
      qrCode: { text: expect.any(String) },
    });
    expect(
      (await admin.get(`/orgs/${orgId}/tax-accounts`)).json().find((a: { id: string }) => a.id === id).status,
    ).toBe("reauth");
  });

  it("saves a 金蝶 account through its fields (secrets masked) and 测试连接 runs the account check", async () => {
    const channels = (await admin.get(`/orgs/${orgId}/tax-account-channels`)).json();
    const kingdee = channels.find((c: { id: string }) => c.id === "kingdee");
    expect(kingdee.fields.map((f: { key: string }) => f.key)).toEqual([
      "baseUrl",
      "appId",
      "appSecret",
      "accountId",
      "user",
      "userType",
      "businessSystemCode",
      "encryption",
      "aesPassword",
      "tenantId",
    ]);
    expect(kingdee.fields).toContainEqual(
      expect.objectContaining({
        key: "encryption",
        options: [expect.objectContaining({ value: "base64" }), expect.objectContaining({ value: "aes" })],
      }),
    );
    const kd = await startKingdeeStandin({
      tenant: { encryption: "aes", aesPassword: "tenant-aes-password" },
    });
    try {
      const settings = kd.adapterSettings();
      const created = await admin.post(`/orgs/${orgId}/tax-accounts`, {
        name: "金蝶",
        channel: "kingdee",
        settings,
      });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.json().settings).toMatchObject({
        appSecret: "******",
        aesPassword: "******",
        encryption: "aes",
      });
      expect(created.body).not.toContain(settings.appSecret);
      expect(created.body).not.toContain("tenant-aes-password");
      const id = created.json().id;
      const ok = (await admin.post(`/orgs/${orgId}/tax-accounts/${id}/test`, {})).json();
      expect(ok).toMatchObject({ status: "online", creditLine: { available: expect.any(String) } });
      kd.scenario({ session: "loggedOut" });
      const out = (await admin.post(`/orgs/${orgId}/tax-accounts/${id}/test`, {})).json();
      expect(out).toMatchObject({
        status: "reauth",
        problem: "logged_out",
        action: expect.stringContaining("电子税局"),
      });

      const bad = await admin.post(`/orgs/${orgId}/tax-accounts`, {
        name: "金蝶2",
        channel: "kingdee",
        settings: { ...settings, encryption: "aes", aesPassword: "", userType: "Email" },
      });
      expect(bad.statusCode).toBe(422);
      expect(bad.json().error.details.fields).toMatchObject({
        "settings.userType": expect.stringContaining("userType"),
      });
      const noPassword = await admin.post(`/orgs/${orgId}/tax-accounts`, {
        name: "金蝶2",
        channel: "kingdee",
        settings: { ...settings, aesPassword: "" },
      });
      expect(noPassword.json().error.details.fields).toMatchObject({
        "settings.aesPassword": expect.stringContaining("aesPassword"),
      });
    } finally {
      await kd.close();
    }
  });

  it("refuses bad settings at their fields and saves nothing", async () => {
    const res = await admin.post(`/orgs/${orgId}/tax-accounts`, {
      name: "诺诺",
      channel: "nuonuo",
      settings: { appKey: "k", apiUrl: "http://10.0.0.1/x" },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details.fields).toMatchObject({ "settings.appSecret": "缺少设置项 appSecret" });
    expect((await admin.get(`/orgs/${orgId}/tax-accounts`)).json()).toHaveLength(1);
  });
});
