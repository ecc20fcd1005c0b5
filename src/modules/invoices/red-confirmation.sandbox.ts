import { and, eq } from "drizzle-orm";
import type { Actor, AppContext } from "../../context";
import { canMoveRedConfirmation, RED_CONFIRMATION_LABELS, type RedConfirmationStatus } from "../../domain";
import { invoices, redConfirmations, taxBureauAccounts } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { firstSweepAt } from "../../platform/sweeper";
import { recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";
import { decideSandboxRedConfirmation } from "./channels/sandbox";
import { canAnswerConfirmation, INVOICE_MOVES, movable, moveTo } from "./invoice-status";
import { findInvoice, type InvoiceRow } from "./invoices.repository";

/**
 * The sandbox's stand-in for the buyer (the console's action on a sandbox red invoice, `piaoma
 * sandbox:confirm`): confirms or refuses its pending 确认单 at the sandbox bureau, then asks the
 * channel again (at once, or by the issuing sweep), as for any red invoice — confirmed, the red invoice is issued (and the
 * blue one reversed); refused, it fails. What the channel answers moves Piaoma's 确认单, with its
 * webhook. Only sandbox accounts; only a pending 确认单.
 */
export async function decideSandboxConfirmation(
  ctx: Pick<AppContext, "database" | "config">,
  options: {
    actor: Actor;
    /** The red invoice, or the 确认单 number (the command line). */
    redInvoiceId?: string;
    number?: string;
    /** Checked for a console user: the invoice belongs to this organization. */
    orgId?: string;
    decision: "confirmed" | "refused";
    /**
     * The caller asks the channel at once (the console: issueNow after this); otherwise the red
     * invoice is due now for the issuing sweep of a running server (the command line).
     */
    issuedByCaller: boolean;
  },
): Promise<InvoiceRow> {
  const { db } = ctx.database;
  const [confirmation] = await db
    .select()
    .from(redConfirmations)
    .where(
      options.redInvoiceId
        ? eq(redConfirmations.redInvoiceId, options.redInvoiceId)
        : eq(redConfirmations.number, options.number ?? ""),
    );
  const notFound = new AppError("NOT_FOUND", "红字确认单不存在");
  if (!confirmation || (options.orgId && confirmation.orgId !== options.orgId)) throw notFound;
  if (options.actor.type === "user") requireOrg(options.actor, confirmation.orgId, "operate");
  const red = await findInvoice(db, confirmation.redInvoiceId);
  if (!red) throw notFound;
  const [account] = await db
    .select({ channel: taxBureauAccounts.channel })
    .from(taxBureauAccounts)
    .where(eq(taxBureauAccounts.id, red.taxAccountId ?? ""));
  if (account?.channel !== "sandbox")
    throw new AppError(
      "CONFLICT",
      "只有沙箱通道的红字确认单可以在票码里模拟确认，其他通道由购买方在电子税务局确认",
    );
  const status = confirmation.status as RedConfirmationStatus;
  if (status !== "pending" || !canAnswerConfirmation(red.status) || !confirmation.number)
    throw new AppError("CONFLICT", `红字确认单${RED_CONFIRMATION_LABELS[status]}，不能再确认或拒绝`, {
      status,
    });
  if (!canMoveRedConfirmation(status, options.decision)) throw new Error("unreachable");

  // The bureau's side: the buyer answers (refused if the deadline has passed meanwhile).
  if (
    !(await decideSandboxRedConfirmation(ctx.database, {
      number: confirmation.number,
      decision: options.decision,
    }))
  )
    throw new AppError("CONFLICT", "红字确认单已不是待确认状态（可能已过期）");
  // Ours: the red invoice is due again; asked at once below, the sweep finishes it otherwise.
  await db.transaction(async (tx) => {
    await tx
      .update(invoices)
      .set({
        ...moveTo("answerConfirmation"),
        nextAttemptAt: options.issuedByCaller ? firstSweepAt(ctx.config) : new Date(),
      })
      .where(and(eq(invoices.id, red.id), movable("answerConfirmation")));
    await recordAudit(tx, {
      actor: options.actor,
      orgId: red.orgId,
      action: "invoice.sandbox_confirmation",
      entityType: "invoice",
      entityId: red.id,
      details: { number: confirmation.number, decision: options.decision },
    });
  });
  return { ...red, status: INVOICE_MOVES.answerConfirmation.to };
}
