import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { bytea, createdAt, decimal, money, rate, tstz, updatedAt } from "./common";
import { organizations, taxBureauAccounts } from "./organizations";
import { receiptCodes } from "./receipt-codes";

/**
 * A consumer's accepted request to invoice a receipt code: the buyer as typed, stored before any
 * issuing happens, so nothing typed is lost. One per receipt code, by constraint — this row is what
 * makes "one set of invoices per code" hold under concurrent submits and several processes.
 */
export const submissions = pgTable(
  "submissions",
  {
    id: text("id").primaryKey(),
    receiptCodeId: text("receipt_code_id")
      .notNull()
      .references(() => receiptCodes.id),
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
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("submissions_receipt_code_key").on(t.receiptCodeId)],
);

/**
 * The receipt codes a submission invoices: its own code, and for 合并开票 the codes added to it.
 * The key is the receipt code, so a code belongs to at most one submission — the database decides
 * between concurrent submits (single or merged) in any number of processes. Both submit paths insert
 * here in the statement (or transaction) that inserts the submission.
 */
export const submissionCodes = pgTable(
  "submission_codes",
  {
    receiptCodeId: text("receipt_code_id")
      .primaryKey()
      .references(() => receiptCodes.id),
    submissionId: text("submission_id")
      .notNull()
      .references(() => submissions.id),
    /** 0 for the submission's own code, then the added codes in the order they were added. */
    position: integer("position").notNull().default(0),
  },
  (t) => [index("submission_codes_submission_idx").on(t.submissionId)],
);

/**
 * Typed 开票码 that found nothing, per client address (an IPv4 address, or an IPv6 /64 — one
 * subscriber's whole network) and China day: the guessing budget of `/api/scan/lookup`, merge and a
 * merged submit, shared by every process (scan/typed-code-misses.ts). Old days are deleted by a job.
 */
export const typedCodeMisses = pgTable(
  "typed_code_misses",
  {
    address: text("address").notNull(),
    day: text("day").notNull(),
    misses: integer("misses").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.address, t.day] })],
);

/**
 * The statuses of an invoice without a number, as SQL literals: the predicate of the 我的发票
 * indexes below. The same list as invoice-status.ts's UNISSUED_STATUSES (a test compares them).
 */
export const UNISSUED_STATUS_LIST =
  "'pending', 'issuing', 'confirmation_pending', 'failed', 'awaiting_review', 'review_refused'";

