import { z } from "zod";
import { pageQuery } from "../../platform/console-schemas";
import { isoDay, oneLine, recordId } from "../../platform/input";
import { createReceiptCodeInput, receiptCodeStatus } from "./receipt-codes.schema";

/** The console form: a receipt code as 新增 sends it, plus the code it was copied from, if any. */
export const consoleReceiptCodeInput = createReceiptCodeInput.extend({
  copiedFromId: recordId().optional(),
});
export type ConsoleReceiptCodeInput = z.input<typeof consoleReceiptCodeInput>;

/**
 * What the console's 保存 / 预览 / 编辑 routes accept before the service looks inside: any JSON
 * object. The service checks it against consoleReceiptCodeInput together with the order's rules and
 * the stored data, so that every problem comes back in one answer (checkConsoleInput).
 */
export const consoleReceiptCodeBody = z.record(z.string(), z.unknown());

export const nextSerialQuery = z.object({ deviceNo: oneLine().max(50, "设备编号过长").optional() });
export const nextSerialOutput = z.object({ serialNo: z.string() });

export const receiptCodeListQuery = z.object({
  serialNo: oneLine().max(50).optional(),
  deviceNo: oneLine().max(50).optional(),
  status: receiptCodeStatus.optional(),
  source: z.enum(["manual", "push", "link"]).optional(),
  /** Created on or after this day (China time), YYYY-MM-DD. */
  from: isoDay().optional(),
  /** Created on or before this day (China time), YYYY-MM-DD. */
  to: isoDay().optional(),
  ...pageQuery,
});
export type ReceiptCodeListQuery = z.infer<typeof receiptCodeListQuery>;

const totals = z.object({ amountExcludingTax: z.string(), taxAmount: z.string(), totalAmount: z.string() });

export const receiptCodeListItem = z.object({
  id: z.string(),
  serialNo: z.string(),
  /** 开票码, printed under the QR; what a consumer reads out or types at /s. */
  shortCode: z.string(),
  deviceNo: z.string().nullable(),
  source: z.string(),
  status: receiptCodeStatus,
  totals,
  drawer: z.string(),
  expiresAt: z.string(),
  createdAt: z.string(),
  scanCount: z.number(),
  url: z.string(),
});
export type ReceiptCodeListItem = z.infer<typeof receiptCodeListItem>;

/** The answer of 新增: the code as created (its consumer URL to show or print), not yet the detail. */
export const receiptCodeCreated = z.object({
  id: z.string(),
  orgId: z.string(),
  serialNo: z.string(),
  source: z.string(),
  status: receiptCodeStatus,
  token: z.string(),
  shortCode: z.string(),
  url: z.string(),
  expiresAt: z.string(),
  totals,
  invoiceCount: z.number(),
});

export const receiptCodeLineOutput = z.object({
  kind: z.string(),
  name: z.string(),
  shortName: z.string(),
  taxCode: z.string(),
  taxRate: z.string(),
  zeroRateKind: z.string().nullable(),
  spec: z.string(),
  unit: z.string(),
  quantity: z.string().nullable(),
  unitPrice: z.string().nullable(),
  amount: z.string(),
  amountExcludingTax: z.string(),
  tax: z.string(),
  amountIncludingTax: z.string(),
});

export const receiptCodeDetail = receiptCodeListItem.extend({
  token: z.string(),
  taxAccountId: z.string().nullable(),
  invoiceTypes: z.array(z.string()),
  defaultInvoiceType: z.string(),
  priceIncludesTax: z.boolean(),
  receiptFooter: z.string(),
  payee: z.string(),
  reviewer: z.string(),
  remark: z.string(),
  orderTime: z.string().nullable(),
  disabledAt: z.string().nullable(),
  lines: z.array(receiptCodeLineOutput),
  canEdit: z.boolean(),
  canDisable: z.boolean(),
});
export type ReceiptCodeDetail = z.infer<typeof receiptCodeDetail>;

export const slipQuery = z.object({ format: z.enum(["58mm", "80mm", "A4"]).default("80mm") });

/** A code's 详情: what happened to it (oldest first) and the invoices that invoice it. */
export const receiptCodeHistory = z.object({
  events: z.array(
    z.object({
      at: z.string(),
      /** An audit action (`receipt_code.disable`, `invoice.issued`, …), or `receipt_code.first_scan` / `.merged`. */
      action: z.string(),
      actorType: z.string(),
      actorName: z.string(),
      details: z.record(z.string(), z.unknown()),
    }),
  ),
  invoices: z.array(
    z.object({
      id: z.string(),
      number: z.string().nullable(),
      color: z.enum(["blue", "red"]),
      status: z.string(),
      invoiceType: z.string(),
      buyerName: z.string(),
      totalAmount: z.string(),
      taxAmount: z.string(),
      issuedAt: z.string().nullable(),
    }),
  ),
});
export type ReceiptCodeHistory = z.infer<typeof receiptCodeHistory>;
