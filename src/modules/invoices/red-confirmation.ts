import { and, eq, sql } from "drizzle-orm";
import type { Actor, AppContext } from "../../context";
import {
  RED_CONFIRMATION_LABELS,
  type RedConfirmationStatus,
  redConfirmationAfter,
  redConfirmationDeadline,
} from "../../domain";
import type { DbOrTx } from "../../platform/db/client";
import { invoices, organizations, redConfirmations } from "../../platform/db/schema";
import type { SweepDefinition } from "../../platform/sweeper";
import { recordAudit } from "../audit/audit.service";
import { recordWebhookEvent } from "../webhooks/webhooks.service";
import type { RedConfirmationReport } from "./channels/channel";
import { movable, moveTo } from "./invoice-status";
import { openInvoiceData, recordInvoiceOutcome } from "./invoices.merchant";
import { findInvoice, type InvoiceRow } from "./invoices.repository";
import type { RedConfirmationRow } from "./red-confirmation.queries";

/**
 * The 红字发票信息确认单 of every red invoice (DOMAIN.md §8), on Piaoma's side: created with the red
 * invoice (`requested`), moved by what the channel answers for it (in the transaction that saves
 * that answer, issuing.save.ts), expired by a sweep 72 hours after it became pending. Each change
 * is audited and sent as the `invoice.red_confirmation` webhook (the red invoice, with its
 * `redConfirmation`). The states and their moves are src/domain/red-confirmation.ts.
 */

const SYSTEM: Actor = { type: "system", reason: "red_confirmation" };

/** Who asked for a red invoice, as the 确认单 keeps it. */
export function requesterOf(actor: Actor): string {
  switch (actor.type) {
    case "user":
      return `user:${actor.username}`;
    case "app":
      return `app:${actor.appKey}`;
    case "consumer":
      return "consumer";
    default:
      return `system:${actor.reason}`;
  }
}

/** In the transaction that creates a red invoice: its 确认单, applied for (`requested`). */
export async function recordRedConfirmationRequest(
  tx: DbOrTx,
  red: Pick<
    InvoiceRow,
    "id" | "orgId" | "blueInvoiceId" | "reverseReason" | "amountExcludingTax" | "taxAmount" | "totalAmount"
  >,
  actor: Actor,
): Promise<void> {
  await tx.insert(redConfirmations).values({
    id: `rcf_${red.id.slice(4)}`,
    orgId: red.orgId,
    redInvoiceId: red.id,
    blueInvoiceId: red.blueInvoiceId!,
    status: "requested",
    requestedBy: requesterOf(actor),
    reason: red.reverseReason ?? "",
    amountExcludingTax: red.amountExcludingTax,
    taxAmount: red.taxAmount,
    totalAmount: red.totalAmount,
  });
}

/**
 * In the transaction that saves a channel's answer for a red invoice (already written to the
 * invoice row): the 确认单 takes the state the answer means, its number once given. A change is
 * audited and sent as a webhook. Red invoices from before the 确认单 existed have none: nothing
 * happens.
 */
export async function applyRedConfirmationOutcome(
  ctx: Pick<AppContext, "jobs">,
  tx: DbOrTx,
  red: InvoiceRow,
  outcome: "issued" | "confirmation_pending" | "rejected",
  report?: RedConfirmationReport,
  now = new Date(),
): Promise<void> {
  if (red.color !== "red") return;
  const [current] = await tx
    .select()
    .from(redConfirmations)
    .where(eq(redConfirmations.redInvoiceId, red.id))
    .for("update");
  if (!current) return;
  const from = current.status as RedConfirmationStatus;
  const to = redConfirmationAfter(from, outcome, report?.status);
  const number = current.number ?? report?.number ?? null;
  if (to === from && number === current.number) return;
  await tx
    .update(redConfirmations)
    .set({
      status: to,
      number,
      expiresAt:
        to === "pending"
          ? (current.expiresAt ?? report?.expiresAt ?? redConfirmationDeadline(now))
          : current.expiresAt,
      decidedAt: to === "pending" || to === "requested" ? null : (current.decidedAt ?? now),
      updatedAt: now,
    })
    .where(eq(redConfirmations.id, current.id));
  if (to !== from) await recordChange(ctx, tx, { ...current, number }, from, to);
}

