import { date, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { createdAt, money } from "./common";
import { organizations } from "./organizations";

/**
 * The statistics rollup (modules/stats): per organization and settled China day, the invoices
 * issued that day by dimension — `total` (key ''), invoiceType, buyerType, device, source, and
 * `lead`, a histogram of seconds from receipt-code creation to issue (key = bucket start). Counted
 * by issued_at, which never changes once set, so a settled day's row never goes stale. Filled on
 * demand by the stats service; recent days are always counted live.
 */
export const statsDaily = pgTable(
  "stats_daily",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    day: date("day", { mode: "string" }).notNull(),
    dimension: text("dimension").notNull(),
    key: text("key").notNull(),
    /** Blue invoices and their 价税合计. */
    invoices: integer("invoices").notNull(),
    amount: money("amount").notNull(),
    /** Red invoices (amounts negative). */
    redInvoices: integer("red_invoices").notNull(),
    redAmount: money("red_amount").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.dimension, t.key] })],
);

/** Which (organization, day) the rollup holds: a day is computed once, when first asked for. */
export const statsDays = pgTable(
  "stats_days",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    day: date("day", { mode: "string" }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day] })],
);
