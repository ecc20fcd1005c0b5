import { z } from "zod";
import { oneLine } from "../../platform/input";

/** 审核开票's console shapes: a rule (every condition optional; at least one), a refusal's reason. */
const amount = z
  .string()
  .trim()
  .regex(/^\d{1,15}(\.\d{1,2})?$/, "金额应为不超过两位小数的非负数");

export const reviewRuleInput = z
  .object({
    source: z.enum(["manual", "push", "link"], { error: "来源应为扫码、推送或订单链接" }).nullish(),
    invoiceType: z.enum(["digital_normal", "digital_special"], { error: "发票类型不正确" }).nullish(),
    minAmount: amount.nullish(),
    buyerType: z.enum(["enterprise", "personal"], { error: "购买方类型应为企业/单位或个人" }).nullish(),
  })
  .refine((r) => r.source || r.invoiceType || r.minAmount || r.buyerType, {
    error: "至少设置一个条件",
    path: ["source"],
  });
export type ReviewRuleInput = z.infer<typeof reviewRuleInput>;

export const reviewRuleOutput = z.object({
  id: z.string(),
  source: z.string().nullable(),
  invoiceType: z.string().nullable(),
  minAmount: z.string().nullable(),
  buyerType: z.string().nullable(),
  createdAt: z.string(),
});

export const declineBody = z.object({
  reason: oneLine({ error: "请填写拒绝原因" })
    .min(1, "请填写拒绝原因")
    .max(200, "拒绝原因不能超过 200 个字符"),
});
