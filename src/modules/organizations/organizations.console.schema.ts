import { z } from "zod";
import { gbkByteLength, isValidUscc } from "../../domain";
import { optionalText } from "../../platform/console-schemas";
import { folded, identifier, oneLine } from "../../platform/input";
import { partyView } from "./organizations.schema";

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
  isDemo: z.boolean(),
  createdAt: z.string(),
});
export type OrganizationOutput = z.infer<typeof organizationOutput>;
