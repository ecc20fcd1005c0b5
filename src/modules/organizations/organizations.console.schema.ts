import { z } from "zod";
import { gbkByteLength, isValidEmail, isValidUscc } from "../../domain";
import { optionalText } from "../../platform/console-schemas";
import { folded, identifier, oneLine } from "../../platform/input";
import { partyView } from "./organizations.schema";

/** The range of an organization's 门店码 waiting time, in hours (default 72). */
export const PENDING_HOURS_MIN = 1;
export const PENDING_HOURS_MAX = 720;

/** 销售方 as the console edits it. Lengths in GBK bytes where the invoice prints them (DOMAIN.md §6). */
/** Phone and bank account: digits typed in full width are folded (DOMAIN.md §6). */
const optionalFolded = (max: number) => folded().max(max, `不能超过 ${max} 个字符`).optional();

export const organizationInput = z
  .object({
    name: oneLine()
      .min(1, "请填写销售方名称")
      .refine((v) => gbkByteLength(v) <= 100, "销售方名称不能超过 100 字节（汉字计 2 字节）"),
    taxId: identifier()
      .min(1, "请填写统一社会信用代码")
      .refine(isValidUscc, "统一社会信用代码格式或校验位不正确"),
    address: optionalText(200),
    phone: optionalFolded(50),
    bankName: optionalText(100),
    bankAccount: optionalFolded(50),
    /** The merchant's own e-mail: the Reply-To of its invoice e-mails; "" or null removes it. */
    contactEmail: oneLine()
      .max(254, "邮箱不能超过 254 个字符")
      .refine((v) => v === "" || isValidEmail(v), "联系邮箱格式不正确")
      .nullable()
      .optional()
      .transform((v) => (v === undefined ? undefined : v || null)),
    /** Whether its invoices appear in 我的发票 (/my) for the contacts they were sent to; unchanged when absent. */
    myInvoicesListed: z.boolean().optional(),
    /** How long a 门店码 submission waits for the merchant to match a sale; unchanged when absent. */
    pendingSubmissionHours: z
      .number("请填写等待小时数")
      .int("等待时长须为整数小时")
      .min(PENDING_HOURS_MIN, `等待时长至少 ${PENDING_HOURS_MIN} 小时`)
      .max(PENDING_HOURS_MAX, `等待时长不能超过 ${PENDING_HOURS_MAX} 小时（30 天）`)
      .optional(),
  })
  .superRefine((v, ctx) => {
    if (gbkByteLength(v.address + v.phone) > 100)
      ctx.addIssue({ code: "custom", path: ["address"], message: "地址和电话合计不能超过 100 字节" });
    if (gbkByteLength(v.bankName + v.bankAccount) > 100)
      ctx.addIssue({ code: "custom", path: ["bankName"], message: "开户行和账号合计不能超过 100 字节" });
    if (v.bankAccount && !/^[0-9A-Za-z -]+$/.test(v.bankAccount))
      ctx.addIssue({ code: "custom", path: ["bankAccount"], message: "银行账号只能包含数字和字母" });
  });
export type OrganizationInput = z.input<typeof organizationInput>;

export const organizationOutput = z.object({
  id: z.string(),
  ...partyView.shape,
  /** The merchant's own e-mail (Reply-To of its invoice e-mails), "" when none. */
  contactEmail: z.string(),
  isDemo: z.boolean(),
  myInvoicesListed: z.boolean(),
  pendingSubmissionHours: z.number(),
  createdAt: z.string(),
});
export type OrganizationOutput = z.infer<typeof organizationOutput>;
