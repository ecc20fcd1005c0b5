import { index, integer, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, tstz } from "./common";

/**
 * 我的发票: one-time login codes sent to a mobile number or e-mail address. Only an HMAC of the code
 * is kept (keyed by the master secret, so a leaked table does not give the 10⁶ codes away); a code
 * lives 10 minutes and takes at most 5 tries. The rows are also the send throttle's count, per
 * contact and per client address (modules/my-invoices/my-login.service.ts).
 */
export const myLoginCodes = pgTable(
  "my_login_codes",
  {
    id: text("id").primaryKey(),
    /** email | sms */
    channel: text("channel").notNull(),
    /** The address or number as matched against deliveries: e-mail lower-cased, mobile 11 digits. */
    contact: text("contact").notNull(),
    codeHash: text("code_hash").notNull(),
    attempts: integer("attempts").notNull().default(0),
    expiresAt: tstz("expires_at").notNull(),
    usedAt: tstz("used_at"),
    ip: text("ip").notNull().default(""),
    createdAt: tstz("created_at").notNull(),
  },
  (t) => [
    index("my_login_codes_contact_idx").on(t.contact, t.createdAt),
    index("my_login_codes_ip_idx").on(t.ip, t.createdAt),
  ],
);

/** 我的发票 sessions: the cookie carries a random token, only its SHA-256 is stored. */
export const mySessions = pgTable(
  "my_sessions",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull(),
    channel: text("channel").notNull(),
    contact: text("contact").notNull(),
    expiresAt: tstz("expires_at").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("my_sessions_token_hash_key").on(t.tokenHash),
    index("my_sessions_contact_idx").on(t.contact),
  ],
);
