import { z } from "zod";

/**
 * An invoice as merchants see it: the open API's answers (API.md §1 Invoices) and the data of the
 * `invoice.*` webhook events are this one shape.
 */

const money = z.string();
export const totals = z.object({ amountExcludingTax: money, taxAmount: money, totalAmount: money });

export const invoiceLineOut = z.object({
  kind: z.enum(["normal", "discounted", "discount"]),
  itemName: z.string(),
  taxCode: z.string(),
  spec: z.string(),
  unit: z.string(),
  quantity: z.string().nullable(),
  unitPrice: z.string().nullable(),
  amountExcludingTax: money,
  taxRate: z.string(),
  taxRateLabel: z.string(),
  tax: money,
  amountIncludingTax: money,
});

/**
 * What remains reversible of an issued blue invoice, in total and per line (lineNo as printed; a
 * discounted line with its discount as one line, net); amounts tax-inclusive and positive.
 */
export const reversibleView = z.object({
  remaining: totals,
  lines: z.array(
    z.object({
      lineNo: z.number(),
      itemName: z.string(),
      unit: z.string(),
      taxRateLabel: z.string(),
      quantity: z.string().nullable(),
      amountIncludingTax: money,
      reversedQuantity: z.string().nullable(),
      reversedAmount: money,
      remainingQuantity: z.string().nullable(),
      remainingAmount: money,
    }),
  ),
});

export const openInvoice = z.object({
  id: z.string(),
  orderNo: z.string(),
  type: z.enum(["digital_normal", "digital_special"]),
  color: z.enum(["blue", "red"]),
  /** `partially_reversed`: red invoices (部分红冲) took part of it; `reversible` says what remains. */
  status: z.enum(["issuing", "issued", "failed", "reversed", "partially_reversed"]),
  number: z.string().nullable(),
  issuedAt: z.string().nullable(),
  /** 1..seqCount when an order above the limit was split into several invoices. */
  seq: z.number(),
  seqCount: z.number(),
  buyer: z.object({
    type: z.string(),
    name: z.string(),
    taxId: z.string(),
    address: z.string(),
    phone: z.string(),
    bankName: z.string(),
    bankAccount: z.string(),
  }),
  email: z.string().nullable(),
  mobile: z.string().nullable(),
  remark: z.string(),
  lines: z.array(invoiceLineOut),
  totals,
  failure: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** Signed download links, valid for one hour. */
  pdfUrl: z.string().nullable(),
  xmlUrl: z.string().nullable(),
  /** The (latest) red invoice reversing this one (on a blue invoice), once there is one. */
  red: z
    .object({
      id: z.string(),
      number: z.string().nullable(),
      status: z.string(),
      issuedAt: z.string().nullable(),
      reason: z.string(),
    })
    .nullable(),
  /** On a red invoice: the blue invoice it reverses. */
  blueInvoiceId: z.string().nullable(),
  /** On a blue invoice: all its red invoices (部分红冲 makes several), oldest first. */
  reds: z.array(
    z.object({
      id: z.string(),
      number: z.string().nullable(),
      status: z.string(),
      issuedAt: z.string().nullable(),
      reason: z.string(),
      totals,
    }),
  ),
  /**
   * On an issued blue invoice: what remains reversible, in total and per line (lineNo as printed;
   * a discounted line with its discount as one line, net), amounts tax-inclusive and positive.
   */
  reversible: reversibleView.nullable(),
  /**
   * Only in an `invoice.reversed` event: what the red invoice just issued took from this one
   * (positive amounts; `reversible.remaining` is what is left).
   */
  reversal: z
    .object({
      redInvoiceId: z.string(),
      number: z.string().nullable(),
      reason: z.string(),
      lines: z.array(
        z.object({
          lineNo: z.number(),
          quantity: z.string().nullable(),
          amountExcludingTax: money,
          tax: money,
          amountIncludingTax: money,
        }),
      ),
      totals,
    })
    .optional(),
});
export type OpenInvoice = z.infer<typeof openInvoice>;

/**
 * 部分红冲 in a reverse request (open API and console): `lines` — the blue lines by lineNo (as
 * printed, 1-based), each with a `quantity`, or an `amount` (价税合计, for 销售折让), or neither
 * (what remains of the line); or a top-level `amount` (销售折让, shared by the lines). Neither: the
 * whole invoice (what remains of it). The rules (what remains, signs, decimals) are the domain's.
 */
export const reverseParts = {
  lines: z
    .array(
      z.object({
        lineNo: z.number({ error: "lineNo 应为行号（整数）" }).int("lineNo 应为行号（整数）"),
        quantity: z.string({ error: 'quantity 应为字符串形式的数字，如 "1"' }).max(40).optional(),
        amount: z.string({ error: 'amount 应为字符串形式的金额，如 "10.00"' }).max(40).optional(),
      }),
    )
    .max(2000, "最多选择 2000 行")
    .optional(),
  amount: z.string({ error: 'amount 应为字符串形式的金额，如 "10.00"' }).max(40).optional(),
};
