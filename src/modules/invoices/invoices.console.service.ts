import { and, eq, sql } from "drizzle-orm";
import type { Actor, AppContext } from "../../context";
import { compareDecimals, redStillFits, reversibleOf } from "../../domain";
import type { DbOrTx } from "../../platform/db/client";
import { invoices, receiptCodes } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { firstSweepAt } from "../../platform/sweeper";
import { consumerUrl } from "../../platform/web";
import { recordAudit } from "../audit/audit.service";
import { can, requireOrg, requireOrgScope } from "../auth/access";
import { createDeliveries, deliverNow } from "../deliveries/deliveries.service";
import { cardStates } from "../wechat/invoice-card";
import { toComputedLine } from "./invoice-document";
import {
  awaitsReview,
  canAnswerConfirmation,
  canRetry,
  canReverse,
  hasFailed,
  isIssued,
  movable,
  moveTo,
} from "./invoice-status";
import {
  findCounterpart,
  findFileSizes,
  findInvoiceOfOrg,
  findInvoicePage,
  findRedsOfBlue,
  findReissueLinks,
  findTaxAccountChannel,
  findWebhooksOfInvoice,
  type InvoiceListRow,
} from "./invoices.console.repository";
import type { InvoiceDetail, InvoiceListItem, InvoiceListQuery } from "./invoices.console.schema";
import { buyerOf, invoiceLineOf, totalsOf } from "./invoices.presenter";
import { findDeliveriesOf, findInvoiceLines, type InvoiceRow } from "./invoices.repository";
import { issueNow } from "./issuing.attempt";
import {
  findRedConfirmationOf,
  findRedConfirmationsOf,
  redConfirmationView,
} from "./red-confirmation.queries";
import { decideSandboxConfirmation } from "./red-confirmation.sandbox";
import { earlierRedLinesOf, lockBlueInvoice, redLinesOf, reversibleViewOf } from "./reversal.partial";
import { reverseInvoice } from "./reversal.service";

type ConsoleContext = Pick<
  AppContext,
  "database" | "providers" | "jobs" | "log" | "config" | "deliveries" | "metrics"
>;

const notFound = () => new AppError("INVOICE_NOT_FOUND");
const iso = (d: Date | null) => d?.toISOString() ?? null;

export function listItemOf({ invoice: i, serialNo, source, deviceNo }: InvoiceListRow): InvoiceListItem {
  return {
    id: i.id,
    orgId: i.orgId,
    number: i.number,
    color: i.color as InvoiceListItem["color"],
    status: i.status as InvoiceListItem["status"],
    invoiceType: i.invoiceType,
    issuedAt: iso(i.issuedAt),
    createdAt: i.createdAt.toISOString(),
    buyerType: i.buyerType,
    buyerName: i.buyerName,
    buyerTaxId: i.buyerTaxId,
    totals: totalsOf(i),
    serialNo,
    deviceNo,
    source,
    failureReason: hasFailed(i.status) ? (i.failureReason ?? "开具失败") : null,
    reverseReason: i.reverseReason,
    redConfirmation: null,
  };
}

/**
 * 发票管理: invoices, blue and red, filtered and paged — of one organization, or without `orgId` of
 * every organization the user belongs to (「全部组织」).
 */
export async function findInvoicesForConsole(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId?: string; query: InvoiceListQuery },
) {
  const orgIds = requireOrgScope(options.actor, options.orgId);
  const { page, pageSize, ...filter } = options.query;
  const { rows, total } = await findInvoicePage(
    ctx.database.db,
    orgIds,
    filter,
    (page - 1) * pageSize,
    pageSize,
  );
  const confirmations = await findRedConfirmationsOf(
    ctx.database.db,
    rows.filter((r) => r.invoice.color === "red").map((r) => r.invoice.id),
  );
  const items = rows.map((r) => ({
    ...listItemOf(r),
    redConfirmation: redConfirmationView(confirmations.get(r.invoice.id)),
  }));
  return { items, total, page, pageSize };
}

