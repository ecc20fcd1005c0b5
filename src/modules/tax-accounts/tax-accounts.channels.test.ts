import { eq } from "drizzle-orm";
import pino from "pino";
import { afterEach, beforeEach, expect, it } from "vitest";
import { describeEachDatabase, openTestDatabase } from "../../../test/support/db";
import { makeUscc } from "../../../test/support/factories";
import type { Config } from "../../config";
import { systemActor } from "../../context";
import { Keyring } from "../../platform/crypto";
import type { Database } from "../../platform/db/client";
import { auditLog, receiptCodeConfigs, taxBureauAccounts } from "../../platform/db/schema";
import { createNuonuoStandin, DEFAULT_APP } from "../../standins/nuonuo/nuonuo-standin";
import { type RunningStandin, standinControl } from "../../standins/server";
import { MASK, maskSettings, openSettings } from "../invoices/channels/channel-registry";
import { createOrganization } from "../organizations/organizations.service";
import { createTaxAccountWithSettings, testTaxAccount } from "./tax-accounts.service";

const keyring = new Keyring("tax-accounts-test-secret");
let database: Database;
let standin: RunningStandin;
const actor = systemActor("test");

describeEachDatabase("tax-bureau accounts on real channels", (kind) => {
  beforeEach(async () => {
    database = await openTestDatabase(kind);
    standin = await createNuonuoStandin().start();
  });
  afterEach(async () => {
    await standin.close();
    await database.close();
  });

  const ctx = (allowPrivateUrls: boolean) => ({
    database,
    keyring,
    log: pino({ level: "silent" }),
    config: {
      allowPrivateUrls,
      tuning: { accountCheckSeconds: 60, accountCheckMaxSeconds: 3600 } as Config["tuning"],
    },
  });
  const nuonuo = () => ({
    apiUrl: `${standin.url}/open/v1/services`,
    tokenUrl: `${standin.url}/accessToken`,
    appKey: DEFAULT_APP.appKey,
    appSecret: DEFAULT_APP.appSecret,
  });

  it("creates a 诺诺 account with its secrets sealed, as the organization's default, and tests it", async () => {
    const taxId = makeUscc();
    const org = await createOrganization(
      { database },
      { actor, input: { name: "诺诺测试店", taxId, drawer: "王五" } },
    );
    const [config] = await database.db
      .select()
      .from(receiptCodeConfigs)
      .where(eq(receiptCodeConfigs.orgId, org.id));
    expect(config?.defaultDrawer).toBe("王五");

    const { id } = await createTaxAccountWithSettings(ctx(true), {
      actor,
      org: taxId,
      name: "诺诺",
      channel: "nuonuo",
      settings: { ...nuonuo(), accessToken: "" },
      makeDefault: true,
    });
    const [row] = await database.db.select().from(taxBureauAccounts).where(eq(taxBureauAccounts.id, id));
    const stored = row!.settings as Record<string, unknown>;
    expect(JSON.stringify(stored)).not.toContain(DEFAULT_APP.appSecret);
    expect(stored).toMatchObject({ appKey: DEFAULT_APP.appKey, extensionNumber: "" });
    expect(stored.accessToken).toBeUndefined();
    expect(openSettings(stored, keyring, ["appSecret"]).appSecret).toBe(DEFAULT_APP.appSecret);
    expect(maskSettings("nuonuo", stored).appSecret).toBe(MASK);
    const [after] = await database.db
      .select()
      .from(receiptCodeConfigs)
      .where(eq(receiptCodeConfigs.orgId, org.id));
    expect(after?.defaultTaxAccountId).toBe(id);
    const audits = await database.db.select().from(auditLog).where(eq(auditLog.entityId, id));
    expect(JSON.stringify(audits)).not.toContain(DEFAULT_APP.appSecret);

    expect(await testTaxAccount(ctx(true), { actor, id })).toMatchObject({
      status: "online",
      message: "连接正常",
    });
    await standinControl(standin.url, "scenario", { session: "loggedOut" });
    expect(await testTaxAccount(ctx(true), { actor, id })).toMatchObject({
      status: "reauth",
      problem: "logged_out",
    });
    const [tested] = await database.db.select().from(taxBureauAccounts).where(eq(taxBureauAccounts.id, id));
    expect(tested?.status).toBe("reauth");
  });

  it("names a missing or bad setting, refuses unknown channels and private URLs, and changes nothing", async () => {
    const taxId = makeUscc();
    await createOrganization({ database }, { actor, input: { name: "校验店", taxId } });
    const attempt = (channel: string, settings: unknown, allow = false) =>
      createTaxAccountWithSettings(ctx(allow), { actor, org: taxId, name: "账号", channel, settings }).catch(
        (e) => e,
      );

    expect(await attempt("nuonuo", { appKey: "k" })).toMatchObject({
      code: "VALIDATION_FAILED",
      details: { fields: { "settings.appSecret": "缺少设置项 appSecret" } },
    });
    expect(await attempt("nuonuo", { ...nuonuo(), apiUrl: "ftp://x", colour: "red" })).toMatchObject({
      details: {
        fields: { "settings.apiUrl": "apiUrl 必须是 http(s) 地址", "settings.colour": "未知的设置项 colour" },
      },
    });
    expect(await attempt("baiwang", {})).toMatchObject({
      details: { fields: { channel: expect.stringContaining("nuonuo") } },
    });
    expect(await attempt("nuonuo", nuonuo())).toMatchObject({
      details: { fields: { "settings.apiUrl": expect.stringContaining("PIAOMA_ALLOW_PRIVATE_URLS") } },
    });
    expect(
      await attempt("nuonuo", { ...nuonuo(), apiUrl: "http://[::ffff:7f00:1]/open/v1/services" }),
    ).toMatchObject({
      details: { fields: { "settings.apiUrl": expect.stringContaining("内网") } },
    });
    expect(await attempt("sandbox", { mode: "sideways" })).toMatchObject({
      details: { fields: { "settings.mode": expect.any(String) } },
    });
    expect(
      await database.db.select().from(taxBureauAccounts).where(eq(taxBureauAccounts.name, "账号")),
    ).toHaveLength(0);
    // Defaults fill what was left out.
    const { id } = await createTaxAccountWithSettings(ctx(false), {
      actor,
      org: taxId,
      name: "诺诺生产",
      channel: "nuonuo",
      settings: { appKey: "k", appSecret: "s" },
    });
    const [row] = await database.db.select().from(taxBureauAccounts).where(eq(taxBureauAccounts.id, id));
    expect(row?.settings).toMatchObject({
      apiUrl: "https://sdk.nuonuo.com/open/v1/services",
      tokenUrl: "https://open.nuonuo.com/accessToken",
    });
  });
});
