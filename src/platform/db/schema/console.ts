import { index, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, tstz } from "./common";
import { users } from "./organizations";

/**
 * Console sessions. The cookie carries a random token; only its SHA-256 is stored, so a leaked
 * database does not hand out live sessions. The CSRF token is returned to the page (never in a
 * cookie) and must come back in the `x-csrf-token` header of every state-changing request.
 */
export const consoleSessions = pgTable(
  "console_sessions",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    csrfToken: text("csrf_token").notNull(),
    expiresAt: tstz("expires_at").notNull(),
    lastSeenAt: tstz("last_seen_at").notNull().defaultNow(),
    ip: text("ip").notNull().default(""),
    userAgent: text("user_agent").notNull().default(""),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("console_sessions_token_hash_key").on(t.tokenHash),
    index("console_sessions_user_idx").on(t.userId),
  ],
);
