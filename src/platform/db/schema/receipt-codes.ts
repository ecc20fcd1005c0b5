import { sql } from "drizzle-orm";
import { boolean, index, integer, json, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, decimal, money, rate, tstz, updatedAt } from "./common";
import { devices, organizations, taxBureauAccounts } from "./organizations";

/**
 * 小票码: one purchase that can be invoiced once. `serialNo` is the 小票流水号 and, for codes pushed
 * or linked by a merchant system, the merchant's orderNo — one code per order, by constraint.
 * `expired` is not stored: it is `status = 'active' and expires_at <= now()`.
 */
export const receiptCodes = pgTable(
  "receipt_codes",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    /** Unguessable (≥ 128 bits), base64url. */
    token: text("token").notNull(),
    /**
     * 开票码: 6 characters of SHORT_CODE_ALPHABET (src/domain/short-code.ts), printed under the QR
     * and typed on `/s` when the QR cannot be scanned. Random (crypto), unique by constraint; the app
     * draws it and draws again on a collision; the default (a SQL function of the same alphabet over
     * gen_random_uuid) fills rows written without one.
     */
    shortCode: text("short_code").notNull().default(sql`piaoma_short_code()`),
    serialNo: text("serial_no").notNull(),
    /** manual | push | link */
    source: text("source").notNull(),
    /** Hash of the pushed content, so the same order pushed again is recognised (idempotency). */
    contentHash: text("content_hash"),
    deviceId: text("device_id").references(() => devices.id),
    taxAccountId: text("tax_account_id").references(() => taxBureauAccounts.id),
    invoiceTypes: text("invoice_types").array().notNull(),
    defaultInvoiceType: text("default_invoice_type").notNull(),
    priceIncludesTax: boolean("price_includes_tax").notNull().default(true),
    orderTime: tstz("order_time"),
    expiresAt: tstz("expires_at").notNull(),
    receiptFooter: text("receipt_footer").notNull().default(""),
    drawer: text("drawer").notNull(),
    payee: text("payee").notNull().default(""),
    reviewer: text("reviewer").notNull().default(""),
    remark: text("remark").notNull().default(""),
    notifyEmail: text("notify_email"),
    notifyMobile: text("notify_mobile"),
    /** active | disabled | issuing | invoiced | failed | merged (invoiced with another code's submission) | refunded (closed by refunds before it was invoiced) */
    status: text("status").notNull().default("active"),
    amountExcludingTax: money("amount_excluding_tax").notNull(),
    taxAmount: money("tax_amount").notNull(),
    totalAmount: money("total_amount").notNull(),
    /**
     * The lines as the consumer's scan reads them (JSON, in order), kept by a trigger on
     * receipt_code_lines (drizzle/0036) so the scan reads one column instead of aggregating the
     * lines; null for codes written before 0036, which the scan aggregates (scan.queries.ts).
     */
    viewLines: json("view_lines"),
    scanCount: integer("scan_count").notNull().default(0),
    firstScannedAt: tstz("first_scanned_at"),
    createdBy: text("created_by"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    disabledAt: tstz("disabled_at"),
  },
  (t) => [
    uniqueIndex("receipt_codes_token_key").on(t.token),
    uniqueIndex("receipt_codes_short_code_key").on(t.shortCode),
    uniqueIndex("receipt_codes_org_serial_key").on(t.orgId, t.serialNo),
    index("receipt_codes_org_created_idx").on(t.orgId, t.createdAt),
    // 异常中心 (modules/exceptions): unused codes of an organization by expiry.
    index("receipt_codes_org_active_expiry_idx").on(t.orgId, t.expiresAt).where(sql`${t.status} = 'active'`),
    // 统计分析 (modules/stats): merged codes are counted live in the funnel, over the whole range.
    index("receipt_codes_org_merged_idx").on(t.orgId, t.createdAt).where(sql`${t.status} = 'merged'`),
  ],
);

/** Item lines and discount lines of a receipt code, in order. Amounts as the receipt gives them. */
export const receiptCodeLines = pgTable(
  "receipt_code_lines",
  {
    id: text("id").primaryKey(),
    receiptCodeId: text("receipt_code_id")
      .notNull()
      .references(() => receiptCodes.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    /** normal | discount | discounted */
    kind: text("kind").notNull(),
    itemId: text("item_id"),
    name: text("name").notNull(),
    shortName: text("short_name").notNull(),
    taxCode: text("tax_code").notNull(),
    taxRate: rate("tax_rate").notNull(),
    zeroRateKind: text("zero_rate_kind"),
    spec: text("spec").notNull().default(""),
    unit: text("unit").notNull().default(""),
    quantity: decimal("quantity"),
    /** In the code's tax basis (priceIncludesTax). */
    unitPrice: decimal("unit_price"),
    amount: money("amount").notNull(),
    amountExcludingTax: money("amount_excluding_tax").notNull(),
    tax: money("tax").notNull(),
    amountIncludingTax: money("amount_including_tax").notNull(),
  },
  (t) => [uniqueIndex("receipt_code_lines_code_position_key").on(t.receiptCodeId, t.position)],
);
