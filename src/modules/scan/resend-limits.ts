import { and, desc, eq, gt, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import type { DbOrTx } from "../../platform/db/client";
import { auditLog, deliveries } from "../../platform/db/schema";

/**
 * The consumer resend's ceilings (API.md §2 sets the first): per receipt code, per recipient across
 * every code and organization (the deliveries table knows what was resent to whom), and per client
 * address (in memory, in scan.routes.ts). Each refusal says when the next resend is possible.
 */
export const RESENDS_PER_HOUR = 5;
/** Resent messages one e-mail address or mobile number receives in 24 hours. */
export const RESENDS_PER_RECIPIENT_PER_DAY = 10;
/** Resend requests from one client address in an hour, whatever the codes. */
export const RESENDS_PER_ADDRESS_PER_HOUR = 10;

/**
 * Seconds until this code may be resent again (0: now): the window is full while the
 * `RESENDS_PER_HOUR`-th newest resend is less than an hour old.
 */
export async function codeResendWaitSeconds(tx: DbOrTx, codeId: string): Promise<number> {
  const [row] = await tx
    .select({ wait: secondsUntil(auditLog.createdAt, "1 hour") })
    .from(auditLog)
    .where(
      and(
        eq(auditLog.entityId, codeId),
        eq(auditLog.action, "scan.resend"),
        gt(auditLog.createdAt, sql`now() - interval '1 hour'`),
      ),
    )
    .orderBy(desc(auditLog.createdAt))
    .offset(RESENDS_PER_HOUR - 1)
    .limit(1);
  return Math.max(0, row?.wait ?? 0);
}

/**
 * Seconds until `recipient` may be sent a resend again (0: now), counting resent messages to it in
 * the last 24 hours from every code (index deliveries_resend_recipient_idx). The recipient is
 * locked for the rest of the transaction, so two resends to one address through two codes are
 * counted one after the other.
 */
export async function recipientResendWaitSeconds(tx: DbOrTx, recipient: string): Promise<number> {
  const key = `piaoma.resend:${recipient.toLowerCase()}`;
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
  const [row] = await tx
    .select({ wait: secondsUntil(deliveries.createdAt, "24 hours") })
    .from(deliveries)
    .where(
      and(
        eq(deliveries.reason, "resend"),
        sql`lower(${deliveries.recipient}) = lower(${recipient})`,
        gt(deliveries.createdAt, sql`now() - interval '24 hours'`),
      ),
    )
    .orderBy(desc(deliveries.createdAt))
    .offset(RESENDS_PER_RECIPIENT_PER_DAY - 1)
    .limit(1);
  return Math.max(0, row?.wait ?? 0);
}

/** Whole seconds from now until `at` + `window` (when a row leaves its window). */
function secondsUntil(at: AnyPgColumn, window: "1 hour" | "24 hours") {
  return sql<number>`ceil(extract(epoch from ${at} + ${sql.raw(`interval '${window}'`)} - now()))::int`;
}
