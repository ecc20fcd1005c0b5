import { z } from "zod";
import { isoDateTime, multiLine, oneLine, recordId } from "../../platform/input";
import { invoiceTypeSchema } from "../organizations/organizations.schema";

/**
 * A receipt code as the console (F17010 新增) or a merchant system (3.2.01) describes it. Shapes
 * only; every money and tax rule is checked by src/domain, which reports all problems at once.
 * Every text passes the text gate (platform/input.ts); the remark and the receipt footer may have
 * several lines.
 */
const decimalText = oneLine().max(40, "数值过长");

export const receiptLineInput = z.object({
  kind: z.enum(["normal", "discounted", "discount"]).optional(),
  /** Names an invoicing item (开票项); its name, short name, tax code and rate fill what is not given. */
  itemCode: oneLine().max(64).optional(),
  name: oneLine().max(200).optional(),
  shortName: oneLine().max(100).optional(),
  taxCode: oneLine().max(40).optional(),
  taxRate: decimalText.optional(),
  zeroRateKind: z.enum(["exempt", "not_taxable", "ordinary_zero", "export"]).optional(),
  spec: oneLine().max(100).optional(),
  unit: oneLine().max(50).optional(),
  quantity: decimalText.optional(),
  unitPrice: decimalText.optional(),
  amount: decimalText.optional(),
  discount: decimalText.optional(),
});
export type ReceiptLineInput = z.infer<typeof receiptLineInput>;

export const createReceiptCodeInput = z.object({
  serialNo: oneLine()
    .min(1, "请填写小票流水号")
    .max(50, "小票流水号不能超过 50 个字符")
    .regex(/^[\x21-\x7E]+$/, "小票流水号只能包含字母、数字和符号"),
  deviceNo: oneLine().max(50).optional(),
  taxAccountId: recordId().optional(),
  invoiceTypes: z.array(invoiceTypeSchema).min(1, "至少选择一种可选票种").optional(),
  defaultInvoiceType: invoiceTypeSchema.optional(),
  priceIncludesTax: z.boolean().optional(),
  validDays: z
    .number()
    .int("有效期为整天数")
    .min(1, "有效期至少 1 天")
    .max(3650, "有效期不能超过 3650 天")
    .optional(),
  expiresAt: isoDateTime().optional(),
  orderTime: isoDateTime().optional(),
  drawer: oneLine().max(20, "开票人不能超过 20 个字符").optional(),
  payee: oneLine().max(20, "收款人不能超过 20 个字符").optional(),
  reviewer: oneLine().max(20, "复核人不能超过 20 个字符").optional(),
  remark: multiLine().max(400).optional(),
  receiptFooter: multiLine().max(200, "小票底部备注不能超过 200 个字符").optional(),
  notify: z.object({ email: oneLine().max(254).optional(), mobile: oneLine().max(20).optional() }).optional(),
  lines: z.array(receiptLineInput).min(1, "至少需要一行商品或服务").max(2000, "最多 2000 行"),
});
export type CreateReceiptCodeInput = z.input<typeof createReceiptCodeInput>;

/** `merged`: invoiced with another code's submission (合并开票); that code's invoices are its own. */
export const receiptCodeStatus = z.enum([
  "active",
  "disabled",
  "expired",
  "issuing",
  "invoiced",
  "failed",
  "merged",
  "refunded",
]);
export type ReceiptCodeStatus = z.infer<typeof receiptCodeStatus>;
