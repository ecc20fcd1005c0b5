import { z } from "zod";
import { invoiceTypeSchema } from "../organizations/organizations.schema";

/**
 * A receipt code as the console (F17010 新增) or a merchant system (3.2.01) describes it. Shapes
 * only; every money and tax rule is checked by src/domain, which reports all problems at once.
 */
const decimalText = z.string().max(40, "数值过长");

export const receiptLineInput = z.object({
  kind: z.enum(["normal", "discounted", "discount"]).optional(),
  /** Names an invoicing item (开票项); its name, short name, tax code and rate fill what is not given. */
  itemCode: z.string().max(64).optional(),
  name: z.string().max(200).optional(),
  shortName: z.string().max(100).optional(),
  taxCode: z.string().max(40).optional(),
  taxRate: decimalText.optional(),
  zeroRateKind: z.enum(["exempt", "not_taxable", "ordinary_zero", "export"]).optional(),
  spec: z.string().max(100).optional(),
  unit: z.string().max(50).optional(),
  quantity: decimalText.optional(),
  unitPrice: decimalText.optional(),
  amount: decimalText.optional(),
  discount: decimalText.optional(),
});
export type ReceiptLineInput = z.infer<typeof receiptLineInput>;

export const createReceiptCodeInput = z.object({
  serialNo: z
    .string()
    .trim()
    .min(1, "请填写小票流水号")
    .max(50, "小票流水号不能超过 50 个字符")
    .regex(/^[\x21-\x7E]+$/, "小票流水号只能包含字母、数字和符号"),
  deviceNo: z.string().trim().max(50).optional(),
  taxAccountId: z.string().max(64).optional(),
  invoiceTypes: z.array(invoiceTypeSchema).min(1, "至少选择一种可选票种").optional(),
  defaultInvoiceType: invoiceTypeSchema.optional(),
  priceIncludesTax: z.boolean().optional(),
  validDays: z
    .number()
    .int("有效期为整天数")
    .min(1, "有效期至少 1 天")
    .max(3650, "有效期不能超过 3650 天")
    .optional(),
  expiresAt: z.iso.datetime({ offset: true, error: "时间格式应为 ISO-8601（含时区）" }).optional(),
  orderTime: z.iso.datetime({ offset: true, error: "时间格式应为 ISO-8601（含时区）" }).optional(),
  drawer: z.string().trim().max(20, "开票人不能超过 20 个字符").optional(),
  payee: z.string().trim().max(20, "收款人不能超过 20 个字符").optional(),
  reviewer: z.string().trim().max(20, "复核人不能超过 20 个字符").optional(),
  remark: z.string().max(400).optional(),
  receiptFooter: z.string().max(200, "小票底部备注不能超过 200 个字符").optional(),
  notify: z
    .object({ email: z.string().max(254).optional(), mobile: z.string().max(20).optional() })
    .optional(),
  lines: z.array(receiptLineInput).min(1, "至少需要一行商品或服务").max(2000, "最多 2000 行"),
});
export type CreateReceiptCodeInput = z.input<typeof createReceiptCodeInput>;

export const receiptCodeStatus = z.enum(["active", "disabled", "expired", "issuing", "invoiced", "failed"]);
export type ReceiptCodeStatus = z.infer<typeof receiptCodeStatus>;