/** Everything about one invoice an operator needs to answer a customer. */
export async function getInvoiceForConsole(
  ctx: Pick<AppContext, "database" | "config">,
  options: { actor: Actor; orgId: string; id: string },
): Promise<InvoiceDetail> {
  const actor = requireOrg(options.actor, options.orgId);
  const { db } = ctx.database;
  const row = await findInvoiceOfOrg(db, options.orgId, options.id);
  if (!row) throw notFound();
  const i = row.invoice;
  const [
    lines,
    files,
    counterpart,
    deliveries,
    webhooks,
    confirmation,
    account,
    reds,
    reversible,
    cards,
    reissue,
  ] = await Promise.all([
    findInvoiceLines(db, i.id),
    findFileSizes(db, i.id),
    findCounterpart(db, i),
    findDeliveriesOf(db, [i.id]),
    findWebhooksOfInvoice(db, i.id),
    i.color === "red" ? findRedConfirmationOf(db, i.id) : Promise.resolve(undefined),
    findTaxAccountChannel(db, i.taxAccountId),
    i.color === "blue" ? findRedsOfBlue(db, i.id) : Promise.resolve([]),
    reversibleViewOf(db, i),
    cardStates(ctx, [i.id]),
    findReissueLinks(db, i),
  ]);
  const related = counterpart
    ? { ...counterpart, status: counterpart.status as InvoiceListItem["status"] }
    : null;
  const operate = can(actor, "operate", options.orgId);
  const hasFiles = files.length > 0 && Boolean(i.number);
  return {
    ...listItemOf(row),
    redConfirmation: redConfirmationView(confirmation),
    buyer: buyerOf(i),
    email: i.email,
    mobile: i.mobile,
    drawer: i.drawer,
    payee: i.payee,
    reviewer: i.reviewer,
    remark: i.remark,
    seq: i.seq,
    seqCount: i.seqCount,
    attempts: i.attempts,
    failureCode: i.failureCode,
    lines: lines.map(invoiceLineOf),
    files,
    receiptCode: {
      id: row.code.id,
      serialNo: row.code.serialNo,
      source: row.code.source,
      status: row.code.status,
      deviceNo: row.deviceNo,
      createdAt: row.code.createdAt.toISOString(),
      scanCount: row.code.scanCount,
      firstScannedAt: iso(row.code.firstScannedAt),
      url: consumerUrl(ctx, row.code.token),
    },
    red: i.color === "blue" ? related : null,
    blue: i.color === "red" ? related : null,
    reissueOf: reissue.reissueOf && {
      ...reissue.reissueOf,
      status: reissue.reissueOf.status as InvoiceListItem["status"],
    },
    reissuedAs: reissue.reissuedAs && {
      ...reissue.reissuedAs,
      status: reissue.reissuedAs.status as InvoiceListItem["status"],
    },
    reds: reds.map((r) => ({
      id: r.id,
      number: r.number,
      status: r.status as InvoiceListItem["status"],
      reason: r.reason ?? "",
      issuedAt: iso(r.issuedAt),
      totalAmount: r.totalAmount,
    })),
    reversible,
    wechatCard: cards.get(i.id) ?? { status: "none", error: null, at: null },
    deliveries: deliveries.map((d) => ({
      id: d.id,
      channel: d.channel,
      recipient: d.recipient,
      reason: d.reason,
      status: d.status,
      attempts: d.attempts,
      lastError: d.lastError,
      sentAt: iso(d.sentAt),
      bouncedAt: iso(d.bouncedAt),
      createdAt: d.createdAt.toISOString(),
      updatedAt: d.updatedAt.toISOString(),
    })),
    webhooks: webhooks.map(({ event, attempts }) => ({
      id: event.id,
      type: event.type,
      status: event.status,
      createdAt: event.createdAt.toISOString(),
      attempts: attempts.map((a) => ({
        attempt: a.attempt,
        url: a.url,
        statusCode: a.statusCode,
        error: a.error,
        durationMs: a.durationMs,
        at: a.createdAt.toISOString(),
      })),
    })),
    canResend: operate && hasFiles,
    // 部分红冲: while something remains (red invoices under way count as taken; a red whose 确认单
    // was refused or expired has failed and no longer does).
    canReverse:
      operate &&
      i.color === "blue" &&
      canReverse(i.status) &&
      reversible !== null &&
      compareDecimals(reversible.remaining.totalAmount, "0") > 0,
    canRetry: operate && canRetry(i.status) && !closesRed(confirmation),
    canReview: operate && awaitsReview(i.status),
    redConfirmationRequestedBy: confirmation?.requestedBy ?? null,
    canDecideSandboxConfirmation:
      operate &&
      account === "sandbox" &&
      canAnswerConfirmation(i.status) &&
      confirmation?.status === "pending",
  };
}

