import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { createdAt, tstz } from "./common";
import { organizations } from "./organizations";

/**
 * Nonces of signed open-API requests, kept until the request's timestamp leaves the ±300 s window.
 * The primary key is what refuses a replay, whichever server process receives it.
 */
export const openApiNonces = pgTable(
  "open_api_nonces",
  {
    appKey: text("app_key").notNull(),
    nonce: text("nonce").notNull(),
    expiresAt: tstz("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.appKey, t.nonce] }), index("open_api_nonces_expires_idx").on(t.expiresAt)],
);

/**
 * invoice.* events for an organization's webhookUrl. `data` is the invoice as it was when the event
 * happened (file links are added fresh at each attempt, since they expire).
 */
export const webhookEvents = pgTable(
  "webhook_events",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    /** invoice.issued | invoice.failed | invoice.reversed | webhook.test */
    type: text("type").notNull(),
    invoiceId: text("invoice_id"),
    data: jsonb("data").notNull().default(sql`'{}'::jsonb`),
    /** pending | delivered | failed (every attempt of the ladder used up) */
    status: text("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    deliveredAt: tstz("delivered_at"),
    nextAttemptAt: tstz("next_attempt_at"),
    createdAt: createdAt(),
  },
  (t) => [
    index("webhook_events_org_created_idx").on(t.orgId, t.createdAt),
    // The console's invoice detail lists the events of one invoice.
    index("webhook_events_invoice_idx").on(t.invoiceId),
  ],
);

/** One POST of an event to the webhookUrl: what came back and when, for the console. */
export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id")
      .notNull()
      .references(() => webhookEvents.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    url: text("url").notNull(),
    /** The HTTP status, or null when there was no answer (timeout, refused, blocked address). */
    statusCode: integer("status_code"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("webhook_attempts_event_idx").on(t.eventId, t.attempt)],
);
