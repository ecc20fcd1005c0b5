import { date, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { createdAt, money, tstz } from "./common";
import { organizations } from "./organizations";

/**
 * The statistics rollup (modules/stats): per organization and settled China day, the invoices
 * issued that day by dimension — `total` (key ''), invoiceType, buyerType, device, source, and
 * `lead`, a histogram of seconds from receipt-code creation to issue (key = bucket start). Counted
 * by issued_at. Filled on demand by the stats service; recent days are always counted live; a
 * settled day whose invoices change later (an import, an issue confirmed days late) is marked in
 * stats_dirty_days and rebuilt on the next request.
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

/**
 * The rest of the dashboard's rollup, per organization and settled China day of the counted row's
 * creation: `funnel` (receipt codes created that day — keys codes, scanned, scans, submitted,
 * invoiced; a code merged into another's submission is counted live, not here), `failure` (invoices
 * created that day still failed — key the JSON array [failure code, reason]) and `delivery`
 * (deliveries created that day not sent and given up or retrying — key the JSON array [channel,
 * status], with the last error of the one updated last and that update's time). Built with
 * stats_daily for the same days (stats_days); a later change to a counted row marks its day in
 * stats_dirty_days (triggers of migration 0028).
 */
export const statsDailyActivity = pgTable(
  "stats_daily_activity",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    day: date("day", { mode: "string" }).notNull(),
    kind: text("kind").notNull(),
    key: text("key").notNull(),
    count: integer("count").notNull(),
    lastError: text("last_error"),
    lastErrorAt: tstz("last_error_at"),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.kind, t.key] })],
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

/**
 * Days whose invoices changed after they were old enough to be rolled up: an invoice inserted,
 * updated (issue time, amount, colour, type, buyer type, organization, receipt code) or deleted
 * with an issued_at more than a day in the past. Written by triggers on invoices (migration
 * 0003_stats_dirty_trigger), so every writer is covered — the services, an import by SQL — while
 * the normal path (invoices issued now) never writes here. The stats service rebuilds such a day
 * and deletes its row only if `marks` is still what it read before rebuilding: a change committed
 * meanwhile keeps the day dirty for the next request.
 */
export const statsDirtyDays = pgTable(
  "stats_dirty_days",
  {
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    day: date("day", { mode: "string" }).notNull(),
    /** Incremented (once per transaction) by every change that marks the day again. */
    marks: integer("marks").notNull().default(1),
    markedAt: tstz("marked_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day] })],
);
