import { z } from "zod";
import { oneLine } from "../../platform/input";

export const TAX_ACCOUNT_STATUSES = ["online", "reauth", "offline"] as const;

/** 电子税局账号. Only the built-in sandbox channel exists for now; real channels are adapters. */
export const taxAccountInput = z.object({
  name: oneLine().min(1, "请填写账号名称").max(50, "账号名称不能超过 50 个字符"),
  channel: z.enum(["sandbox"], { error: "开票通道目前只能是 sandbox（沙箱）" }).default("sandbox"),
  status: z.enum(TAX_ACCOUNT_STATUSES, { error: "状态只能是在线、需重新认证或离线" }).default("online"),
});
export type TaxAccountInput = z.input<typeof taxAccountInput>;

export const taxAccountOutput = z.object({
  id: z.string(),
  orgId: z.string(),
  name: z.string(),
  channel: z.string(),
  status: z.string(),
  createdAt: z.string(),
});
export type TaxAccountOutput = z.infer<typeof taxAccountOutput>;
