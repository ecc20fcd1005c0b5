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

export const openInvoice = z.object({
  id: z.string(),
  orderNo: z.string(),
  type: z.enum(["digital_normal", "digital_special"]),
  color: z.enum(["blue", "red"]),
  status: z.enum(["issuing", "issued", "failed", "reversed"]),
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
  /** The red invoice reversing this one (on a blue invoice), once there is one. */
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
});
export type OpenInvoice = z.infer<typeof openInvoice>;
