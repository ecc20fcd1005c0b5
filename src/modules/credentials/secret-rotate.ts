import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import type { Config } from "../../config";
import { Keyring, loadOrCreateMasterSecret } from "../../platform/crypto";
import type { Database } from "../../platform/db/client";
import {
  appCredentials,
  channelTokens,
  orgIntegrations,
  taxBureauAccounts,
  wechatTokens,
} from "../../platform/db/schema";
import { AppError } from "../../platform/errors";

/**
 * `piaoma secret:rotate`: re-encrypts what is stored under the master secret (the merchants' App
 * Secrets, the sealed secrets in tax-bureau accounts' channel settings, the channels' kept access
 * tokens, the organizations' 公众号 secrets and registry keys, WeChat's kept token and ticket) from the current secret (PIAOMA_SECRET, or the data folder's secret.key) to the new one
 * in PIAOMA_NEW_SECRET, in one transaction. A row that the new secret already opens is left as it
 * is, so running it again after an interruption is safe. When the current secret is the generated
 * file, the file is replaced (the old one kept as secret.key.old); otherwise the operator sets
 * PIAOMA_SECRET to the new value on every process afterwards. Signed file links handed out before
 * stop verifying (they expire within days anyway).
 */
/** How channel settings mark a sealed value (the channel registry writes it so). */
const SEALED_SETTING = "sealed:v1:";

export async function rotateMasterSecret(
  ctx: { database: Database; config: Config },
  newSecret: string | undefined,
): Promise<{ reencrypted: number; alreadyNew: number; secretFile?: string; next: string }> {
  if (!newSecret || newSecret.length < 32) {
    throw new AppError(
      "BAD_REQUEST",
      "secret:rotate reads the new secret from PIAOMA_NEW_SECRET (at least 32 characters, e.g. openssl rand -hex 32)",
    );
  }
  const current = loadOrCreateMasterSecret(ctx.config.secret, ctx.config.dataDir);
  if (current === newSecret) throw new AppError("BAD_REQUEST", "PIAOMA_NEW_SECRET is the current secret");
  const before = new Keyring(current);
  const after = new Keyring(newSecret);
  const opens = (keyring: Keyring, sealed: string) => {
    try {
      keyring.decrypt(sealed);
      return true;
    } catch {
      return false;
    }
  };
  const counts = await ctx.database.db.transaction(async (tx) => {
    let reencrypted = 0;
    let alreadyNew = 0;
    /** The value sealed under the new secret, or null when it is already. */
    const reseal = (sealed: string, what: string): string | null => {
      if (opens(after, sealed)) {
        alreadyNew += 1;
        return null;
      }
      let plain: string;
      try {
        plain = before.decrypt(sealed);
      } catch {
        throw new AppError(
          "VALIDATION_FAILED",
          `${what} opens with neither the current nor the new secret: nothing was changed`,
        );
      }
      reencrypted += 1;
      return after.encrypt(plain);
    };

    const credentials = await tx
      .select({ id: appCredentials.id, sealed: appCredentials.secretCiphertext })
      .from(appCredentials)
      .for("update");
    for (const row of credentials) {
      const next = reseal(row.sealed, `credential ${row.id}`);
      if (next)
        await tx.update(appCredentials).set({ secretCiphertext: next }).where(eq(appCredentials.id, row.id));
    }

    // Channel settings keep their secrets as "sealed:v1:" + the sealed text (channel-registry.ts).
    const accounts = await tx
      .select({ id: taxBureauAccounts.id, settings: taxBureauAccounts.settings })
      .from(taxBureauAccounts)
      .for("update");
    for (const account of accounts) {
      const settings = { ...((account.settings ?? {}) as Record<string, unknown>) };
      let changed = false;
      for (const [key, value] of Object.entries(settings)) {
        if (typeof value !== "string" || !value.startsWith(SEALED_SETTING)) continue;
        const next = reseal(
          value.slice(SEALED_SETTING.length),
          `tax-bureau account ${account.id} setting ${key}`,
        );
        if (next) {
          settings[key] = SEALED_SETTING + next;
          changed = true;
        }
      }
      if (changed)
        await tx.update(taxBureauAccounts).set({ settings }).where(eq(taxBureauAccounts.id, account.id));
    }

    const tokens = await tx
      .select({ key: channelTokens.key, sealed: channelTokens.tokenCiphertext })
      .from(channelTokens)
      .for("update");
    for (const token of tokens) {
      const next = reseal(token.sealed, `channel token ${token.key}`);
      if (next)
        await tx.update(channelTokens).set({ tokenCiphertext: next }).where(eq(channelTokens.key, token.key));
    }

    // The consumer page's services: 公众号 secrets, registry keys, WeChat's kept token and ticket.
    const integrations = await tx.select().from(orgIntegrations).for("update");
    for (const row of integrations) {
      const secret = row.wechatSecretCiphertext
        ? reseal(row.wechatSecretCiphertext, `organization ${row.orgId} 公众号 secret`)
        : null;
      const key = row.titleProviderKeyCiphertext
        ? reseal(row.titleProviderKeyCiphertext, `organization ${row.orgId} title provider key`)
        : null;
      if (secret || key)
        await tx
          .update(orgIntegrations)
          .set({
            ...(secret ? { wechatSecretCiphertext: secret } : {}),
            ...(key ? { titleProviderKeyCiphertext: key } : {}),
          })
          .where(eq(orgIntegrations.orgId, row.orgId));
    }
    const wechat = await tx.select().from(wechatTokens).for("update");
    for (const row of wechat) {
      const token = reseal(row.accessTokenCiphertext, `WeChat token ${row.key}`);
      const ticket = row.ticketCiphertext ? reseal(row.ticketCiphertext, `WeChat ticket ${row.key}`) : null;
      if (token || ticket)
        await tx
          .update(wechatTokens)
          .set({
            ...(token ? { accessTokenCiphertext: token } : {}),
            ...(ticket ? { ticketCiphertext: ticket } : {}),
          })
          .where(eq(wechatTokens.key, row.key));
    }
    return { reencrypted, alreadyNew };
  });
  if (!ctx.config.secret) {
    const file = path.join(ctx.config.dataDir, "secret.key");
    fs.copyFileSync(file, `${file}.old`);
    fs.writeFileSync(`${file}.new`, `${newSecret}\n`, { mode: 0o600 });
    fs.renameSync(`${file}.new`, file);
    return { ...counts, secretFile: file, next: "restart every process (they read secret.key at start)" };
  }
  return { ...counts, next: "set PIAOMA_SECRET to the new value on every process and restart them" };
}
