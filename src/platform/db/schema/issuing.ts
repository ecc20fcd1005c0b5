import { sql } from "drizzle-orm";
import { index, jsonb, pgTable, text } from "drizzle-orm/pg-core";
import { createdAt, tstz } from "./common";

/**
 * The sandbox channel's own ledger, standing in for the tax bureau's: which of our serials it has
 * issued under which number. It is what makes the channel idempotent by serial.
 */
export const sandboxIssued = pgTable("sandbox_issued", {
  serial: text("serial").primaryKey(),
  number: text("number").notNull(),
  issuedAt: tstz("issued_at").notNull(),
  request: jsonb("request").notNull().default(sql`'{}'::jsonb`),
});

/** Messages "sent" by the built-in `log` SMS provider, kept so people and tests can read them. */
export const smsOutbox = pgTable(
  "sms_outbox",
  {
    id: text("id").primaryKey(),
    mobile: text("mobile").notNull(),
    text: text("text").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("sms_outbox_mobile_idx").on(t.mobile, t.createdAt)],
);
