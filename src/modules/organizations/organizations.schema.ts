import { z } from "zod";
import { isValidUscc, parseLimit } from "../../domain";
import { folded, gated, identifier, oneLine } from "../../platform/input";

export const invoiceTypeSchema = z.enum(["digital_normal", "digital_special"], {
  error: "发票类型只能是 digital_normal（普通发票）或 digital_special（增值税专用发票）",
});
export const overLimitPolicySchema = z.enum(["reject", "split"], {
  error: "超限额处理只能是 reject 或 split",
});

const optionalText = (max: number) => oneLine().max(max, `不能超过 ${max} 个字符`).optional();
const optionalUrl = gated(
  z.url({ protocol: /^https?$/, error: "必须是 http(s) 地址" }).max(2000, "地址过长"),
).optional();

/** Phone and bank account: digits typed in full width are folded (DOMAIN.md §6). */
const optionalFolded = (max: number) => folded().max(max, `不能超过 ${max} 个字符`).optional();

/** Creating an organization (销售方) with its 小票码配置 defaults. */
export const createOrganizationInput = z.object({
  name: oneLine().min(1, "请填写销售方名称"),
  taxId: identifier()
    .min(1, "请填写统一社会信用代码")
    .refine(isValidUscc, "统一社会信用代码格式或校验位不正确"),
  address: optionalText(200),
  phone: optionalFolded(50),
  bankName: optionalText(100),
  bankAccount: optionalFolded(50),
  /** 限额 as typed; kept as typed (≤ 20 bytes) and validated by the rules engine. */
  limit: oneLine()
    .superRefine((text, ctx) => {
      const parsed = parseLimit(text);
      if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.issues[0]?.message ?? "限额不正确" });
    })
    .optional(),
  overLimitPolicy: overLimitPolicySchema.optional(),
  invoiceTypes: z.array(invoiceTypeSchema).min(1, "至少选择一种可开票类型").optional(),
  orderQueryUrl: optionalUrl,
  webhookUrl: optionalUrl,
  validDays: z.number().int().min(1, "有效期至少 1 天").max(3650, "有效期不能超过 3650 天").optional(),
  drawer: optionalText(20),
});
export type CreateOrganizationInput = z.input<typeof createOrganizationInput>;

/**
 * A party as the answers show it (the seller, and with its type the buyer): the one shape of the
 * 销售方 / 购买方 block in every response (organizations.presenter.ts builds the seller's).
 */
export const partyView = z.object({
  name: z.string(),
  taxId: z.string(),
  address: z.string(),
  phone: z.string(),
  bankName: z.string(),
  bankAccount: z.string(),
});
export type PartyView = z.infer<typeof partyView>;
