import { sql } from "drizzle-orm";
import { index, jsonb, pgSequence, pgTable, text } from "drizzle-orm/pg-core";
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
