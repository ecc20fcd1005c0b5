import { z } from "zod";
import { partyView } from "../organizations/organizations.schema";

/**
 * The parts of an invoice every audience's answer shares (the merchant's in invoices.merchant.schema.ts,
 * the console's in invoices.console.schema.ts, the consumer's in scan.schema.ts), each built by one
 * presenter (invoices.presenter.ts).
 */

const money = z.string();
export const totalsView = z.object({ amountExcludingTax: money, taxAmount: money, totalAmount: money });

/** 购买方 in full (the merchant and the console; the consumer sees it masked). */
export const buyerView = partyView.extend({ type: z.string() });

export const invoiceLineView = z.object({
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
export type InvoiceLineView = z.infer<typeof invoiceLineView>;
