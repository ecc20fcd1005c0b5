import { and, eq, ne } from "drizzle-orm";
import type { Actor, AppContext } from "../../context";
import { isRedReason, RED_REASONS, reversibleOf } from "../../domain";
import type { DbOrTx } from "../../platform/db/client";
import { invoices, taxBureauAccounts } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { firstSweepAt } from "../../platform/sweeper";
import { recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";
import { channelDefinition } from "./channels/channel-registry";
import { toComputedLine } from "./invoice-document";
import { canReverse, INVOICE_MOVES, NEW_STATUS } from "./invoice-status";
import { buyerColumnsOf, buyerOf } from "./invoices.presenter";
import {
  findInvoice,
  findInvoiceLines,
  type InvoiceRow,
  insertInvoices,
  invoiceSerial,
} from "./invoices.repository";
import { channelDataOf, issueNow } from "./issuing.attempt";
import { recordRedConfirmationRequest } from "./red-confirmation";
import {
  earlierRedLinesOf,
  lockBlueInvoice,
  planRedInvoice,
  redLineRows,
  reversalSummary,
} from "./reversal.partial";

type ReversalContext = Pick<
  AppContext,
  "database" | "providers" | "jobs" | "log" | "config" | "deliveries" | "metrics"
>;

const notFound = () => new AppError("INVOICE_NOT_FOUND");

/**
 * 红冲 (DOMAIN.md §8): a red invoice reversing an issued blue one — in full (only a reason), or in
 * part (部分红冲: `lines` with quantities or, for 销售折让, amounts, or a top-level `amount`;
 * reversal.partial.ts) — for the open API and the console. It is issued through the same state
 * machine as a blue invoice (its own serial, channel told the blue number); when the channel
 * confirms, the blue one becomes `reversed` or `partially_reversed` (issuing.save.ts) and the
 * invoice.reversed webhook goes out. Planned under a row lock on the blue invoice, so concurrent
 * requests never reverse more than it. Asking again for the whole of an invoice already reversed in
 * full by one red invoice returns that red invoice (created: false).
 */
export async function reverseInvoice(
  ctx: ReversalContext,
  options: { actor: Actor; invoiceId: string; reason: string; lines?: unknown; amount?: unknown },
): Promise<{ created: boolean; red: InvoiceRow }> {
  const { db } = ctx.database;
  const blue = await findInvoice(db, options.invoiceId);
  if (!blue) throw notFound();
  if (options.actor.type === "app" && options.actor.orgId !== blue.orgId) throw notFound();
  if (options.actor.type === "user") requireOrg(options.actor, blue.orgId, "operate");
  if (!isRedReason(options.reason)) {
    throw AppError.validation({ reason: `红冲原因须为：${RED_REASONS.join("、")}` });
  }
  if (blue.color !== "blue") throw new AppError("CONFLICT", "红字发票不能再红冲");
  // A reversed invoice is let through too: asking again for the whole answers with its red invoice,
  // anything else with NOTHING_LEFT_TO_REVERSE (reversal.partial.ts).
  if (!(canReverse(blue.status) || blue.status === INVOICE_MOVES.reverse.to) || !blue.number) {
    throw new AppError("CONFLICT", "只有已开具的蓝字发票可以红冲", { status: blue.status });
  }

  const blueLines = (await findInvoiceLines(db, blue.id)).map(toComputedLine);
  const request = { reason: options.reason, lines: options.lines, amount: options.amount };
  const whole = request.lines === undefined && request.amount === undefined;
  const [account] = await db
    .select({ channel: taxBureauAccounts.channel })
    .from(taxBureauAccounts)
    .where(eq(taxBureauAccounts.id, blue.taxAccountId ?? ""));
  if (!whole) requirePartialRed(account?.channel);
  const id = newId("inv");
  const outcome = await db.transaction(async (tx): Promise<{ existing: InvoiceRow } | { row: NewRow }> => {
    await lockBlueInvoice(tx, blue.id);
    const earlier = await earlierRedLinesOf(tx, blue.id, blueLines);
    if (whole && earlier.length > 0) {
      // The whole invoice again: the one red invoice that reversed it in full answers.
      const reds = await findRedsOf(tx, blue.id);
      const [only] = reds;
      if (only && reds.length === 1 && reversibleOf(blueLines, earlier).exhausted) return { existing: only };
    }
    const plan = planRedInvoice(blueLines, earlier, request);
    const row = {
      ...copiedParties(blue),
      id,
      color: "red",
      blueInvoiceId: blue.id,
      reverseReason: options.reason,
      status: NEW_STATUS,
      nextAttemptAt: firstSweepAt(ctx.config),
      serial: invoiceSerial(id),
      channelData: channelDataOf(ctx.providers.channels, account?.channel, invoiceSerial(id)),
      ...plan.red.totals,
    } satisfies typeof invoices.$inferInsert;
    await insertInvoices(tx, [row], redLineRows(id, plan));
    await recordRedConfirmationRequest(tx, row, options.actor);
    await recordAudit(tx, {
      actor: options.actor,
      orgId: blue.orgId,
      action: "invoice.reverse",
      entityType: "invoice",
      entityId: blue.id,
      details: { redInvoiceId: id, reason: options.reason, number: blue.number, ...reversalSummary(plan) },
    });
    return { row };
  });
  if ("existing" in outcome) return { created: false, red: outcome.existing };
  await issueNow(ctx, [id]);
  return { created: true, red: (await findInvoice(db, id)) ?? (outcome.row as unknown as InvoiceRow) };
}

type NewRow = typeof invoices.$inferInsert;

/** PARTIAL_RED_NOT_SUPPORTED unless the invoice's channel can reverse it in part (checked before any red is made). */
export async function requirePartialRedOf(db: DbOrTx, blue: Pick<InvoiceRow, "taxAccountId">): Promise<void> {
  const [account] = await db
    .select({ channel: taxBureauAccounts.channel })
    .from(taxBureauAccounts)
    .where(eq(taxBureauAccounts.id, blue.taxAccountId ?? ""));
  requirePartialRed(account?.channel);
}

/** 部分红冲 only through channels that send the red lines (the others reverse a whole invoice). */
function requirePartialRed(channel: string | undefined): void {
  if (channel === undefined) return;
  const definition = channelDefinition(channel);
  if (!definition?.partialRed) {
    throw new AppError(
      "PARTIAL_RED_NOT_SUPPORTED",
      `开票通道「${definition?.label ?? channel}」只能整张红冲：请只填红冲原因（全额红冲），或在通道平台上办理部分红冲`,
      { channel },
    );
  }
}

/** The parts a red invoice takes from its blue one: same code, seller account, buyer, people. */
export function copiedParties(blue: InvoiceRow) {
  return {
    orgId: blue.orgId,
    receiptCodeId: blue.receiptCodeId,
    submissionId: blue.submissionId,
    taxAccountId: blue.taxAccountId,
    seq: blue.seq,
    seqCount: blue.seqCount,
    invoiceType: blue.invoiceType,
    ...buyerColumnsOf(buyerOf(blue)),
    email: blue.email,
    mobile: blue.mobile,
    drawer: blue.drawer,
    payee: blue.payee,
    reviewer: blue.reviewer,
    remark: blue.remark,
  };
}

/** The blue invoice's red invoices; a failed one (refused, its 确认单 refused or expired) does not count. */
async function findRedsOf(db: DbOrTx, blueInvoiceId: string): Promise<InvoiceRow[]> {
  return db
    .select()
    .from(invoices)
    .where(and(eq(invoices.blueInvoiceId, blueInvoiceId), ne(invoices.status, INVOICE_MOVES.refuse.to)));
}
