import { index, integer, pgTable, text } from "drizzle-orm/pg-core";
import { createdAt, money, updatedAt } from "./common";
import { organizations } from "./organizations";

/**
 * 异常中心's thresholds per organization (modules/exceptions): how long an invoice may stay 待开具 /
 * 开具中 before it counts as stuck, how many days ahead an unused receipt code's expiry is shown, and
 * the 授信额度 below which an account is shown (null: not shown). No row: the defaults.
 */
export const exceptionSettings = pgTable("exception_settings", {
  orgId: text("org_id")
    .primaryKey()
    .references(() => organizations.id),
  stuckMinutes: integer("stuck_minutes").notNull().default(30),
  expiringDays: integer("expiring_days").notNull().default(3),
  creditThreshold: money("credit_threshold"),
  updatedAt: updatedAt(),
});

/**
 * 审核开票: a rule of an organization that holds a submission for an operator's approval
 * (modules/invoices/review.*). Every condition set must match; an unset one matches anything.
 * An organization without rules issues at once.
 */
export const reviewRules = pgTable(
  "review_rules",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    /** The receipt code's source: manual (扫码) | push (推送) | link (订单链接); null: any. */
    source: text("source"),
    /** digital_normal | digital_special; null: any. */
    invoiceType: text("invoice_type"),
    /** Held when the purchase's 价税合计 is above this; null: any amount. */
    minAmount: money("min_amount"),
    /** enterprise | personal (individual or non-enterprise buyers); null: any. */
    buyerType: text("buyer_type"),
    createdAt: createdAt(),
  },
  (t) => [index("review_rules_org_idx").on(t.orgId)],
);