/** Blue and red invoices. `serial` is our idempotency serial, stored before the channel is called. */
export const invoices = pgTable(
  "invoices",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    receiptCodeId: text("receipt_code_id")
      .notNull()
      .references(() => receiptCodes.id),
    submissionId: text("submission_id").references(() => submissions.id),
    taxAccountId: text("tax_account_id").references(() => taxBureauAccounts.id),
    /** blue | red */
    color: text("color").notNull().default("blue"),
    /** 1..N when a purchase above the limit is split into N invoices. */
    seq: integer("seq").notNull().default(1),
    seqCount: integer("seq_count").notNull().default(1),
    /** For a red invoice: the blue invoice it reverses. */
    blueInvoiceId: text("blue_invoice_id"),
    reverseReason: text("reverse_reason"),
    /**
     * 换开: this blue invoice replaces that one (reversed by a red invoice) with a corrected buyer,
     * from the same purchase. At most one replacement per invoice, by constraint.
     */
    reissueOfInvoiceId: text("reissue_of_invoice_id"),
    invoiceType: text("invoice_type").notNull(),
    /** pending | issuing | issued | failed | reversed | confirmation_pending */
    status: text("status").notNull().default("pending"),
    serial: text("serial").notNull(),
    number: text("number"),
    issuedAt: tstz("issued_at"),
    buyerType: text("buyer_type").notNull(),
    buyerName: text("buyer_name").notNull(),
    buyerTaxId: text("buyer_tax_id").notNull().default(""),
    buyerAddress: text("buyer_address").notNull().default(""),
    buyerPhone: text("buyer_phone").notNull().default(""),
    buyerBankName: text("buyer_bank_name").notNull().default(""),
    buyerBankAccount: text("buyer_bank_account").notNull().default(""),
    email: text("email"),
    mobile: text("mobile"),
    drawer: text("drawer").notNull(),
    payee: text("payee").notNull().default(""),
    reviewer: text("reviewer").notNull().default(""),
    remark: text("remark").notNull().default(""),
    amountExcludingTax: money("amount_excluding_tax").notNull(),
    taxAmount: money("tax_amount").notNull(),
    totalAmount: money("total_amount").notNull(),
    attempts: integer("attempts").notNull().default(0),
    /**
     * When the background sweep next tries an unfinished (pending or issuing) invoice: set when the
     * invoice is created or retried, pushed forward by each sweep that claims it (a lease).
     */
    nextAttemptAt: tstz("next_attempt_at"),
    failureCode: text("failure_code"),
    failureReason: text("failure_reason"),
    channelData: jsonb("channel_data").notNull().default(sql`'{}'::jsonb`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("invoices_serial_key").on(t.serial),
    uniqueIndex("invoices_number_key").on(t.number),
    // One blue set per receipt code, one invoice per position in it. (Red invoices follow their
    // blue one, which may have several: 部分红冲; a corrected blue invoice (换开) follows the one it
    // replaces, once: the second index.)
    uniqueIndex("invoices_code_color_seq_key")
      .on(t.receiptCodeId, t.color, t.seq)
      .where(sql`${t.color} = 'blue' and ${t.reissueOfInvoiceId} is null`),
    uniqueIndex("invoices_reissue_of_key").on(t.reissueOfInvoiceId),
    // A blue invoice's red invoices (部分红冲 makes several; what they take is bounded under a row
    // lock on the blue invoice, reversal.partial.ts; a failed one no longer counts).
    index("invoices_blue_invoice_idx").on(t.blueInvoiceId),
    index("invoices_org_issued_idx").on(t.orgId, t.issuedAt),
    index("invoices_org_created_idx").on(t.orgId, t.createdAt),
    // Statistics (modules/stats): failures in a range, without reading the issued ones.
    index("invoices_org_failed_idx").on(t.orgId, t.createdAt).where(sql`${t.status} = 'failed'`),
    // The issuing sweep (modules/invoices/issuing.sweep.ts): unfinished invoices due for an attempt.
    index("invoices_next_attempt_idx").on(t.nextAttemptAt).where(sql`${t.status} in ('pending', 'issuing')`),
    // 异常中心 and 待审核 (modules/exceptions, invoices/review.*): the invoices needing attention of an
    // organization — a small set beside the issued ones.
    index("invoices_org_attention_idx")
      .on(t.orgId, t.status, t.createdAt)
      .where(sql`${t.status} in ('pending', 'issuing', 'failed', 'confirmation_pending', 'awaiting_review')`),
    // The channel-files sweep (issuing.files.ts): issued invoices whose channel files are still due.
    // The channel-side order number (诺诺 orderNo, stored with the invoice before any call): a
    // channel's callback names the invoice by it.
    index("invoices_channel_order_no_idx").on(sql`(${t.channelData} ->> 'orderNo')`),
    index("invoices_pending_files_idx").on(t.nextAttemptAt).where(sql`${t.channelData} ? 'pendingFiles'`),
    // 我的发票 (modules/my-invoices): the invoices without a number (issuing, held for 审核开票,
    // failed) whose submit recorded one e-mail address or mobile number — no delivery names them
    // yet. The statuses are invoice-status.ts's UNISSUED_STATUSES, as the query writes them.
    index("invoices_unissued_email_idx")
      .on(sql`lower(${t.email})`)
      .where(sql`${t.status} in (${sql.raw(UNISSUED_STATUS_LIST)})`),
    index("invoices_unissued_mobile_idx")
      .on(t.mobile)
      .where(sql`${t.status} in (${sql.raw(UNISSUED_STATUS_LIST)})`),
  ],
);

export const invoiceLines = pgTable(
  "invoice_lines",
  {
    invoiceId: text("invoice_id")
      .notNull()
      .references(() => invoices.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    kind: text("kind").notNull(),
    itemName: text("item_name").notNull(),
    name: text("name").notNull(),
    shortName: text("short_name").notNull(),
    taxCode: text("tax_code").notNull(),
    spec: text("spec").notNull().default(""),
    unit: text("unit").notNull().default(""),
    quantity: decimal("quantity"),
    unitPrice: decimal("unit_price"),
    amountExcludingTax: money("amount_excluding_tax").notNull(),
    taxRate: rate("tax_rate").notNull(),
    zeroRateKind: text("zero_rate_kind"),
    tax: money("tax").notNull(),
    amountIncludingTax: money("amount_including_tax").notNull(),
    /** On a red invoice: the number of the blue line it reverses (lineNo, 1-based as printed). */
    blueLineNo: integer("blue_line_no"),
  },
  (t) => [primaryKey({ columns: [t.invoiceId, t.position] })],
);

/** The PDF and XML of an invoice. Content in the database or a key in the file store. */
export const invoiceFiles = pgTable(
  "invoice_files",
  {
    invoiceId: text("invoice_id")
      .notNull()
      .references(() => invoices.id, { onDelete: "cascade" }),
    /** pdf | xml */
    kind: text("kind").notNull(),
    contentType: text("content_type").notNull(),
    size: integer("size").notNull(),
    sha256: text("sha256").notNull(),
    storageKey: text("storage_key"),
    content: bytea("content"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.invoiceId, t.kind] })],
);

