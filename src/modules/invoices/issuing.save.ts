import { and, eq, isNull, notInArray, type SQLWrapper, sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import { type DbOrTx, runTogether } from "../../platform/db/client";
import { recordsJson, runStatement } from "../../platform/db/records";
import {
  auditLog,
  deliveries,
  invoiceFiles,
  invoices,
  receiptCodes,
  taxBureauAccounts,
} from "../../platform/db/schema";
import { auditInsert, auditRow, recordAudit } from "../audit/audit.service";
import type { DeliveryRow } from "../deliveries/deliveries.service";
import type { OrganizationRow } from "../organizations/organizations.repository";
import { markCardsForVoid } from "../wechat/invoice-card";
import type { ChannelAccountError, ChannelFile, RedConfirmationReport } from "./channels/channel";
import { INVOICE_MOVES, ISSUED_STATUSES, movable, moveTo, NEW_STATUS, unfinished } from "./invoice-status";
import { recordInvoiceOutcome } from "./invoices.merchant";
import type { InvoiceRow } from "./invoices.repository";
import { ISSUE_SAVE, ISSUE_SAVE_FILE_SLOTS, type IssueSaveFile } from "./issuing.queries";
import { applyRedConfirmationOutcome } from "./red-confirmation";
import { blueMoveAfterReversal } from "./reversal.partial";

/**
 * Saving what the channel answered for one attempt (issuing.attempt.ts): a refusal, a 确认单 to
 * wait for, or the issued invoice with its files, deliveries, webhook event and audit entry — each
 * in one transaction (or one statement), so an outcome is saved whole or not at all.
 */

type SaveContext = Pick<AppContext, "database" | "jobs" | "config">;

/** A refusal: the invoice failed and, for a blue invoice, its receipt code too. */
export async function saveRejected(
  ctx: SaveContext,
  {
    invoice,
    org,
    outcome,
  }: {
    invoice: InvoiceRow;
    org: OrganizationRow;
    outcome: {
      code: string;
      message: string;
      consumerMessage?: string;
      redConfirmation?: RedConfirmationReport;
    };
  },
): Promise<InvoiceRow> {
  const { db } = ctx.database;
  // The channel's code and words are the operator's (failure_code / failure_reason); the consumer
  // reads the plain sentence kept beside them.
  const consumer = outcome.consumerMessage ? { consumerMessage: outcome.consumerMessage } : {};
  const channelData = { ...(invoice.channelData as Record<string, unknown>), ...consumer };
  await db.transaction(async (tx) => {
    await tx
      .update(invoices)
      .set({
        ...moveTo("refuse"),
        failureCode: outcome.code,
        failureReason: outcome.message,
        channelData: sql`${invoices.channelData} || ${JSON.stringify(consumer)}::jsonb`,
      })
      .where(and(eq(invoices.id, invoice.id), movable("refuse")));
    // A refused red invoice leaves the code as it was: only blue outcomes decide its status.
    if (invoice.color === "blue") {
      await tx
        .update(receiptCodes)
        .set({ status: "failed", updatedAt: new Date() })
        .where(eq(receiptCodes.id, invoice.receiptCodeId));
    }
    if (org.webhookUrl) await recordInvoiceOutcome(ctx, tx, invoice, "failed");
    await applyRedConfirmationOutcome(
      ctx,
      tx,
      { ...invoice, status: "failed" },
      "rejected",
      outcome.redConfirmation,
    );
    await recordAudit(tx, {
      actor: { type: "system", reason: "issuing" },
      orgId: invoice.orgId,
      action: "invoice.failed",
      entityType: "invoice",
      entityId: invoice.id,
      details: { code: outcome.code, message: outcome.message },
    });
  });
  return {
    ...invoice,
    status: INVOICE_MOVES.refuse.to,
    failureCode: outcome.code,
    failureReason: outcome.message,
    channelData,
  };
}

/**
 * What the channel's account problem means (ChannelAccountError: bad credentials, token quota, the
 * 数电 session logged out, 实人认证 due, a bad setting): the tax-bureau account turns 需重新认证 or
 * 离线 with the channel's words and what to do, and is checked again by the account check
 * (tax-accounts.sweep.ts) every `accountCheckSeconds`; the invoice stays queued (`issuing`, not
 * failed) without a due time, so the issuing sweep leaves it alone until the account is back
 * (resumeHeldInvoices). Its next attempt asks the channel to retry it (held: a 诺诺 order that
 * failed for the session is reInvoiced under the same order number). One transaction.
 */
export async function saveHeldForAccount(
  ctx: SaveContext,
  { invoice, accountId, problem }: { invoice: InvoiceRow; accountId: string; problem: ChannelAccountError },
): Promise<InvoiceRow> {
  const checkSeconds = ctx.config.tuning.accountCheckSeconds;
  const channelData = { ...(invoice.channelData as Record<string, unknown>), heldForAccount: true };
  await ctx.database.db.transaction(async (tx) => {
    await tx
      .update(taxBureauAccounts)
      .set({
        status: problem.accountStatus,
        statusProblem: problem.problem,
        statusCode: problem.code,
        statusMessage: problem.message,
        statusAction: problem.action,
        statusChangedAt: new Date(),
        nextAttemptAt: sql`coalesce(${taxBureauAccounts.nextAttemptAt}, now() + make_interval(secs => ${checkSeconds}))`,
        updatedAt: new Date(),
      })
      .where(eq(taxBureauAccounts.id, accountId));
    await tx
      .update(invoices)
      .set({
        nextAttemptAt: null,
        channelData: sql`${invoices.channelData} || '{"heldForAccount": true}'::jsonb`,
        updatedAt: new Date(),
      })
      .where(and(eq(invoices.id, invoice.id), unfinished()));
  });
  return { ...invoice, nextAttemptAt: null, channelData };
}

/**
 * The account is back (the account check or 测试连接 found it online): its held invoices are due
 * now, for the issuing sweep. Returns how many.
 */
export async function resumeHeldInvoices(
  ctx: Pick<AppContext, "database">,
  accountId: string,
): Promise<number> {
  const resumed = await ctx.database.db
    .update(invoices)
    .set({ nextAttemptAt: new Date(), updatedAt: new Date() })
    .where(and(eq(invoices.taxAccountId, accountId), unfinished(), isNull(invoices.nextAttemptAt)))
    .returning({ id: invoices.id });
  return resumed.length;
}

/**
 * A held (or operator-retried) invoice's attempt has asked the channel to retry it: the marks go,
 * so later attempts query instead.
 */
export async function clearChannelFlags(ctx: Pick<AppContext, "database">, invoiceId: string): Promise<void> {
  await ctx.database.db
    .update(invoices)
    .set({ channelData: sql`${invoices.channelData} - 'heldForAccount' - 'retry'` })
    .where(eq(invoices.id, invoiceId));
}

/**
 * The channel waits for the buyer's 确认单: the invoice waits too (the issuing sweep does not claim
 * it; the red-confirmation poll asks the channels where the buyer answers at the bureau).
 */
export async function saveConfirmationPending(
  ctx: SaveContext,
  invoice: InvoiceRow,
  report?: RedConfirmationReport,
): Promise<InvoiceRow> {
  const waiting = { ...invoice, status: INVOICE_MOVES.awaitConfirmation.to };
  await ctx.database.db.transaction(async (tx) => {
    // Channels where the buyer answers at the bureau are asked again by the red-confirmation poll
    // (issuing.sweep.ts) from this time on.
    await tx
      .update(invoices)
      .set({
        ...moveTo("awaitConfirmation"),
        nextAttemptAt: new Date(Date.now() + ctx.config.tuning.redConfirmationPollSeconds * 1000),
      })
      .where(and(eq(invoices.id, invoice.id), movable("awaitConfirmation")));
    await applyRedConfirmationOutcome(ctx, tx, waiting, "confirmation_pending", report);
  });
  return waiting;
}

/** A stored file of an issued invoice (invoice_files without the invoice id). */
export type IssuedFile = Omit<typeof invoiceFiles.$inferInsert, "invoiceId">;

/**
 * The issued invoice with its files, deliveries (already built, sent by the caller after the
 * commit), the receipt code's status, the blue invoice a red one reverses, the webhook event and
 * the audit entry. False when a concurrent attempt saved it first (the same serial gave the same
 * number): the caller then sends nothing.
 */
export async function saveIssued(
  ctx: SaveContext,
  options: {
    invoice: InvoiceRow;
    org: OrganizationRow;
    number: string;
    issuedAt: Date;
    files: IssuedFile[];
    created: DeliveryRow[];
    /** The channel's files not fetched yet: the files sweep fetches them (channel_data.pendingFiles). */
    pendingFiles?: ChannelFile[];
    /** For a red invoice: what the channel said of its 确认单. */
    redConfirmation?: RedConfirmationReport;
  },
): Promise<boolean> {
  const { invoice, org, number, issuedAt, files, created } = options;
  const pendingFiles = options.pendingFiles ?? [];
  const audit = {
    actor: { type: "system", reason: "issuing" },
    orgId: invoice.orgId,
    action: "invoice.issued",
    entityType: "invoice",
    entityId: invoice.id,
    details: { number, totalAmount: invoice.totalAmount },
  } as const;
  let saved: boolean;
  if (
    invoice.color === "blue" &&
    invoice.seqCount === 1 &&
    !org.webhookUrl &&
    files.length <= ISSUE_SAVE_FILE_SLOTS
  ) {
    // The common case, a receipt code of one blue invoice and no webhook (the sandbox's pdf + xml,
    // or a channel's pdf / ofd / xml and the previews rendered at once): one statement (one round
    // trip, atomic on its own) saves the invoice and, only if this attempt saved it, its files,
    // deliveries, the code's status and the audit entry.
    const slots = Array.from({ length: ISSUE_SAVE_FILE_SLOTS }, (_, i): IssueSaveFile => {
      const f = files[i];
      return f
        ? [f.kind, f.contentType, f.size, f.sha256, f.storageKey ?? null, f.content ?? null]
        : [null, null, null, null, null, null];
    });
    const pending = pendingFiles.length > 0;
    const [row] = await runStatement(ctx.database, ISSUE_SAVE, [
      invoice.id,
      number,
      issuedAt,
      recordsJson(deliveries, created),
      recordsJson(auditLog, [auditRow(audit)]),
      pending ? JSON.stringify({ pendingFiles }) : null,
      pending ? new Date(Date.now() + ctx.config.tuning.issueRetrySeconds * 1000) : null,
      ...slots.flat(),
    ]);
    saved = Boolean(row?.saved);
  } else {
    saved = await ctx.database.db.transaction(async (tx) => {
      const [updated] = await tx
        .update(invoices)
        .set({
          ...moveTo("issue"),
          number,
          issuedAt,
          ...(pendingFiles.length > 0
            ? {
                channelData: sql`${invoices.channelData} || ${JSON.stringify({ pendingFiles })}::jsonb`,
                nextAttemptAt: new Date(Date.now() + ctx.config.tuning.issueRetrySeconds * 1000),
              }
            : {}),
        })
        .where(and(eq(invoices.id, invoice.id), movable("issue")))
        .returning({ id: invoices.id });
      if (!updated) return false;
      // Files, deliveries and the audit entry: one statement.
      const together: SQLWrapper[] = [
        tx
          .insert(invoiceFiles)
          .values(files.map((f) => ({ invoiceId: invoice.id, ...f })))
          .onConflictDoNothing(),
        auditInsert(tx, audit),
      ];
      if (created.length > 0) together.push(tx.insert(deliveries).values(created));
      await runTogether(tx, together);
      await markCodeInvoiced(tx, invoice);
      await markBlueReversed(tx, invoice);
      await applyRedConfirmationOutcome(
        ctx,
        tx,
        { ...invoice, status: "issued", number, issuedAt },
        "issued",
        options.redConfirmation,
      );
      if (org.webhookUrl) await recordInvoiceOutcome(ctx, tx, invoice, "issued");
      return true;
    });
  }
  return saved;
}

/**
 * In the transaction that saves an issued invoice: the receipt code is invoiced once all its blue
 * invoices are — at once for a code of one blue invoice. Otherwise (a split code, a red invoice) the
 * code row is locked first, so that two of its invoices saved at the same moment cannot both see the
 * other one still unissued (each statement after the lock sees what the other transaction committed).
 */
async function markCodeInvoiced(tx: DbOrTx, invoice: InvoiceRow): Promise<void> {
  const invoiced = { status: "invoiced", updatedAt: new Date() };
  if (invoice.color === "blue" && invoice.seqCount === 1) {
    await tx.update(receiptCodes).set(invoiced).where(eq(receiptCodes.id, invoice.receiptCodeId));
    return;
  }
  await tx
    .select({ id: receiptCodes.id })
    .from(receiptCodes)
    .where(eq(receiptCodes.id, invoice.receiptCodeId))
    .for("update");
  const unfinished = await tx
    .select({ id: invoices.id })
    .from(invoices)
    .where(
      and(
        eq(invoices.receiptCodeId, invoice.receiptCodeId),
        eq(invoices.color, "blue"),
        notInArray(invoices.status, ISSUED_STATUSES),
      ),
    );
  if (unfinished.length === 0)
    await tx.update(receiptCodes).set(invoiced).where(eq(receiptCodes.id, invoice.receiptCodeId));
}

/**
 * In the transaction that saves an issued red invoice: its blue invoice is now `reversed`, or
 * `partially_reversed` while its issued red invoices leave some of it (部分红冲). The blue row is
 * locked first, so two of its red invoices saved at once cannot both see the other unissued.
 */
async function markBlueReversed(tx: DbOrTx, red: InvoiceRow): Promise<void> {
  if (red.color !== "red" || !red.blueInvoiceId) return;
  const [blue] = await tx
    .select({ id: invoices.id, totalAmount: invoices.totalAmount })
    .from(invoices)
    .where(eq(invoices.id, red.blueInvoiceId))
    .for("update");
  if (!blue) return;
  const move = await blueMoveAfterReversal(tx, blue);
  await tx
    .update(invoices)
    .set(moveTo(move))
    .where(and(eq(invoices.id, blue.id), movable(move)));
  // The consumer's 微信卡包 card of the blue invoice is to be voided, in full or in part (invoice-card.ts).
  await markCardsForVoid(tx, { blueInvoiceId: blue.id, redInvoiceId: red.id });
  // 换开: the corrected invoice replacing this blue one waited for its red invoice (reissue.ts).
  await tx
    .update(invoices)
    .set({ nextAttemptAt: new Date(), updatedAt: new Date() })
    .where(
      and(
        eq(invoices.reissueOfInvoiceId, blue.id),
        eq(invoices.status, NEW_STATUS),
        isNull(invoices.nextAttemptAt),
      ),
    );
}
