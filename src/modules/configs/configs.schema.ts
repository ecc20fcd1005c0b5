import { z } from "zod";
import { parseLimit } from "../../domain";
import { optionalText } from "../../platform/console-schemas";
import { oneLine, recordId } from "../../platform/input";
import { invoiceTypeSchema, overLimitPolicySchema, partyView } from "../organizations/organizations.schema";

/** 小票码配置 (F17025) as the console saves it. */
export const configInput = z
  .object({
    /** 限额 exactly as typed: the rules engine decides (positive, ≤ 2 decimals, ≤ 20 bytes). */
    limit: oneLine({ error: "请填写限额" }).superRefine((text, ctx) => {
      const parsed = parseLimit(text);
      if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.issues[0]?.message ?? "限额不正确" });
    }),
    invoiceTypes: z.array(invoiceTypeSchema, { error: "请选择可开票类型" }).min(1, "至少选择一种可开票类型"),
    defaultInvoiceType: invoiceTypeSchema,
    validDays: z
      .number({ error: "请填写默认有效期（天）" })
      .int("有效期为整天数")
      .min(1, "有效期至少 1 天")
      .max(3650, "有效期不能超过 3650 天"),
    overLimitPolicy: overLimitPolicySchema,
    /** The buyer type the consumer page starts with; left as it is when not sent. */
    defaultBuyerType: z.enum(["individual", "enterprise"], { error: "默认抬头类型为个人或企业" }).optional(),
    defaultDrawer: optionalText(20, "开票人不能超过 20 个字符"),
    defaultPayee: optionalText(20, "收款人不能超过 20 个字符"),
    defaultReviewer: optionalText(20, "复核人不能超过 20 个字符"),
    defaultTaxAccountId: recordId().nullish(),
    /** 合并开票 on or off, and at most how many receipts in one submit; left as they are when not sent. */
    mergeEnabled: z.boolean({ error: "合并开票为开启或关闭" }).optional(),
    mergeMaxReceipts: z
      .number({ error: "请填写最多合并小票数" })
      .int("最多合并小票数为整数")
      .min(2, "最多合并小票数至少为 2")
      .max(20, "最多合并小票数不能超过 20")
      .optional(),
    /** 换开: approve a consumer's request automatically within this many days of issue (null: never). */
    correctionAutoApproveDays: z
      .number({ error: "自动同意重开的天数应为整数" })
      .int("自动同意重开的天数应为整数")
      .min(1, "自动同意重开的天数至少为 1")
      .max(365, "自动同意重开的天数不能超过 365")
      .nullish(),
  })
  // `when`: checked even while other fields are wrong, so every problem is reported at once.
  .refine((v) => !Array.isArray(v.invoiceTypes) || v.invoiceTypes.includes(v.defaultInvoiceType), {
    path: ["defaultInvoiceType"],
    message: "默认发票种类必须是可开票类型之一",
    when: () => true,
  });
export type ConfigInput = z.input<typeof configInput>;

export const configOutput = z.object({
  orgId: z.string(),
  seller: partyView,
  limit: z.string(),
  limitAmount: z.string(),
  invoiceTypes: z.array(z.string()),
  defaultInvoiceType: z.string(),
  validDays: z.number(),
  overLimitPolicy: z.string(),
  defaultBuyerType: z.string(),
  defaultDrawer: z.string(),
  defaultPayee: z.string(),
  defaultReviewer: z.string(),
  defaultTaxAccountId: z.string().nullable(),
  mergeEnabled: z.boolean(),
  mergeMaxReceipts: z.number(),
  correctionAutoApproveDays: z.number().nullable(),
  updatedAt: z.string(),
});
export type ConfigOutput = z.infer<typeof configOutput>;