/** The audit entry and the webhook of one move (after the row and the invoice are written). */
async function recordChange(
  ctx: Pick<AppContext, "jobs">,
  tx: DbOrTx,
  confirmation: RedConfirmationRow,
  from: RedConfirmationStatus,
  to: RedConfirmationStatus,
  actor: Actor = SYSTEM,
): Promise<void> {
  await recordAudit(tx, {
    actor,
    orgId: confirmation.orgId,
    action: "invoice.red_confirmation",
    entityType: "invoice",
    entityId: confirmation.redInvoiceId,
    details: { number: confirmation.number, from, to, label: RED_CONFIRMATION_LABELS[to] },
  });
  const [org] = await tx
    .select({ webhookUrl: organizations.webhookUrl })
    .from(organizations)
    .where(eq(organizations.id, confirmation.orgId));
  if (!org?.webhookUrl) return;
  const red = await findInvoice(tx, confirmation.redInvoiceId);
  if (!red) return;
  await recordWebhookEvent(ctx, tx, {
    orgId: confirmation.orgId,
    type: "invoice.red_confirmation",
    invoiceId: red.id,
    data: await openInvoiceData(tx, red),
  });
}

export const RED_CONFIRMATION_EXPIRY_SWEEP = "red-confirmation-expiry";

/**
 * The sweep that expires pending 确认单 past their 72 hours: the red invoice fails
 * (RED_CONFIRMATION_EXPIRED) and its blue invoice can be reversed again. `now` is the clock
 * (replaceable in tests). Only 确认单 whose red invoice still waits are claimed, and expiring one is
 * a conditional update, so two processes sweeping at once expire it once.
 */
export function redConfirmationExpirySweep(
  ctx: Pick<AppContext, "database" | "jobs" | "config">,
  now: () => Date = () => new Date(),
): SweepDefinition {
  return {
    name: RED_CONFIRMATION_EXPIRY_SWEEP,
    concurrency: 4,
    intervalSeconds: Math.max(ctx.config.tuning.jobPollSeconds, 30),
    claim: async (limit) => {
      const rows = await ctx.database.db
        .select({ id: redConfirmations.id })
        .from(redConfirmations)
        .innerJoin(invoices, eq(invoices.id, redConfirmations.redInvoiceId))
        .where(
          and(
            eq(redConfirmations.status, "pending"),
            sql`${redConfirmations.expiresAt} <= ${now().toISOString()}::timestamptz`,
            movable("answerConfirmation"),
          ),
        )
        .orderBy(redConfirmations.expiresAt)
        .limit(limit);
      return rows.map((r) => r.id);
    },
    handle: async (id) => {
      await expireRedConfirmation(ctx, id, now());
    },
  };
}

/** Expires one pending 确认单 past its deadline; false when it no longer was (answered meanwhile). */
export async function expireRedConfirmation(
  ctx: Pick<AppContext, "database" | "jobs">,
  id: string,
  now: Date,
): Promise<boolean> {
  return ctx.database.db.transaction(async (tx) => {
    // The invoice first, then the 确认单: the order in which saving a channel answer locks them.
    const [red] = await tx
      .update(invoices)
      .set({
        ...moveTo("refuse"),
        failureCode: "RED_CONFIRMATION_EXPIRED",
        failureReason: "红字发票信息确认单超过 72 小时未确认，已作废；可重新红冲",
        updatedAt: now,
      })
      .where(
        and(
          eq(
            invoices.id,
            sql`(select ${redConfirmations.redInvoiceId} from ${redConfirmations}
              where ${redConfirmations.id} = ${id} and ${redConfirmations.status} = 'pending'
              and ${redConfirmations.expiresAt} <= ${now.toISOString()}::timestamptz)`,
          ),
          // Only a red invoice still waiting (the move's own condition allows more).
          movable("answerConfirmation"),
          movable("refuse"),
        ),
      )
      .returning();
    if (!red) return false;
    const [expired] = await tx
      .update(redConfirmations)
      .set({ status: "expired", decidedAt: now, updatedAt: now })
      .where(and(eq(redConfirmations.id, id), eq(redConfirmations.status, "pending")))
      .returning();
    if (!expired) throw new Error(`red confirmation ${id} changed while it expired`);
    await recordChange(ctx, tx, expired, "pending", "expired");
    await recordInvoiceOutcome(ctx, tx, red, "failed");
    return true;
  });
}
