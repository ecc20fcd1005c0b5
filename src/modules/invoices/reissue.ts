import { and, eq, isNull } from "drizzle-orm";
import type { Actor, AppContext } from "../../context";
import { type InvoiceType, type ValidBuyerSubmission, validateBuyer } from "../../domain";
import type { DbOrTx } from "../../platform/db/client";
import { isUniqueViolation } from "../../platform/db/errors";
import { invoices, receiptCodes, taxBureauAccounts } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { firstSweepAt } from "../../platform/sweeper";
import { recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";
import { toComputedLine } from "./invoice-document";
import { INVOICE_MOVES, NEW_STATUS } from "./invoice-status";
import { buyerColumnsOf } from "./invoices.presenter";
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
import { copiedParties } from "./reversal.service";

type ReissueContext = Pick<
  AppContext,
  "database" | "providers" | "jobs" | "log" | "config" | "deliveries" | "metrics"
>;

/** What the corrected invoice changes: the buyer and the invoice type (and where it is sent). */
export interface Correction {
  invoiceType: string;
  buyer: Record<string, unknown>;
  email?: string | null;
  mobile?: string | null;
}

/**
 * The corrected buyer, validated by the same rules as a consumer's submit, of a type the code
 * allows: the refusal names every field.
 */
export async function validCorrection(
  db: DbOrTx,
  receiptCodeId: string,
  correction: Correction,
): Promise<ValidBuyerSubmission> {
  const valid = validateBuyer({
    invoiceType: correction.invoiceType as InvoiceType,
    buyer: correction.buyer as never,
    email: correction.email ?? undefined,
    mobile: correction.mobile ?? undefined,
  });
  if (!valid.ok) {
    throw AppError.validation(Object.fromEntries(valid.issues.map((i) => [i.path, i.message])));
  }
  const [code] = await db
    .select({ invoiceTypes: receiptCodes.invoiceTypes })
    .from(receiptCodes)
    .where(eq(receiptCodes.id, receiptCodeId));
  if (code && !code.invoiceTypes.includes(valid.value.invoiceType)) {
    throw new AppError("INVOICE_TYPE_NOT_ALLOWED", "该发票类型不可选，请选择商家允许的发票类型", {
      fields: { invoiceType: "该发票类型不可选" },
    });
  }
  return valid.value;
}

/**
 * 红冲并重开 (换开): the blue invoice is reversed in full by a red invoice, and the same purchase is
 * issued again to the corrected buyer — a new blue invoice with the same lines, linked to the old one
 * (`reissue_of_invoice_id`, unique: at most one replacement per invoice, however often or from
 * however many processes it is asked). Both rows are written in one transaction under the blue
 * invoice's row lock; the red one is issued first, and the new one once the red one is issued (at
 * once here, or by the issuing sweep after a 红字确认单 is confirmed: issuing.save.ts releases it).
 */
export async function reverseAndReissue(
  ctx: ReissueContext,
  options: { actor: Actor; invoiceId: string; reason?: string; correction: Correction },
): Promise<{ red: InvoiceRow; reissued: InvoiceRow }> {
  const { db } = ctx.database;
  const blue = await findInvoice(db, options.invoiceId);
  if (!blue) throw new AppError("INVOICE_NOT_FOUND");
  if (options.actor.type === "user") requireOrg(options.actor, blue.orgId, "operate");
  if (options.actor.type === "app" && options.actor.orgId !== blue.orgId)
    throw new AppError("INVOICE_NOT_FOUND");
  if (blue.color !== "blue" || blue.status !== INVOICE_MOVES.issue.to || !blue.number) {
    throw new AppError("CORRECTION_NOT_ALLOWED", "只有已开具且未红冲的蓝字发票可以红冲并重开", {
      status: blue.status,
    });
  }
  // Sent where the old one went unless the correction says otherwise.
  const valid = await validCorrection(db, blue.receiptCodeId, {
    ...options.correction,
    email: options.correction.email || blue.email,
    mobile: options.correction.mobile || blue.mobile,
  });
  const reason = options.reason ?? "开票有误";
  const blueLines = await findInvoiceLines(db, blue.id);
  const computed = blueLines.map(toComputedLine);
  const [account] = await db
    .select({ channel: taxBureauAccounts.channel })
    .from(taxBureauAccounts)
    .where(eq(taxBureauAccounts.id, blue.taxAccountId ?? ""));
  const redId = newId("inv");
  const newIdValue = newId("inv");
  try {
    await db.transaction(async (tx) => {
      await lockBlueInvoice(tx, blue.id);
      const earlier = await earlierRedLinesOf(tx, blue.id, computed);
      if (earlier.length > 0)
        throw new AppError("CORRECTION_NOT_ALLOWED", "这张发票已有红字发票，不能再红冲并重开");
      const plan = planRedInvoice(computed, earlier, { reason });
      const parties = copiedParties(blue);
      const red = {
        ...parties,
        id: redId,
        color: "red",
        blueInvoiceId: blue.id,
        reverseReason: reason,
        status: NEW_STATUS,
        nextAttemptAt: firstSweepAt(ctx.config),
        serial: invoiceSerial(redId),
        channelData: channelDataOf(ctx.providers.channels, account?.channel, invoiceSerial(redId)),
        ...plan.red.totals,
      } satisfies typeof invoices.$inferInsert;
      const reissued = {
        ...parties,
        id: newIdValue,
        color: "blue",
        invoiceType: valid.invoiceType,
        ...buyerColumnsOf(valid.buyer),
        email: valid.email ?? blue.email,
        mobile: valid.mobile ?? blue.mobile,
        reissueOfInvoiceId: blue.id,
        status: NEW_STATUS,
        // Not due until its red invoice is issued (then released: issuing.save.ts).
        nextAttemptAt: null,
        serial: invoiceSerial(newIdValue),
        channelData: channelDataOf(ctx.providers.channels, account?.channel, invoiceSerial(newIdValue)),
        amountExcludingTax: blue.amountExcludingTax,
        taxAmount: blue.taxAmount,
        totalAmount: blue.totalAmount,
      } satisfies typeof invoices.$inferInsert;
      await insertInvoices(
        tx,
        [red, reissued],
        [
          ...redLineRows(redId, plan),
          ...blueLines.map((l) => ({ ...l, invoiceId: newIdValue, blueLineNo: null })),
        ],
      );
      await recordRedConfirmationRequest(tx, red, options.actor);
      await recordAudit(tx, {
        actor: options.actor,
        orgId: blue.orgId,
        action: "invoice.reissue",
        entityType: "invoice",
        entityId: blue.id,
        details: {
          redInvoiceId: redId,
          newInvoiceId: newIdValue,
          reason,
          number: blue.number,
          buyer: { type: valid.buyer.type, name: valid.buyer.name, taxId: valid.buyer.taxId ?? "" },
          invoiceType: valid.invoiceType,
          ...reversalSummary(plan),
        },
      });
    });
  } catch (e) {
    if (isUniqueViolation(e, "invoices_reissue_of_key")) {
      throw new AppError("CORRECTION_NOT_ALLOWED", "这张发票已经重开过");
    }
    throw e;
  }
  await issueNow(ctx, [redId]);
  const red = await findInvoice(db, redId);
  if (red?.status === INVOICE_MOVES.issue.to) {
    await releaseReissue(db, blue.id);
    await issueNow(ctx, [newIdValue]);
  }
  return { red: (await findInvoice(db, redId))!, reissued: (await findInvoice(db, newIdValue))! };
}

/**
 * The corrected invoice waiting for the red invoice of the one it replaces becomes due (in the
 * transaction that saves that red invoice, and after it at once). Only while it waits: once.
 */
export async function releaseReissue(db: DbOrTx, replacedInvoiceId: string): Promise<void> {
  await db
    .update(invoices)
    .set({ nextAttemptAt: new Date(), updatedAt: new Date() })
    .where(
      and(
        eq(invoices.reissueOfInvoiceId, replacedInvoiceId),
        eq(invoices.status, NEW_STATUS),
        isNull(invoices.nextAttemptAt),
      ),
    );
}
