import { z } from "zod";
import { pageQuery } from "../../platform/console-schemas";
import { isoDay, oneLine, recordId } from "../../platform/input";
import { createReceiptCodeInput, receiptCodeStatus } from "./receipt-codes.schema";

/** The console form: a receipt code as 新增 sends it, plus the code it was copied from, if any. */
export const consoleReceiptCodeInput = createReceiptCodeInput.extend({
  copiedFromId: recordId().optional(),
});
export type ConsoleReceiptCodeInput = z.input<typeof consoleReceiptCodeInput>;

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