/** One sending of an invoice to one recipient. */
export const deliveries = pgTable(
  "deliveries",
  {
    id: text("id").primaryKey(),
    invoiceId: text("invoice_id")
      .notNull()
      .references(() => invoices.id),
    /** email | sms */
    channel: text("channel").notNull(),
    recipient: text("recipient").notNull(),
    /** submit | resend | operator */
    reason: text("reason").notNull().default("submit"),
    /**
     * pending | sent | failed, and for SMS whose provider reports back: delivered (the handset got
     * it) or failed (the provider's report said it did not); for e-mail, bounced (returned by the
     * recipient's server, matched by mail_token; the reason in last_error).
     */
    status: text("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    sentAt: tstz("sent_at"),
    /** The SMS provider's id of the message (阿里云 BizId, 腾讯云 SerialNo): its delivery report names it. */
    providerMessageId: text("provider_message_id"),
    /** When the provider reported the SMS delivered (or not). */
    reportedAt: tstz("reported_at"),
    /**
     * The SMS has been counted against the caps per number and per receipt code (sms_quota): once
     * per delivery, however often it is retried.
     */
    quotaCharged: boolean("quota_charged").notNull().default(false),
    /** When the delivery sweep next sends a pending delivery (after the first try, with backoff). */
    nextAttemptAt: tstz("next_attempt_at"),
    /**
     * An e-mail's token: in its VERP envelope sender (bounce+token@…) and Message-ID, shared by the
     * deliveries one e-mail carried (a split's invoices); a returned bounce is matched by it.
     */
    mailToken: text("mail_token"),
    /** When the recipient's mail server returned the e-mail (status bounced; the DSN's reason in last_error). */
    bouncedAt: tstz("bounced_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("deliveries_invoice_idx").on(t.invoiceId),
    // 异常中心 (modules/exceptions): failed deliveries, newest first.
    index("deliveries_failed_idx").on(t.createdAt).where(sql`${t.status} = 'failed'`),
    // Statistics (modules/stats): deliveries failing in a range; sent ones are the vast majority.
    index("deliveries_unsent_idx").on(t.createdAt).where(sql`${t.status} <> 'sent'`),
    // The delivery sweep (modules/deliveries): pending deliveries due for a try.
    index("deliveries_next_attempt_idx").on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    // The consumer resend's ceiling per recipient (modules/scan): resends to one address lately.
    index("deliveries_resend_recipient_idx")
      .on(sql`lower(${t.recipient})`, t.createdAt)
      .where(sql`${t.reason} = 'resend'`),
    index("deliveries_mail_token_idx").on(t.mailToken).where(sql`${t.mailToken} is not null`),
    // SMS delivery reports (modules/deliveries/sms-reports.ts) find the delivery by the provider's id.
    index("deliveries_provider_message_idx")
      .on(t.providerMessageId)
      .where(sql`${t.providerMessageId} is not null`),
    // 我的发票 (modules/my-invoices): the invoices delivered to one address or number.
    index("deliveries_recipient_idx").on(sql`lower(${t.recipient})`),
  ],
);

/** Gapless invoice number sequences of the sandbox channel, per (year, province). */
export const invoiceNumberSequences = pgTable(
  "invoice_number_sequences",
  {
    year: integer("year").notNull(),
    province: text("province").notNull(),
    lastValue: bigint("last_value", { mode: "bigint" }).notNull().default(sql`0`),
  },
  (t) => [primaryKey({ columns: [t.year, t.province] })],
);

/**
 * The 红字发票信息确认单 behind every red invoice (DOMAIN.md §8), as Piaoma knows it: created with the
 * red invoice (`requested`), then moved by what the channel answers and by the expiry sweep
 * (states and moves: src/domain/red-confirmation.ts; service: modules/invoices/red-confirmation.ts).
 */
export const redConfirmations = pgTable(
  "red_confirmations",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    redInvoiceId: text("red_invoice_id")
      .notNull()
      .references(() => invoices.id),
    blueInvoiceId: text("blue_invoice_id")
      .notNull()
      .references(() => invoices.id),
    /** 确认单编号, once the channel gave one. */
    number: text("number"),
    /** requested | no_confirmation_needed | pending | confirmed | refused | expired | failed */
    status: text("status").notNull().default("requested"),
    /** Who asked: `user:{username}`, `app:{appKey}`, `system:{reason}`. */
    requestedBy: text("requested_by").notNull(),
    reason: text("reason").notNull(),
    amountExcludingTax: money("amount_excluding_tax").notNull(),
    taxAmount: money("tax_amount").notNull(),
    totalAmount: money("total_amount").notNull(),
    /** While pending: when it expires (72 h after it became pending). */
    expiresAt: tstz("expires_at"),
    /** When it left `requested` / `pending` for a final state. */
    decidedAt: tstz("decided_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("red_confirmations_red_invoice_key").on(t.redInvoiceId),
    uniqueIndex("red_confirmations_number_key").on(t.number),
    index("red_confirmations_blue_invoice_idx").on(t.blueInvoiceId),
    // The expiry sweep: pending 确认单 by deadline.
    index("red_confirmations_expiry_idx").on(t.expiresAt).where(sql`${t.status} = 'pending'`),
  ],
);
