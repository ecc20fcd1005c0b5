import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Actor, AppContext } from "../../context";
import { orgIntegrations } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { oneLine } from "../../platform/input";
import { parseInput } from "../../platform/validation";
import { recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";

/**
 * An organization's 短信通知 (组织信息 · 短信通知): the 短信签名 and the template its invoice messages
 * use at the installation's provider (PIAOMA_SMS_PROVIDER). Both registered and approved at the
 * provider beforehand; checked here for the provider's formats (阿里云 `SMS_` + digits, 腾讯云 a
 * numeric id). Empty clears them (SMS then wait, recorded on each delivery, until set).
 */
export const smsSettingsInput = z.object({
  signName: oneLine()
    .max(20, "短信签名不能超过 20 个字")
    .regex(/^([\u4e00-\u9fa5A-Za-z0-9]{2,20})?$/, "短信签名为 2–20 个汉字、字母或数字，不含【】")
    .default(""),
  templateCode: oneLine().max(40, "模板编号不能超过 40 个字符").default(""),
});

export const smsSettingsOutput = z.object({
  /** The installation's provider: log (recorded, not sent), aliyun, tencent. */
  provider: z.enum(["log", "aliyun", "tencent"]),
  signName: z.string(),
  templateCode: z.string(),
  /** The template text to register at the provider. */
  templateText: z.string(),
});
export type SmsSettingsOutput = z.infer<typeof smsSettingsOutput>;

const TEMPLATE_TEXT = {
  log: "",
  aliyun: `\${name}发票：{PUBLIC_URL}/s/\${code}`,
  tencent: "{1}发票：{PUBLIC_URL}/s/{2}",
} as const;

export async function getSmsSettings(
  ctx: Pick<AppContext, "database" | "config">,
  options: { actor: Actor; orgId: string },
): Promise<SmsSettingsOutput> {
  requireOrg(options.actor, options.orgId, "administer");
  const [row] = await ctx.database.db
    .select({ signName: orgIntegrations.smsSignName, templateCode: orgIntegrations.smsTemplateCode })
    .from(orgIntegrations)
    .where(eq(orgIntegrations.orgId, options.orgId));
  const provider = ctx.config.sms.provider;
  return {
    provider,
    signName: row?.signName ?? "",
    templateCode: row?.templateCode ?? "",
    templateText: TEMPLATE_TEXT[provider].replace("{PUBLIC_URL}", ctx.config.publicUrl),
  };
}

export async function updateSmsSettings(
  ctx: Pick<AppContext, "database" | "config">,
  options: { actor: Actor; orgId: string; input: unknown },
): Promise<SmsSettingsOutput> {
  const actor = requireOrg(options.actor, options.orgId, "administer");
  const input = parseInput(smsSettingsInput, options.input);
  const provider = ctx.config.sms.provider;
  const fields: Record<string, string> = {};
  if (Boolean(input.signName) !== Boolean(input.templateCode))
    fields[input.signName ? "templateCode" : "signName"] = "短信签名与模板编号须同时填写（或同时清空）";
  if (input.templateCode && provider === "aliyun" && !/^SMS_\d{6,12}$/.test(input.templateCode))
    fields.templateCode = "阿里云短信的模板编号形如 SMS_123456789";
  if (input.templateCode && provider === "tencent" && !/^\d{1,12}$/.test(input.templateCode))
    fields.templateCode = "腾讯云短信的模板 ID 为数字";
  if (Object.keys(fields).length) throw AppError.validation(fields);
  await ctx.database.db.transaction(async (tx) => {
    const values = {
      smsSignName: input.signName || null,
      smsTemplateCode: input.templateCode || null,
      updatedAt: new Date(),
    };
    await tx
      .insert(orgIntegrations)
      .values({ orgId: options.orgId, ...values })
      .onConflictDoUpdate({ target: orgIntegrations.orgId, set: values });
    await recordAudit(tx, {
      actor,
      orgId: options.orgId,
      action: "organization.sms.update",
      entityType: "organization",
      entityId: options.orgId,
      details: { signName: values.smsSignName, templateCode: values.smsTemplateCode },
    });
  });
  return getSmsSettings(ctx, { actor, orgId: options.orgId });
}