/** The invoice of the organization whose PDF or XML is asked for (sent by sendInvoiceFile). */
export async function findInvoiceFileForConsole(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string; id: string },
): Promise<InvoiceRow | undefined> {
  requireOrg(options.actor, options.orgId);
  return (await findInvoiceOfOrg(ctx.database.db, options.orgId, options.id))?.invoice;
}

/**
 * 重新发送 to the buyer's address or another one the operator types: new deliveries (reason
 * "operator") queued in the same transaction as the audit entry; the delivery job sends them.
 */
export async function resendInvoiceForConsole(
  ctx: ConsoleContext,
  options: { actor: Actor; orgId: string; id: string; email?: string; mobile?: string },
): Promise<{ deliveryIds: string[] }> {
  const actor = requireOrg(options.actor, options.orgId, "operate");
  const row = await findInvoiceOfOrg(ctx.database.db, options.orgId, options.id);
  if (!row) throw notFound();
  if (!row.invoice.number || !isIssued(row.invoice.status)) {
    throw new AppError("CONFLICT", "发票尚未开具，不能发送", { status: row.invoice.status });
  }
  const email = options.email || null;
  const mobile = options.mobile || null;
  const deliveryIds = await ctx.database.db.transaction(async (tx) => {
    const ids = await createDeliveries(ctx, tx, {
      invoiceIds: [row.invoice.id],
      email,
      mobile,
      reason: "operator",
    });
    await recordAudit(tx, {
      actor,
      orgId: options.orgId,
      action: "invoice.resend",
      entityType: "invoice",
      entityId: row.invoice.id,
      details: { number: row.invoice.number, email, mobile },
    });
    return ids;
  });
  deliverNow(ctx, deliveryIds);
  return { deliveryIds };
}

/** 红冲 from the console: the one reversal service (also behind the open API). */
export async function reverseInvoiceForConsole(
  ctx: ConsoleContext,
  options: { actor: Actor; orgId: string; id: string; reason: string; lines?: unknown; amount?: unknown },
): Promise<{ created: boolean; redInvoiceId: string }> {
  requireOrg(options.actor, options.orgId, "operate");
  const row = await findInvoiceOfOrg(ctx.database.db, options.orgId, options.id);
  if (!row) throw notFound();
  const { created, red } = await reverseInvoice(ctx, {
    actor: options.actor,
    invoiceId: options.id,
    reason: options.reason,
    lines: options.lines,
    amount: options.amount,
  });
  return { created, redInvoiceId: red.id };
}

/**
 * 重试 a failed invoice: back to pending with the same serial (the channel refused it, so nothing
 * was issued under it; its next attempt asks the channel's `retry`), the receipt code back to issuing, the backstop job queued in the same
 * transaction, then issued at once in this request like a submit. Only one of two concurrent
 * retries moves it out of `failed`; the other is told it is no longer failed.
 */
