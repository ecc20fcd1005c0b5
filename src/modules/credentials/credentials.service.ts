import { randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import type { Actor, AppContext } from "../../platform/context";
import { appCredentials } from "../../platform/db/schema";
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
  const appKey = `pk_${randomBytes(12).toString("hex")}`;
  const appSecret = randomBytes(32).toString("base64url");
  await ctx.database.db.transaction(async (tx) => {
    await tx.insert(appCredentials).values({
      id: newId("cred"),
      orgId: org.id,
      appKey,
      secretCiphertext: ctx.keyring.encrypt(appSecret),
      label: options.label ?? "",
    });
    await recordAudit(tx, {
      actor: options.actor,
      orgId: org.id,
      action: "credentials.create",
      entityType: "app_credentials",
      entityId: appKey,
    });
  });
  return { appKey, appSecret, orgId: org.id };
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
