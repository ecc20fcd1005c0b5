import { z } from "zod";
import { buyerView, invoiceLineView, totalsView } from "./invoices.schema";

/**
 * An invoice as merchants see it: the open API's answers (API.md §1 Invoices) and the data of the
 * `invoice.*` webhook events are this one shape.
 */

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
  buyer: buyerView,
  email: z.string().nullable(),
  mobile: z.string().nullable(),
  remark: z.string(),
  lines: z.array(invoiceLineView),
  totals: totalsView,
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
