import { and, asc, eq } from "drizzle-orm";
import type { Actor, AppContext } from "../../context";
import { invoices, receiptCodes, reviewRules } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { firstSweepAt } from "../../platform/sweeper";
import { consumerUrl } from "../../platform/web";
import { recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";
import { sendNotice } from "../deliveries/notices";
import { findOrganizationByIdOrTaxId } from "../organizations/organizations.repository";
import { INVOICE_MOVES, movable, moveTo } from "./invoice-status";
import { findInvoiceOfOrg } from "./invoices.console.repository";
import { recordInvoiceOutcome } from "./invoices.merchant";
import { issueNow } from "./issuing.attempt";
import type { ReviewRuleRow } from "./review.rules";
import type { ReviewRuleInput } from "./review.schema";

/**
 * 审核开票 (optional per organization): its rules, and the operator's decision on a held
 * submission. A decision takes every held invoice of the receipt code (a split purchase is one
 * decision) in one conditional write, so of two operators deciding at once exactly one wins; the
 * other is told it was already decided. Approved invoices are then issued by the normal path.
 */

type ReviewContext = Pick<
  AppContext,
  "database" | "providers" | "jobs" | "log" | "config" | "deliveries" | "metrics"
>;

export function reviewRuleView(r: ReviewRuleRow) {
  return {
    id: r.id,
    source: r.source,
    invoiceType: r.invoiceType,
    minAmount: r.minAmount,
    buyerType: r.buyerType,
    createdAt: r.createdAt.toISOString(),
  };
}

export async function listReviewRules(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string },
) {
  requireOrg(options.actor, options.orgId);
  const rows = await ctx.database.db
    .select()
    .from(reviewRules)
    .where(eq(reviewRules.orgId, options.orgId))
    .orderBy(asc(reviewRules.createdAt), asc(reviewRules.id));
  return rows.map(reviewRuleView);
}

export async function createReviewRule(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string; input: ReviewRuleInput },
) {
  const actor = requireOrg(options.actor, options.orgId, "administer");
  const { input } = options;
  const row: ReviewRuleRow = {
    id: newId("rvr"),
    orgId: options.orgId,
    source: input.source ?? null,
    invoiceType: input.invoiceType ?? null,
    minAmount: input.minAmount ?? null,
    buyerType: input.buyerType ?? null,
    createdAt: new Date(),
  };
  await ctx.database.db.transaction(async (tx) => {
    await tx.insert(reviewRules).values(row);
    await recordAudit(tx, {
      actor,
      orgId: options.orgId,
      action: "review_rule.create",
      entityType: "review_rule",
      entityId: row.id,
      details: reviewRuleView(row),
    });
  });
  return reviewRuleView(row);
}

export async function deleteReviewRule(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string; id: string },
): Promise<void> {
  const actor = requireOrg(options.actor, options.orgId, "administer");
  const deleted = await ctx.database.db.transaction(async (tx) => {
    const [row] = await tx
      .delete(reviewRules)
      .where(and(eq(reviewRules.id, options.id), eq(reviewRules.orgId, options.orgId)))
      .returning();
    if (!row) return false;
    await recordAudit(tx, {
      actor,
      orgId: options.orgId,
      action: "review_rule.delete",
      entityType: "review_rule",
      entityId: row.id,
      details: reviewRuleView(row),
    });
    return true;
  });
  if (!deleted) throw new AppError("NOT_FOUND", "审核规则不存在");
}

const alreadyDecided = (status: string) =>
  new AppError("CONFLICT", "该开票申请已审核（可能已被其他人处理），请刷新", { status });

/** The held invoice of the organization the operator decides on (404 like any other invoice). */
async function heldInvoiceOf(ctx: ReviewContext, orgId: string, id: string) {
  const row = await findInvoiceOfOrg(ctx.database.db, orgId, id);
  if (!row) throw new AppError("INVOICE_NOT_FOUND");
  return row;
}

