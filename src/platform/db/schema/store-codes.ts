import { sql } from "drizzle-orm";
import { boolean, index, jsonb, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, money, tstz, updatedAt } from "./common";
import { organizations } from "./organizations";
import { receiptCodes } from "./receipt-codes";

/** 门店码: a static QR of a store or a table; scanning it leaves a submission waiting for a sale. */
export const storeCodes = pgTable(
  "store_codes",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    name: text("name").notNull(),
    token: text("token").notNull(),
    active: boolean("active").notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("store_codes_token_key").on(t.token),
    index("store_codes_org_idx").on(t.orgId, t.createdAt),
  ],
);

/**
 * A consumer's submission on a 门店码, waiting until the merchant matches it to a receipt code
 * (status waiting → matched, once, by a conditional update), dismisses it, or it expires.
 */
export const pendingSubmissions = pgTable(
  "pending_submissions",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id),
    storeCodeId: text("store_code_id")
      .notNull()
      .references(() => storeCodes.id),
    /** The consumer page's own token (`/p/{token}`). */
    token: text("token").notNull(),
    /** The buyer as the normal submit takes it (scan.schema.ts submitBody). */
    body: jsonb("body").notNull(),
    amount: money("amount"),
    receiptNo: text("receipt_no"),
    /** waiting | matched | dismissed | expired */
    status: text("status").notNull().default("waiting"),
    receiptCodeId: text("receipt_code_id").references(() => receiptCodes.id),
    expiresAt: tstz("expires_at").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("pending_submissions_token_key").on(t.token),
    // A receipt code takes one matched submission at most.
    uniqueIndex("pending_submissions_code_key").on(t.receiptCodeId),
    index("pending_submissions_org_idx").on(t.orgId, t.createdAt),
    index("pending_submissions_waiting_idx").on(t.expiresAt).where(sql`${t.status} = 'waiting'`),
  ],
);
