import { sql } from "drizzle-orm";
import { index, jsonb, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, money, tstz, updatedAt } from "./common";
import { invoices } from "./invoices";
import { organizations } from "./organizations";
import { receiptCodes } from "./receipt-codes";

/**
 * A merchant's refund of (part of) a purchase (API.md §1 refunds), one per `refundNo` in an
 * organization: the request as sent (its hash answers a repeat), and what it did — the code
 * reduced or closed before it was invoiced, a red invoice of the invoice, or a note that it waits
 * (the code is being invoiced) or needs an operator (the channel cannot reverse in part).
 */
export const refunds = pgTable(
  "refunds",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    receiptCodeId: text("receipt_code_id")
      .notNull()
      .references(() => receiptCodes.id),
    refundNo: text("refund_no").notNull(),
    /** Hash of the request (order, reason, lines or amount): the same refundNo with another body conflicts. */
    requestHash: text("request_hash").notNull(),
    reason: text("reason").notNull(),
    /** The request's lines (`[{ lineNo, quantity | amount }]`) or amount, as sent. */
    lines: jsonb("lines"),
    amount: text("amount"),
    /** reduced | closed | awaiting_invoice | reversing | manual (refunds.ts REFUND_STATES) */
    status: text("status").notNull(),
    /** What the refund took, tax included, positive (null until known). */
    totalAmount: money("total_amount"),
    /**
     * A reduction of a code not yet invoiced: what it took from the code's lines as first pushed,
     * each piece under that line's number (the domain's EarlierRedLine, negative), and — on the
     * code's first reduction — those first lines, so later refunds keep numbering lines as pushed.
     */
    pieces: jsonb("pieces"),
    linesBefore: jsonb("lines_before"),
    /** The red invoice the refund made, and the blue invoice it reverses. */
    blueInvoiceId: text("blue_invoice_id").references(() => invoices.id),
    redInvoiceId: text("red_invoice_id").references(() => invoices.id),
    /**
     * Every blue invoice the refund reversed with the red invoice it made (`[{ blueInvoiceId,
     * redInvoiceId }]`): one for a single code, several when a receipt merged with others (合并开票)
     * had its lines on several invoices of a split. The first is also in the two columns above.
     */
    reversals: jsonb("reversals").notNull().default(sql`'[]'::jsonb`),
    /** Why it waits or needs an operator (Chinese, for the console). */
    note: text("note").notNull().default(""),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("refunds_org_refund_no_key").on(t.orgId, t.refundNo),
    index("refunds_code_idx").on(t.receiptCodeId, t.createdAt),
    // The refunds sweep: those waiting for their code's invoices.
    index("refunds_awaiting_idx").on(t.createdAt).where(sql`${t.status} = 'awaiting_invoice'`),
  ],
);

/**
 * 换开: a consumer's request to correct an issued invoice (a wrong title, tax ID or invoice type),
 * with the corrected buyer. An operator approves or refuses it (or the organization's rule approves
 * it within N days of issue); approval reverses the invoice and issues the corrected one.
 */
export const correctionRequests = pgTable(
  "correction_requests",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    receiptCodeId: text("receipt_code_id")
      .notNull()
      .references(() => receiptCodes.id),
    /** The blue invoice to correct. */
    invoiceId: text("invoice_id")
      .notNull()
      .references(() => invoices.id),
    /** title | tax_id | invoice_type | other */
    reason: text("reason").notNull(),
    note: text("note").notNull().default(""),
    invoiceType: text("invoice_type").notNull(),
    buyerType: text("buyer_type").notNull(),
    buyerName: text("buyer_name").notNull(),
    buyerTaxId: text("buyer_tax_id").notNull().default(""),
    buyerAddress: text("buyer_address").notNull().default(""),
    buyerPhone: text("buyer_phone").notNull().default(""),
    buyerBankName: text("buyer_bank_name").notNull().default(""),
    buyerBankAccount: text("buyer_bank_account").notNull().default(""),
    email: text("email"),
    mobile: text("mobile"),
    /** pending | approved | refused */
    status: text("status").notNull().default("pending"),
    /** Who decided: a user id, or "auto" for the organization's rule. */
    decidedBy: text("decided_by"),
    decidedAt: tstz("decided_at"),
    refusalReason: text("refusal_reason"),
    redInvoiceId: text("red_invoice_id"),
    newInvoiceId: text("new_invoice_id"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // One open request per invoice.
    uniqueIndex("correction_requests_pending_key").on(t.invoiceId).where(sql`${t.status} = 'pending'`),
    index("correction_requests_org_idx").on(t.orgId, t.status, t.createdAt),
  ],
);
