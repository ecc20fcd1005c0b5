import { z } from "zod";
import { oneLine, recordId } from "../../platform/input";
import { openInvoice, reverseParts } from "../invoices/invoices.merchant.schema";
import { totalsView as totals } from "../invoices/invoices.schema";

import { createReceiptCodeInput, receiptCodeStatus } from "../receipt-codes/receipt-codes.schema";

/**
 * The merchant open API's shapes (API.md §1) — a public contract: names never change in v1.
 * Money and tax rules are the domain's; these are shapes only.
 */

export const orderNo = oneLine()
  .min(1, "请填写订单号 orderNo")
  .max(50, "orderNo 不能超过 50 个字符")
  .regex(/^[\x21-\x7E]+$/, "orderNo 只能包含字母、数字和符号");

/** 3.2.01: the console's receipt-code input with `orderNo` for `serialNo`; the tax account is the config's. */
export const pushOrderBody = createReceiptCodeInput
  .omit({ serialNo: true, taxAccountId: true })
  .extend({
    orderNo,
    /**
     * A 门店码 submission waiting for this sale (`GET /pending-submissions`): the code is created and
     * the submission's buyer submitted on it in one transaction, then issued as usual.
     */
    pendingSubmissionId: recordId().optional(),
  })
  .meta({
    example: {
      orderNo: "POS-20261122-000123",
      orderTime: "2026-11-22T12:30:00+08:00",
      deviceNo: "POS-01",
      invoiceTypes: ["digital_normal", "digital_special"],
      defaultInvoiceType: "digital_normal",
      priceIncludesTax: true,
      validDays: 30,
      drawer: "张三",
      remark: "桌号 12",
      receiptFooter: "请在30天内扫码开票",
      lines: [
        { itemCode: "MILK-1L", quantity: "2", unitPrice: "12.50", amount: "25.00", discount: "-5.00" },
        {
          name: "午餐",
          shortName: "餐饮服务",
          taxCode: "3070401000000000000",
          taxRate: "0.06",
          amount: "88.00",
          unit: "份",
        },
      ],
      notify: { email: "a@example.com", mobile: "13800138000" },
    },
  });
export type PushOrderBody = z.input<typeof pushOrderBody>;

/** 3.1.02: what the merchant's order query answers — a push body plus the order's total. */
export const orderQueryAnswer = pushOrderBody.omit({ pendingSubmissionId: true }).extend({
  totalAmount: oneLine().regex(/^-?\d{1,16}(\.\d{1,2})?$/, "totalAmount 须为金额，如 100.00"),
});

export const openReceiptCode = z.object({
  id: z.string(),
  orderNo: z.string(),
  status: receiptCodeStatus,
  token: z.string(),
  /** 开票码: to print under the QR; the consumer types it at `/s` when the QR will not scan. */
  shortCode: z.string(),
  url: z.string(),
  expiresAt: z.string(),
  totals,
  invoiceCount: z.number(),
  invoices: z.array(openInvoice).optional(),
});
export type OpenReceiptCode = z.infer<typeof openReceiptCode>;

export const orderNoParams = z.object({ orderNo });
export const invoiceIdParams = z.object({ id: recordId() });
export const invoiceListQuery = z.object({ orderNo });
export const reverseBody = z
  .object({ reason: oneLine().min(1, "请填写红冲原因").max(50, "红冲原因过长"), ...reverseParts })
  .meta({ example: { reason: "销货退回", lines: [{ lineNo: 1, quantity: "1" }] } });