export async function retryInvoiceForConsole(
  ctx: ConsoleContext,
  options: { actor: Actor; orgId: string; id: string },
): Promise<{ status: string }> {
  const actor = requireOrg(options.actor, options.orgId, "operate");
  const { db } = ctx.database;
  const row = await findInvoiceOfOrg(db, options.orgId, options.id);
  if (!row) throw notFound();
  const invoice = row.invoice;
  if (invoice.color === "red" && closesRed(await findRedConfirmationOf(db, invoice.id)))
    throw new AppError("CONFLICT", "红字确认单已拒绝或已过期，不能重试；请对蓝字发票重新红冲");
  const moved = await db.transaction(async (tx) => {
    if (invoice.color === "red" && invoice.blueInvoiceId) await requireRedStillFits(tx, invoice);
    const [updated] = await tx
      .update(invoices)
      .set({
        ...moveTo("retry"),
        failureCode: null,
        failureReason: null,
        // The next attempt goes through the channel's retry (诺诺 reInvoice for 22 / 24: the same
        // order number), since the channel has the refused request under this serial.
        channelData: sql`(${invoices.channelData} - 'consumerMessage') || '{"retry": true}'::jsonb`,
        nextAttemptAt: firstSweepAt(ctx.config),
      })
      .where(and(eq(invoices.id, invoice.id), movable("retry")))
      .returning({ id: invoices.id });
    if (!updated) return false;
    if (invoice.color === "blue") {
      await tx
        .update(receiptCodes)
        .set({ status: "issuing", updatedAt: new Date() })
        .where(and(eq(receiptCodes.id, invoice.receiptCodeId), eq(receiptCodes.status, "failed")));
    }
    await recordAudit(tx, {
      actor,
      orgId: options.orgId,
      action: "invoice.retry",
      entityType: "invoice",
      entityId: invoice.id,
      details: { previousFailure: invoice.failureReason, code: invoice.failureCode },
    });
    return true;
  });
  if (!moved) throw new AppError("CONFLICT", "只有开具失败的发票可以重试", { status: invoice.status });
  await issueNow(ctx, [invoice.id]);
  const after = await findInvoiceOfOrg(db, options.orgId, options.id);
  return { status: after?.invoice.status ?? "pending" };
}

/** A 确认单 refused or expired ends its red invoice: the blue one is reversed by a new red, not a retry. */
function closesRed(confirmation: { status: string } | undefined): boolean {
  return confirmation?.status === "refused" || confirmation?.status === "expired";
}

/**
 * 沙箱确认: the console stands in for the buyer of a sandbox red invoice waiting for its 确认单
 * (red-confirmation.sandbox.ts).
 */
export async function decideSandboxConfirmationForConsole(
  ctx: ConsoleContext,
  options: { actor: Actor; orgId: string; id: string; decision: "confirmed" | "refused" },
): Promise<void> {
  requireOrg(options.actor, options.orgId, "operate");
  const row = await findInvoiceOfOrg(ctx.database.db, options.orgId, options.id);
  if (row?.invoice.color !== "red") throw notFound();
  const red = await decideSandboxConfirmation(ctx, {
    actor: options.actor,
    orgId: options.orgId,
    redInvoiceId: options.id,
    decision: options.decision,
    issuedByCaller: true,
  });
  await issueNow(ctx, [red.id]);
}

/**
 * A failed red invoice is retried only if what it reverses is still there: other red invoices may
 * have taken part of its blue invoice since it failed (a failed red counts for nothing). Checked
 * under the blue invoice's row lock, as every reversal is, so the reds never add up to more than it.
 */
async function requireRedStillFits(tx: DbOrTx, red: InvoiceRow): Promise<void> {
  const blueId = red.blueInvoiceId as string;
  await lockBlueInvoice(tx, blueId);
  const blueLines = (await findInvoiceLines(tx, blueId)).map(toComputedLine);
  const others = await earlierRedLinesOf(tx, blueId, blueLines);
  const own = await redLinesOf(tx, [red.id], blueLines);
  if (!redStillFits(blueLines, others, own)) {
    throw new AppError(
      "NOTHING_LEFT_TO_REVERSE",
      "这张红字发票要冲销的部分已被其后的红字发票冲销，不能重试；请按剩余可红冲的部分重新红冲",
      { remaining: reversibleOf(blueLines, others).remaining },
    );
  }
}
