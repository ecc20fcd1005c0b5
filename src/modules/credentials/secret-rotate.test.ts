import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, expect, it } from "vitest";
import { describeEachDatabase, openTestDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { loadConfig } from "../../config";
import { systemActor } from "../../context";
import { Keyring } from "../../platform/crypto";
import type { Database } from "../../platform/db/client";
import {
  appCredentials,
  channelTokens,
  orgIntegrations,
  taxBureauAccounts,
  wechatTokens,
} from "../../platform/db/schema";
import { openSettings } from "../invoices/channels/channel-registry";
import { createTaxAccountWithSettings } from "../tax-accounts/tax-accounts.service";
import { createCredentials } from "./credentials.service";
import { rotateMasterSecret } from "./secret-rotate";

const OLD = "old-secret-old-secret-old-secret-old-00";
const NEW = "new-secret-new-secret-new-secret-new-00";
let database: Database | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await database?.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function setup(kind: Parameters<typeof openTestDatabase>[0], secret: string | undefined) {
  database = await openTestDatabase(kind);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-rotate-"));
  dirs.push(dataDir);
  const config = loadConfig({ PIAOMA_DATA_DIR: dataDir, ...(secret ? { PIAOMA_SECRET: secret } : {}) });
  if (!secret) fs.writeFileSync(path.join(dataDir, "secret.key"), `${OLD}\n`);
  const org = await makeOrganization(database);
  const keyring = new Keyring(OLD);
  const secrets = [];
  for (let i = 0; i < 3; i++) {
    secrets.push(
      (await createCredentials({ database, keyring }, { actor: systemActor("t"), org: org.id })).appSecret,
    );
  }
  return { ctx: { database, config }, secrets, dataDir };
}

describeEachDatabase("secret:rotate", (kind) => {
  it("re-encrypts every App Secret under the new secret; running it again changes nothing", async () => {
    const { ctx, secrets } = await setup(kind, OLD);
    expect(await rotateMasterSecret(ctx, NEW)).toMatchObject({ reencrypted: 3, alreadyNew: 0 });
    const rows = await ctx.database.db.select().from(appCredentials);
    expect(rows.map((r) => new Keyring(NEW).decrypt(r.secretCiphertext)).sort()).toEqual([...secrets].sort());
    for (const r of rows) expect(() => new Keyring(OLD).decrypt(r.secretCiphertext)).toThrow();
    expect(await rotateMasterSecret(ctx, NEW)).toMatchObject({ reencrypted: 0, alreadyNew: 3 });
  });

  it("re-seals the secrets in channel settings and the kept channel tokens too", async () => {
    const { ctx } = await setup(kind, OLD);
    const org = await makeOrganization(ctx.database);
    const { id } = await createTaxAccountWithSettings(
      { database: ctx.database, keyring: new Keyring(OLD), config: { allowPrivateUrls: true } },
      {
        actor: systemActor("t"),
        org: org.id,
        name: "诺诺",
        channel: "nuonuo",
        settings: { appKey: "key-1", appSecret: "the-app-secret", extensionNumber: "0" },
      },
    );
    await ctx.database.db.insert(channelTokens).values({
      key: "nuonuo:test",
      channel: "nuonuo",
      tokenCiphertext: new Keyring(OLD).encrypt("the-access-token"),
      obtainedAt: new Date(),
    });
    // 3 App Secrets, 1 sealed setting, 1 token.
    expect(await rotateMasterSecret(ctx, NEW)).toMatchObject({ reencrypted: 5, alreadyNew: 0 });
    const [account] = await ctx.database.db
      .select()
      .from(taxBureauAccounts)
      .where(eq(taxBureauAccounts.id, id));
    const stored = account!.settings as Record<string, unknown>;
    expect(openSettings(stored, new Keyring(NEW), ["appSecret"]).appSecret).toBe("the-app-secret");
    expect(() => openSettings(stored, new Keyring(OLD), ["appSecret"])).toThrow();
    const [token] = await ctx.database.db.select().from(channelTokens);
    expect(new Keyring(NEW).decrypt(token!.tokenCiphertext)).toBe("the-access-token");
    expect(await rotateMasterSecret(ctx, NEW)).toMatchObject({ reencrypted: 0, alreadyNew: 5 });
  });

  it("re-seals the organizations' 公众号 secrets and registry keys, and WeChat's kept token and ticket", async () => {
    const { ctx } = await setup(kind, OLD);
    const org = await makeOrganization(ctx.database);
    const old = new Keyring(OLD);
    await ctx.database.db.insert(orgIntegrations).values({
      orgId: org.id,
      wechatAppId: "wx0123456789abcdef",
      wechatSecretCiphertext: old.encrypt("the-wechat-secret"),
      titleProvider: "tianyancha",
      titleProviderKeyCiphertext: old.encrypt("the-registry-key"),
    });
    await ctx.database.db.insert(wechatTokens).values({
      key: "wechat:test",
      accessTokenCiphertext: old.encrypt("the-token"),
      accessTokenExpiresAt: new Date(),
      ticketCiphertext: old.encrypt("the-ticket"),
      ticketExpiresAt: new Date(),
    });
    // 3 App Secrets, 2 organization secrets, token and ticket.
    expect(await rotateMasterSecret(ctx, NEW)).toMatchObject({ reencrypted: 7, alreadyNew: 0 });
    const next = new Keyring(NEW);
    const [row] = await ctx.database.db.select().from(orgIntegrations);
    expect(next.decrypt(row!.wechatSecretCiphertext!)).toBe("the-wechat-secret");
    expect(next.decrypt(row!.titleProviderKeyCiphertext!)).toBe("the-registry-key");
    const [kept] = await ctx.database.db.select().from(wechatTokens);
    expect([next.decrypt(kept!.accessTokenCiphertext), next.decrypt(kept!.ticketCiphertext!)]).toEqual([
      "the-token",
      "the-ticket",
    ]);
    expect(await rotateMasterSecret(ctx, NEW)).toMatchObject({ reencrypted: 0, alreadyNew: 7 });
  });

  it("refuses a missing or short new secret, and a current secret that opens nothing, changing nothing", async () => {
    const { ctx } = await setup(kind, OLD);
    await expect(rotateMasterSecret(ctx, undefined)).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(rotateMasterSecret(ctx, OLD)).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const before = await ctx.database.db.select().from(appCredentials);
    const wrong = { ...ctx, config: { ...ctx.config, secret: "wrong-secret-wrong-secret-wrong-secret-0" } };
    await expect(rotateMasterSecret(wrong, NEW)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    expect(await ctx.database.db.select().from(appCredentials)).toEqual(before);
  });

  it("with the generated secret.key, replaces the file and keeps the old one", async () => {
    const { ctx, dataDir } = await setup(kind, undefined);
    const result = await rotateMasterSecret(ctx, NEW);
    expect(result).toMatchObject({ reencrypted: 3, secretFile: path.join(dataDir, "secret.key") });
    expect(fs.readFileSync(path.join(dataDir, "secret.key"), "utf8").trim()).toBe(NEW);
    expect(fs.readFileSync(path.join(dataDir, "secret.key.old"), "utf8").trim()).toBe(OLD);
    expect((fs.statSync(path.join(dataDir, "secret.key")).mode & 0o777).toString(8)).toBe("600");
  });
});
