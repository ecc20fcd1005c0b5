import { and, eq, ne } from "drizzle-orm";
import type { Actor, AppContext } from "../../context";
import { type ComputedInvoice, isRedReason, RED_REASONS, redInvoiceFrom } from "../../domain";
import type { DbOrTx } from "../../platform/db/client";
import { isUniqueViolation } from "../../platform/db/errors";
import { invoices, taxBureauAccounts } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { firstSweepAt } from "../../platform/sweeper";
import { recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";
import { toComputedLine } from "./invoice-document";
import { canReverse, INVOICE_MOVES, NEW_STATUS } from "./invoice-status";
import { buyerColumnsOf, buyerOf, totalsOf } from "./invoices.presenter";
import {
  findInvoice,
  findInvoiceLines,
  type InvoiceRow,
  insertInvoices,
  invoiceLineRows,
  invoiceSerial,
} from "./invoices.repository";
import { channelDataOf, issueNow } from "./issuing.attempt";
import { recordRedConfirmationRequest } from "./red-confirmation";

type ReversalContext = Pick<AppContext, "database" | "providers" | "jobs" | "log" | "config" | "deliveries">;

const notFound = () => new AppError("INVOICE_NOT_FOUND");

/**
 * 红冲 (DOMAIN.md §8): a red invoice reversing an issued blue one in full, for the open API and
 * the console. It is issued through the same state machine as a blue invoice (its own serial,
 * channel told the blue number); when the channel confirms, the blue one becomes `reversed`
 * (red-invoices.ts, called by issuing) and the invoice.reversed webhook goes out. One red per blue,
 * by constraint: asking again returns the same red invoice (created: false).
 */
export async function reverseInvoice(
  ctx: ReversalContext,
  options: { actor: Actor; invoiceId: string; reason: string },
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
  const earlier = await findRedOf(db, blue.id);
  if (earlier) return { created: false, red: earlier };
  if (!canReverse(blue.status) || !blue.number) {
    throw new AppError("CONFLICT", "只有已开具的蓝字发票可以红冲", { status: blue.status });
  }

  const blueLines = await findInvoiceLines(db, blue.id);
  const computed: ComputedInvoice = {
    priceIncludesTax: true,
    lines: blueLines.map(toComputedLine),
    totals: totalsOf(blue),
  };
  const red = redInvoiceFrom(computed);
  const id = newId("inv");
  const [account] = await db
    .select({ channel: taxBureauAccounts.channel })
    .from(taxBureauAccounts)
    .where(eq(taxBureauAccounts.id, blue.taxAccountId ?? ""));
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
    ...red.totals,
  } satisfies typeof invoices.$inferInsert;
  const lines = invoiceLineRows(id, red.lines);

  try {
    await db.transaction(async (tx) => {
      await insertInvoices(tx, [row], lines);
      await recordRedConfirmationRequest(tx, row, options.actor);
      await recordAudit(tx, {
        actor: options.actor,
        orgId: blue.orgId,
        action: "invoice.reverse",
        entityType: "invoice",
        entityId: blue.id,
        details: { redInvoiceId: id, reason: options.reason, number: blue.number },
      });
    });
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    // A concurrent request reversed it first: theirs is the red invoice.
    const winner = await findRedOf(db, blue.id);
    if (!winner) throw e;
    return { created: false, red: winner };
  }
  await issueNow(ctx, [id]);
  return { created: true, red: (await findInvoice(db, id)) ?? (row as unknown as InvoiceRow) };
}

/** The parts a red invoice takes from its blue one: same code, seller account, buyer, people. */
function copiedParties(blue: InvoiceRow) {
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

/** The blue invoice's red one; a failed red (its 确认单 refused or expired) does not count. */
async function findRedOf(db: DbOrTx, blueInvoiceId: string): Promise<InvoiceRow | undefined> {
  const [row] = await db
    .select()
    .from(invoices)
    .where(and(eq(invoices.blueInvoiceId, blueInvoiceId), ne(invoices.status, INVOICE_MOVES.refuse.to)));
  return row;
}
