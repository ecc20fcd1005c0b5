import { z } from "zod";
import { oneLine } from "../../platform/input";
import { channelDefinition, channelDefinitions } from "../invoices/channels/channel-registry";
import { registerBuiltInChannels } from "../invoices/channels/channels";

function isKnownChannel(id: string): boolean {
  registerBuiltInChannels();
  return channelDefinition(id) !== undefined;
}

function knownChannels(): string[] {
  registerBuiltInChannels();
  return channelDefinitions().map((d) => d.id);
}

export const TAX_ACCOUNT_STATUSES = ["online", "reauth", "offline"] as const;

/**
 * 电子税局账号 on an issuing channel (src/modules/invoices/channels). `settings` are the channel's
 * own (validated by its schema in the service); a secret left empty or masked keeps its saved value.
 */
export const taxAccountInput = z.object({
  name: oneLine().min(1, "请填写账号名称").max(50, "账号名称不能超过 50 个字符"),
  channel: z
    .string({ error: "请选择开票通道" })
    .refine(isKnownChannel, { error: () => `开票通道只能是：${knownChannels().join("、")}` })
    .default("sandbox"),
  status: z.enum(TAX_ACCOUNT_STATUSES, { error: "状态只能是在线、需重新认证或离线" }).default("online"),
  settings: z.record(z.string(), z.unknown(), { error: "通道设置必须是对象" }).optional(),
});
export type TaxAccountInput = z.input<typeof taxAccountInput>;

export const taxAccountOutput = z.object({
  id: z.string(),
  orgId: z.string(),
  name: z.string(),
  channel: z.string(),
  status: z.string(),
  /** The channel's settings with every secret masked (`******`): never a secret's value. */
  settings: z.record(z.string(), z.unknown()),
  /**
   * What the channel last reported wrong with the account (bad_credentials, token_quota,
   * logged_out, identity_verification_due, misconfigured), its words and what to do; null while
   * fine. Its invoices wait meanwhile and resume by themselves once it is back.
   */
  problem: z.string().nullable(),
  statusMessage: z.string().nullable(),
  statusAction: z.string().nullable(),
  statusChangedAt: z.string().nullable(),
  /** 授信额度 available (tax-exclusive) as the channel last reported it, and when; null when none. */
  creditAvailable: z.string().nullable(),
  creditReportedAt: z.string().nullable(),
  createdAt: z.string(),
});
export type TaxAccountOutput = z.infer<typeof taxAccountOutput>;

/** A channel as the console's picker shows it, with its fields. */
export const channelOutput = z.object({
  id: z.string(),
  label: z.string(),
  fields: z.array(
    z.object({
      key: z.string(),
      label: z.string(),
      secret: z.boolean().optional(),
      required: z.boolean().optional(),
      placeholder: z.string().optional(),
      help: z.string().optional(),
      /** A closed list of values: the console shows a picker. */
      options: z.array(z.object({ value: z.string(), label: z.string() })).optional(),
    }),
  ),
});

/** 测试连接: the account's state at its channel. */
export const accountStatusOutput = z.object({
  id: z.string(),
  channel: z.string(),
  status: z.enum(["online", "reauth", "offline"]),
  problem: z.string().optional(),
  message: z.string(),
  action: z.string().optional(),
  qrCode: z.object({ text: z.string(), expiresAt: z.string().nullable() }).optional(),
  creditLine: z.object({ available: z.string(), used: z.string(), total: z.string() }).optional(),
});

/** 扫码认证: `refresh` asks the channel for a new QR; without it, where the scan stands. */
export const taxAccountReauthInput = z
  .object({ refresh: z.boolean({ error: "refresh 只能是 true 或 false" }).optional().default(false) })
  .strict();

/** 扫码认证's answer: the account's state, where the scan stands, and the QR when a new one was given. */
export const reauthOutput = z.object({
  id: z.string(),
  status: z.enum(["online", "reauth", "offline"]),
  problem: z.string().optional(),
  message: z.string(),
  action: z.string().optional(),
  /** waiting: not scanned yet; done: scanned and the account is back; expired: ask for a new QR; none: nothing to scan. */
  scan: z.enum(["waiting", "done", "expired", "none"]),
  qrCode: z.object({ text: z.string(), expiresAt: z.string().nullable() }).optional(),
  creditLine: z.object({ available: z.string(), used: z.string(), total: z.string() }).optional(),
  channel: z.string().optional(),
});