/**
 * 通过: the code's held invoices become pending (the sweep's backstop set) in one conditional
 * write, then are issued at once like a retry — the channel sees each invoice once.
 */
export async function approveInvoiceForConsole(
  ctx: ReviewContext,
  options: { actor: Actor; orgId: string; id: string },
): Promise<{ status: string }> {
  const actor = requireOrg(options.actor, options.orgId, "operate");
  const { invoice } = await heldInvoiceOf(ctx, options.orgId, options.id);
  const ids = await ctx.database.db.transaction(async (tx) => {
    const moved = await tx
      .update(invoices)
      .set({ ...moveTo("approve"), nextAttemptAt: firstSweepAt(ctx.config) })
      .where(and(eq(invoices.receiptCodeId, invoice.receiptCodeId), movable("approve")))
      .returning({ id: invoices.id });
    if (moved.length === 0) return [];
    await recordAudit(tx, {
      actor,
      orgId: options.orgId,
      action: "invoice.review_approve",
      entityType: "invoice",
      entityId: invoice.id,
      details: { invoiceIds: moved.map((m) => m.id) },
    });
    return moved.map((m) => m.id);
  });
  if (ids.length === 0) throw alreadyDecided(invoice.status);
  await issueNow(ctx, ids);
  const after = await findInvoiceOfOrg(ctx.database.db, options.orgId, options.id);
  return { status: after?.invoice.status ?? INVOICE_MOVES.approve.to };
}

/**
 * 拒绝 with a reason: the code's held invoices end `review_refused` (the reason is the failure
 * reason the console shows and the consumer reads), the code `failed`, the merchant's webhook
 * `invoice.failed`; the consumer is told by e-mail / SMS where they gave one.
 */
export async function declineInvoiceForConsole(
  ctx: ReviewContext,
  options: { actor: Actor; orgId: string; id: string; reason: string },
): Promise<{ status: string }> {
  const actor = requireOrg(options.actor, options.orgId, "operate");
  const { invoice, code } = await heldInvoiceOf(ctx, options.orgId, options.id);
  const consumerMessage = `商家未通过本次开票申请：${options.reason}`;
  const declined = await ctx.database.db.transaction(async (tx) => {
    const moved = await tx
      .update(invoices)
      .set({
        ...moveTo("decline"),
        failureCode: "REVIEW_REFUSED",
        failureReason: options.reason,
        channelData: { ...(invoice.channelData as Record<string, unknown>), consumerMessage },
        nextAttemptAt: null,
      })
      .where(and(eq(invoices.receiptCodeId, invoice.receiptCodeId), movable("decline")))
      .returning();
    if (moved.length === 0) return [];
    await tx
      .update(receiptCodes)
      // As a channel's refusal moves it (receipt-code-status.ts CODE_MOVES.refuse; not imported:
      // receipt-codes already depends on invoices through tax-accounts).
      .set({ status: "failed", updatedAt: new Date() })
      .where(and(eq(receiptCodes.id, invoice.receiptCodeId), eq(receiptCodes.status, "issuing")));
    for (const row of moved) await recordInvoiceOutcome(ctx, tx, row, "failed");
    await recordAudit(tx, {
      actor,
      orgId: options.orgId,
      action: "invoice.review_decline",
      entityType: "invoice",
      entityId: invoice.id,
      details: { reason: options.reason, invoiceIds: moved.map((m) => m.id) },
    });
    return moved;
  });
  if (declined.length === 0) throw alreadyDecided(invoice.status);
  await sendNotice(ctx, {
    email: invoice.email,
    mobile: invoice.mobile,
    subject: "开票申请未通过商家审核",
    text: `${consumerMessage}\n\n查看详情：${consumerUrl(ctx, code.token)}\n如有疑问请联系商家。`,
    sms: {
      sellerName: (await findOrganizationByIdOrTaxId(ctx.database.db, invoice.orgId))?.name ?? "",
      token: code.token,
    },
  });
  return { status: INVOICE_MOVES.decline.to };
}
