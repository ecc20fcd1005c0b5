/**
 * The settings a 金蝶发票云旗舰版 tax-bureau account stores (issue 15 "Configuration"; what each value
 * is and where a merchant finds it: docs/channels.md). Secrets (`appSecret`, `aesPassword`)
 * must be encrypted at rest by the caller and never logged.
 */
import { z } from "zod";

/** An optional setting: left empty (a cleared form field) is the same as left out. */
const optional = (max: number) => z.preprocess((v) => (v === "" ? undefined : v), text(max).optional());
const text = (max: number) => z.string().trim().min(1, "不能为空").max(max, `不能超过 ${max} 个字符`);

export const kingdeeSettingsSchema = z
  .object({
    /** The tenant's own address, e.g. `https://baode.kdcloud.com` or `https://cosmic-demo.piaozone.com/demo`. */
    baseUrl: z
      .string()
      .trim()
      .refine((v) => {
        try {
          const u = new URL(v);
          return (u.protocol === "https:" || u.protocol === "http:") && !u.search && !u.hash && !u.username;
        } catch {
          return false;
        }
      }, "应为 http(s):// 开头的租户地址，不带查询参数")
      .transform((v) => v.replace(/\/+$/, "")),
    appId: text(100),
    appSecret: text(200),
    /** 租户数据中心 id. */
    accountId: text(100),
    /** Optional tenant id some private deployments ask for in the token calls. */
    tenantId: optional(100),
    /** The 发票云 user the app logs in as. */
    user: text(100),
    userType: z.enum(["UserName", "Mobile"], { message: "应为 UserName 或 Mobile" }),
    /** Agreed with Kingdee; it also selects the callback URL Kingdee posts results to. */
    businessSystemCode: text(100),
    encryption: z.enum(["base64", "aes"], { message: "应为 base64 或 aes" }),
    /** Required when `encryption` is `aes`. */
    aesPassword: optional(200),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.encryption === "aes" && !s.aesPassword)
      ctx.addIssue({ code: "custom", path: ["aesPassword"], message: "加密方式为 aes 时不能为空" });
  });

export type KingdeeSettings = z.output<typeof kingdeeSettingsSchema>;

/** A setting that is missing or wrong; `key` names it. */
export class KingdeeSettingsError extends Error {
  constructor(
    readonly key: string,
    readonly problem: string,
  ) {
    super(`金蝶设置 ${key}：${problem}`);
    this.name = "KingdeeSettingsError";
  }
}

/** Parses stored or submitted settings; the first problem is thrown, naming its key. */
export function parseKingdeeSettings(raw: unknown): KingdeeSettings {
  const result = kingdeeSettingsSchema.safeParse(raw);
  if (result.success) return result.data;
  const first = result.error.issues[0]!;
  if (first.code === "unrecognized_keys")
    throw new KingdeeSettingsError(first.keys.join(", "), "不认识的设置项");
  const key = first.path.length > 0 ? first.path.join(".") : "(settings)";
  const top = first.path[0];
  const missing =
    typeof raw === "object" &&
    raw !== null &&
    typeof top === "string" &&
    (raw as Record<string, unknown>)[top] == null;
  throw new KingdeeSettingsError(key, missing ? "缺少此项" : first.message);
}

/** What may be shown back after saving: secrets masked. */
export function maskKingdeeSettings(s: KingdeeSettings): Record<string, string> {
  const mask = (v: string) => (v.length <= 4 ? "****" : `${v.slice(0, 2)}****${v.slice(-2)}`);
  const out: Record<string, string> = {
    baseUrl: s.baseUrl,
    appId: s.appId,
    appSecret: mask(s.appSecret),
    accountId: s.accountId,
    user: s.user,
    userType: s.userType,
    businessSystemCode: s.businessSystemCode,
    encryption: s.encryption,
  };
  if (s.tenantId) out.tenantId = s.tenantId;
  if (s.aesPassword) out.aesPassword = mask(s.aesPassword);
  return out;
}
