import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import type { Config } from "../../config";
import { Keyring, loadOrCreateMasterSecret } from "../../platform/crypto";
import type { Database } from "../../platform/db/client";
import { appCredentials } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";

/**
 * `piaoma secret:rotate`: re-encrypts what is stored under the master secret (the merchants' App
 * Secrets) from the current secret (PIAOMA_SECRET, or the data folder's secret.key) to the new one
 * in PIAOMA_NEW_SECRET, in one transaction. A row that the new secret already opens is left as it
 * is, so running it again after an interruption is safe. When the current secret is the generated
 * file, the file is replaced (the old one kept as secret.key.old); otherwise the operator sets
 * PIAOMA_SECRET to the new value on every process afterwards. Signed file links handed out before
 * stop verifying (they expire within days anyway).
 */
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
    const rows = await tx
      .select({ id: appCredentials.id, sealed: appCredentials.secretCiphertext })
      .from(appCredentials)
      .for("update");
    let reencrypted = 0;
    let alreadyNew = 0;
    for (const row of rows) {
      if (opens(after, row.sealed)) {
        alreadyNew += 1;
        continue;
      }
      let plain: string;
      try {
        plain = before.decrypt(row.sealed);
      } catch {
        throw new AppError(
          "VALIDATION_FAILED",
          `credential ${row.id} opens with neither the current nor the new secret: nothing was changed`,
        );
      }
      await tx
        .update(appCredentials)
        .set({ secretCiphertext: after.encrypt(plain) })
        .where(eq(appCredentials.id, row.id));
      reencrypted += 1;
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
