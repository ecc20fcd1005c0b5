import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Actor, AppContext } from "../../context";
import type { Keyring } from "../../platform/crypto";
import type { DbOrTx } from "../../platform/db/client";
import { organizations, orgIntegrations } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { oneLine, secret } from "../../platform/input";
import { parseInput } from "../../platform/validation";
import { recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";

/**
 * The consumer page's third-party services of an organization (组织信息 · 扫码页抬头服务): its 公众号
 * (appId and secret) for WeChat's saved invoice titles, and the company-registry service its 抬头
 * lookup asks (provider and key). Secrets are sealed with the master key and shown again only masked;
 * an empty secret in an update keeps the saved one.
 */

/** The registry services a merchant can subscribe to (adapters in modules/scan/titles). */
export const TITLE_PROVIDER_IDS = ["tianyancha"] as const;
export type TitleProviderId = (typeof TITLE_PROVIDER_IDS)[number];

export const integrationsInput = z
  .object({
    /** "" switches 微信抬头 off. */
    wechatAppId: oneLine()
      .regex(/^(wx[0-9a-f]{16})?$/, "公众号 AppID 为 wx 开头的 18 位（wx + 16 位十六进制）")
      .default(""),
    /** "" keeps the saved secret. */
    wechatSecret: secret()
      .regex(/^([0-9a-f]{32})?$/, "AppSecret 为 32 位十六进制")
      .default(""),
    titleProvider: z
      .enum(["none", ...TITLE_PROVIDER_IDS], { error: "抬头查询服务只能是 none 或 tianyancha" })
      .default("none"),
    /** 微信卡包 (电子发票 plugin of the 公众号 above): its s_pappid; "" switches 卡包 off. */
    wechatInvoiceSPappid: oneLine()
      .regex(/^[A-Za-z0-9_=+/-]{0,200}$/, "s_pappid 只能含字母、数字和 _=+/-")
      .default(""),
    /** The invoice card template (createcard's card_id). */
    wechatInvoiceCardId: oneLine()
      .regex(/^[A-Za-z0-9_-]{0,100}$/, "card_id 只能含字母、数字和 _-")
      .default(""),
    /** "" keeps the saved key. */
    titleProviderKey: secret().max(200, "密钥不能超过 200 个字符").default(""),
  })
  .superRefine((v, ctx) => {
    if (/\s/.test(v.titleProviderKey))
      ctx.addIssue({ code: "custom", path: ["titleProviderKey"], message: "密钥不能含空白字符" });
  });

export const integrationsOutput = z.object({
  wechatAppId: z.string(),
  /** The saved secret masked (`3f7c…9a2e`), or "" when none. */
  wechatSecretMasked: z.string(),
  titleProvider: z.enum(["none", ...TITLE_PROVIDER_IDS]),
  titleProviderKeyMasked: z.string(),
  wechatInvoiceSPappid: z.string(),
  wechatInvoiceCardId: z.string(),
});
export type IntegrationsOutput = z.infer<typeof integrationsOutput>;

/** Shows that a secret is there and which one, without revealing it. */
export function maskSecret(plain: string): string {
  if (!plain) return "";
  return plain.length <= 8 ? "••••" : `${plain.slice(0, 4)}••••${plain.slice(-4)}`;
}

type IntegrationRow = typeof orgIntegrations.$inferSelect;

async function findRow(db: DbOrTx, orgId: string): Promise<IntegrationRow | undefined> {
  const [row] = await db.select().from(orgIntegrations).where(eq(orgIntegrations.orgId, orgId));
  return row;
}

function toOutput(row: IntegrationRow | undefined, keyring: Keyring): IntegrationsOutput {
  const open = (sealed: string | null | undefined) => (sealed ? keyring.decrypt(sealed) : "");
  return {
    wechatAppId: row?.wechatAppId ?? "",
    wechatSecretMasked: maskSecret(open(row?.wechatSecretCiphertext)),
    titleProvider: (row?.titleProvider as TitleProviderId | null) ?? "none",
    titleProviderKeyMasked: maskSecret(open(row?.titleProviderKeyCiphertext)),
    wechatInvoiceSPappid: row?.wechatInvoiceSPappid ?? "",
    wechatInvoiceCardId: row?.wechatInvoiceCardId ?? "",
  };
}

export async function getIntegrationsForConsole(
  ctx: Pick<AppContext, "database" | "keyring">,
  options: { actor: Actor; orgId: string },
): Promise<IntegrationsOutput> {
  requireOrg(options.actor, options.orgId, "administer");
  return toOutput(await findRow(ctx.database.db, options.orgId), ctx.keyring);
}

export async function updateIntegrationsForConsole(
  ctx: Pick<AppContext, "database" | "keyring">,
  options: { actor: Actor; orgId: string; input: unknown },
): Promise<IntegrationsOutput> {
  const actor = requireOrg(options.actor, options.orgId, "administer");
  const input = parseInput(integrationsInput, options.input);
  const { keyring } = ctx;
  await ctx.database.db.transaction(async (tx) => {
    const before = await findRow(tx, options.orgId);
    const fields: Record<string, string> = {};
    const wechatSecret = input.wechatAppId
      ? input.wechatSecret
        ? keyring.encrypt(input.wechatSecret)
        : (before?.wechatSecretCiphertext ?? null)
      : null;
    if (input.wechatAppId && !wechatSecret) fields.wechatSecret = "请填写公众号 AppSecret";
    const provider = input.titleProvider === "none" ? null : input.titleProvider;
    const keepKey = provider && provider === before?.titleProvider;
    const providerKey = provider
      ? input.titleProviderKey
        ? keyring.encrypt(input.titleProviderKey)
        : keepKey
          ? (before?.titleProviderKeyCiphertext ?? null)
          : null
      : null;
    if (provider && !providerKey) fields.titleProviderKey = "请填写抬头查询服务的密钥";
    // An s_pappid alone is kept (开通微信卡包 saves it before createcard answers); 卡包 is on with both.
    const card = Boolean(input.wechatInvoiceSPappid || input.wechatInvoiceCardId);
    if (card && !input.wechatAppId)
      fields.wechatInvoiceSPappid = "微信卡包需要先填写公众号 AppID 与 AppSecret";
    else if (card && !input.wechatInvoiceSPappid)
      fields.wechatInvoiceSPappid = "请填写电子发票插件的 s_pappid";
    if (Object.keys(fields).length) throw AppError.validation(fields);
    const values = {
      orgId: options.orgId,
      wechatAppId: input.wechatAppId || null,
      wechatSecretCiphertext: wechatSecret,
      titleProvider: provider,
      titleProviderKeyCiphertext: providerKey,
      wechatInvoiceSPappid: card ? input.wechatInvoiceSPappid : null,
      wechatInvoiceCardId: card ? input.wechatInvoiceCardId || null : null,
      updatedAt: new Date(),
    };
    await tx
      .insert(orgIntegrations)
      .values(values)
      .onConflictDoUpdate({ target: orgIntegrations.orgId, set: values });
    await recordAudit(tx, {
      actor,
      orgId: options.orgId,
      action: "organization.integrations.update",
      entityType: "organization",
      entityId: options.orgId,
      details: {
        wechatAppId: values.wechatAppId,
        wechatSecretChanged: Boolean(input.wechatAppId && input.wechatSecret),
        titleProvider: provider,
        titleProviderKeyChanged: Boolean(provider && input.titleProviderKey),
        wechatInvoiceCard: card && Boolean(input.wechatInvoiceCardId),
      },
    });
  });
  return getIntegrationsForConsole(ctx, { actor, orgId: options.orgId });
}

/** What the consumer page's services need in clear, or null for the ones not configured. */
export interface OpenIntegrations {
  /** `invoice`: the 电子发票 plugin for 卡包, when configured. */
  wechat: { appId: string; secret: string; invoice: { sPappid: string; cardId: string } | null } | null;
  titleProvider: { id: TitleProviderId; key: string } | null;
}

export async function openIntegrations(
  ctx: Pick<AppContext, "database" | "keyring">,
  orgId: string,
): Promise<OpenIntegrations> {
  const row = await findRow(ctx.database.db, orgId);
  return {
    wechat:
      row?.wechatAppId && row.wechatSecretCiphertext
        ? {
            appId: row.wechatAppId,
            secret: ctx.keyring.decrypt(row.wechatSecretCiphertext),
            invoice:
              row.wechatInvoiceSPappid && row.wechatInvoiceCardId
                ? { sPappid: row.wechatInvoiceSPappid, cardId: row.wechatInvoiceCardId }
                : null,
          }
        : null,
    titleProvider:
      row?.titleProvider && row.titleProviderKeyCiphertext
        ? {
            id: row.titleProvider as TitleProviderId,
            key: ctx.keyring.decrypt(row.titleProviderKeyCiphertext),
          }
        : null,
  };
}

/** What 开通微信卡包 (modules/wechat/card-setup.ts) starts from: the saved 公众号 in clear, what it saved before. */
export async function findWechatCardSetup(
  ctx: Pick<AppContext, "database" | "keyring">,
  orgId: string,
): Promise<{
  orgName: string;
  account: { appId: string; secret: string } | null;
  sPappid: string | null;
  cardId: string | null;
}> {
  const row = await findRow(ctx.database.db, orgId);
  const [org] = await ctx.database.db
    .select({ name: organizations.name })
    .from(organizations)
    .where(eq(organizations.id, orgId));
  return {
    orgName: org?.name ?? "",
    account:
      row?.wechatAppId && row.wechatSecretCiphertext
        ? { appId: row.wechatAppId, secret: ctx.keyring.decrypt(row.wechatSecretCiphertext) }
        : null,
    sPappid: row?.wechatInvoiceSPappid ?? null,
    cardId: row?.wechatInvoiceCardId ?? null,
  };
}

/** Saves what WeChat gave 开通微信卡包 (s_pappid or card_id, plain like the form's), with an audit entry. */
export async function saveWechatCardSetup(
  ctx: Pick<AppContext, "database">,
  options: {
    actor: Actor;
    orgId: string;
    values: { wechatInvoiceSPappid?: string; wechatInvoiceCardId?: string };
  },
): Promise<void> {
  await ctx.database.db.transaction(async (tx) => {
    await tx
      .update(orgIntegrations)
      .set({ ...options.values, updatedAt: new Date() })
      .where(eq(orgIntegrations.orgId, options.orgId));
    await recordAudit(tx, {
      actor: options.actor,
      orgId: options.orgId,
      action: "organization.integrations.wechat_card_setup",
      entityType: "organization",
      entityId: options.orgId,
      details: options.values,
    });
  });
}
