import { randomBytes } from "node:crypto";
import { and, desc, eq } from "drizzle-orm";
import type { Actor, AppContext } from "../../context";
import type { DbOrTx } from "../../platform/db/client";
import { appCredentials } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { recordAudit } from "../audit/audit.service";
import { getOrganizationByIdOrTaxId } from "../organizations/organizations.service";

export interface IssuedCredentials {
  appKey: string;
  /** Shown once; only its encryption is stored. */
  appSecret: string;
  orgId: string;
}

/** Issues an app key and secret for the open API of one organization. */
export async function createCredentials(
  ctx: Pick<AppContext, "database" | "keyring">,
  options: { actor: Actor; org: string; label?: string },
): Promise<IssuedCredentials> {
  const org = await getOrganizationByIdOrTaxId(ctx, options.org);
  const issued = await ctx.database.db.transaction((tx) =>
    insertCredentials(tx, ctx, { actor: options.actor, orgId: org.id, label: options.label ?? "" }),
  );
  return issued;
}

/** A new key and secret in the caller's transaction, with its audit entry. */
async function insertCredentials(
  tx: DbOrTx,
  ctx: Pick<AppContext, "keyring">,
  options: { actor: Actor; orgId: string; label: string },
): Promise<IssuedCredentials> {
  const appKey = `pk_${randomBytes(12).toString("hex")}`;
  const appSecret = randomBytes(32).toString("base64url");
  await tx.insert(appCredentials).values({
    id: newId("cred"),
    orgId: options.orgId,
    appKey,
    secretCiphertext: ctx.keyring.encrypt(appSecret),
    label: options.label,
  });
  await recordAudit(tx, {
    actor: options.actor,
    orgId: options.orgId,
    action: "credentials.create",
    entityType: "app_credentials",
    entityId: appKey,
  });
  return { appKey, appSecret, orgId: options.orgId };
}

/** The secret of an active app key, for verifying and making signatures; undefined if unknown or revoked. */
export async function findActiveAppSecret(
  ctx: Pick<AppContext, "database" | "keyring">,
  appKey: string,
): Promise<{ orgId: string; appSecret: string } | undefined> {
  const [row] = await ctx.database.db
    .select({ orgId: appCredentials.orgId, secretCiphertext: appCredentials.secretCiphertext })
    .from(appCredentials)
    .where(and(eq(appCredentials.appKey, appKey), eq(appCredentials.status, "active")))
    .limit(1);
  return row ? { orgId: row.orgId, appSecret: ctx.keyring.decrypt(row.secretCiphertext) } : undefined;
}

/**
 * Every active key of an organization, newest first: Piaoma signs its webhooks with all of them
 * (X-Signatures), so a merchant in the middle of a rotation verifies with whichever secret it
 * holds; the newest is also the one in X-App-Key / X-Signature.
 */
export async function findActiveSigningKeys(
  ctx: Pick<AppContext, "database" | "keyring">,
  orgId: string,
): Promise<Array<{ appKey: string; appSecret: string }>> {
  const rows = await ctx.database.db
    .select({ appKey: appCredentials.appKey, secretCiphertext: appCredentials.secretCiphertext })
    .from(appCredentials)
    .where(and(eq(appCredentials.orgId, orgId), eq(appCredentials.status, "active")))
    .orderBy(desc(appCredentials.createdAt), desc(appCredentials.id));
  return rows.map((r) => ({ appKey: r.appKey, appSecret: ctx.keyring.decrypt(r.secretCiphertext) }));
}

/** The newest active key of an organization (the demo prints it at every start). */
export async function findSigningCredentials(
  ctx: Pick<AppContext, "database" | "keyring">,
  orgId: string,
): Promise<{ appKey: string; appSecret: string } | undefined> {
  return (await findActiveSigningKeys(ctx, orgId))[0];
}

export interface CredentialsListItem {
  appKey: string;
  label: string;
  status: "active" | "revoked";
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** An organization's keys, newest first; secrets never leave after creation. */
export async function findCredentials(
  ctx: Pick<AppContext, "database">,
  orgId: string,
): Promise<CredentialsListItem[]> {
  const rows = await ctx.database.db
    .select()
    .from(appCredentials)
    .where(eq(appCredentials.orgId, orgId))
    .orderBy(desc(appCredentials.createdAt), desc(appCredentials.id));
  return rows.map((r) => ({
    appKey: r.appKey,
    label: r.label,
    status: r.status as "active" | "revoked",
    createdAt: r.createdAt.toISOString(),
    revokedAt: r.revokedAt?.toISOString() ?? null,
    lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
  }));
}

/** Revokes a key at once: its next request is APP_KEY_UNKNOWN. Revoking twice is harmless. */
export async function revokeCredentials(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string; appKey: string },
): Promise<void> {
  await ctx.database.db.transaction(async (tx) => {
    const key = await lockedKey(tx, options);
    if (!key) throw new AppError("NOT_FOUND", "App Key 不存在");
    if (key.status === "active") await revokeIn(tx, options);
  });
}

/** The organization's key (status and label), its row locked until the caller's transaction ends. */
async function lockedKey(tx: DbOrTx, options: { orgId: string; appKey: string }) {
  const [row] = await tx
    .select({ status: appCredentials.status, label: appCredentials.label })
    .from(appCredentials)
    .where(and(eq(appCredentials.orgId, options.orgId), eq(appCredentials.appKey, options.appKey)))
    .for("update");
  return row;
}

async function revokeIn(tx: DbOrTx, options: { actor: Actor; orgId: string; appKey: string }): Promise<void> {
  await tx
    .update(appCredentials)
    .set({ status: "revoked", revokedAt: new Date() })
    .where(eq(appCredentials.appKey, options.appKey));
  await recordAudit(tx, {
    actor: options.actor,
    orgId: options.orgId,
    action: "credentials.revoke",
    entityType: "app_credentials",
    entityId: options.appKey,
  });
}

/**
 * Rotation: a new key and secret (shown once) while the old key keeps working, so the merchant can
 * switch over, then revoke the old one. Pass `revokeOld` to cut over at once.
 */
export async function rotateCredentials(
  ctx: Pick<AppContext, "database" | "keyring">,
  options: { actor: Actor; orgId: string; appKey: string; revokeOld?: boolean },
): Promise<IssuedCredentials> {
  // One transaction, the old key's row locked first: the new key exists exactly when the old one is
  // revoked (if asked), and two rotations of one key at once cannot both cut over.
  return ctx.database.db.transaction(async (tx) => {
    const old = await lockedKey(tx, options);
    if (old?.status !== "active") throw new AppError("NOT_FOUND", "App Key 不存在或已吊销");
    const issued = await insertCredentials(tx, ctx, {
      actor: options.actor,
      orgId: options.orgId,
      label: old.label,
    });
    if (options.revokeOld) await revokeIn(tx, options);
    return issued;
  });
}

/**
 * The demo organization's secret, so `npm start` can print it again on every start. Refused for
 * any other organization: a real secret is shown once, at creation.
 */
export async function findDemoCredentials(
  ctx: Pick<AppContext, "database" | "keyring">,
  orgId: string,
  isDemo: boolean,
): Promise<{ appKey: string; appSecret: string } | undefined> {
  if (!isDemo) return undefined;
  return findSigningCredentials(ctx, orgId);
}
