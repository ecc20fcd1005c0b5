import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgSequence, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { createdAt, tstz, updatedAt } from "./common";

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

/**
 * The sandbox bureau's 红字发票信息确认单, by the serial of the red invoice applied for: its number,
 * state (no_confirmation_needed | pending | confirmed | refused | expired) and deadline. Confirmed
 * or refused by hand (the console's sandbox action, `piaoma sandbox:confirm`), as the buyer would.
 */
export const sandboxRedConfirmations = pgTable("sandbox_red_confirmations", {
  serial: text("serial").primaryKey(),
  number: text("number").notNull().unique("sandbox_red_confirmations_number_key"),
  blueNumber: text("blue_number").notNull(),
  status: text("status").notNull(),
  createdAt: tstz("created_at").notNull(),
  expiresAt: tstz("expires_at"),
  decidedAt: tstz("decided_at"),
});

/** The sandbox's 确认单 numbers (the last 8 digits of the 20). */
export const sandboxRedConfirmationSeq = pgSequence("sandbox_red_confirmation_seq", { startWith: 1 });

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

/**
 * Access tokens that issuing channels obtained (诺诺's client_credentials token: 50 per 30 days, so
 * one is kept and reused until near its expiry, never fetched per request). Keyed by the channel
 * and what the token belongs to (a hash of the token URL and app key), so accounts sharing an app
 * share its token. The token is sealed with the master key (src/platform/crypto.ts).
 */
export const channelTokens = pgTable("channel_tokens", {
  key: text("key").primaryKey(),
  channel: text("channel").notNull(),
  /** AES-256-GCM under the master key: base64(iv | tag | ciphertext). */
  tokenCiphertext: text("token_ciphertext").notNull(),
  /** null: the channel said it does not expire. */
  expiresAt: tstz("expires_at"),
  obtainedAt: tstz("obtained_at").notNull(),
});

/**
 * SMS counted against the caps (modules/deliveries/sms-caps.ts): one row per key (`mobile:<number>`
 * per China day, `code:<receipt code id>` for ever) and period, raised by a conditional upsert that
 * stops at the cap, so concurrent processes cannot send past it.
 */
export const smsQuota = pgTable(
  "sms_quota",
  {
    key: text("key").notNull(),
    /** `yyyy-MM-dd` (China) for a daily cap, `all` for a lifetime one. */
    period: text("period").notNull(),
    count: integer("count").notNull().default(0),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.key, t.period] })],
);

/**
 * The daily digest (modules/digest): one row per organization and China day it covers, inserted by
 * the process that sends it, so two processes never send the same digest.
 */
export const digestRuns = pgTable(
  "digest_runs",
  {
    orgId: text("org_id").notNull(),
    /** The day the digest reports on (yesterday when it was sent), `yyyy-MM-dd` China time. */
    day: text("day").notNull(),
    recipients: integer("recipients").notNull().default(0),
    sentAt: tstz("sent_at"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day] })],
);
