import { and, desc, eq } from "drizzle-orm";
import type { Actor, AppContext } from "../../context";
import { isUniqueViolation } from "../../platform/db/errors";
import {
  correctionRequests,
  invoices,
  organizations,
  receiptCodeConfigs,
  receiptCodes,
} from "../../platform/db/schema";
import { AppError, isAppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";
import { sendNotice } from "../deliveries/notices";
import { INVOICE_MOVES } from "../invoices/invoice-status";
import { findInvoicesOfCode, type InvoiceRow } from "../invoices/invoices.repository";
import { reverseAndReissue, validCorrection } from "../invoices/reissue";
import { maskTaxId } from "../scan/masking";
import {
  CORRECTION_REASONS,
  type CorrectionBody,
  type CorrectionReason,
  type CorrectionView,
  type consoleCorrection,
} from "./corrections.schema";

/**
 * 换开 (issue 19 item 4): a consumer who got an invoice with a wrong title, tax ID or invoice type
 * asks on the re-scan page for it to be issued again to the corrected buyer (validated at once by
 * the submit's rules). An operator approves or refuses it in the console's 换开申请 list, or the
 * organization's rule approves it when it comes within N days of the invoice's issue. Approval is
 * 红冲并重开 (invoices/reissue.ts: the red invoice, and the corrected one from the same purchase,
 * exactly once); either way the consumer is told by e-mail and/or SMS and on the page.
 */

type CorrectionContext = Pick<
  AppContext,
  "database" | "providers" | "jobs" | "log" | "config" | "deliveries" | "metrics"
>;
type Row = typeof correctionRequests.$inferSelect;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The invoices of a code a consumer may ask to correct: issued blue ones not replaced already. */
function correctable(all: InvoiceRow[]): InvoiceRow[] {
  const replaced = new Set(all.flatMap((i) => (i.reissueOfInvoiceId ? [i.reissueOfInvoiceId] : [])));
  return all.filter((i) => i.color === "blue" && i.status === INVOICE_MOVES.issue.to && !replaced.has(i.id));
}

export async function applyForCorrection(
  ctx: CorrectionContext,
  options: { token: string; body: CorrectionBody },
): Promise<CorrectionView> {
  const { db } = ctx.database;
  const [code] = await db.select().from(receiptCodes).where(eq(receiptCodes.token, options.token));
  if (!code) throw new AppError("RECEIPT_CODE_NOT_FOUND");
  const candidates = correctable(await findInvoicesOfCode(db, code.id));
  const invoice = options.body.invoiceId
    ? candidates.find((i) => i.id === options.body.invoiceId)
    : candidates.length === 1
      ? candidates[0]
      : undefined;
  if (!invoice) {
    throw new AppError(
      "CORRECTION_NOT_ALLOWED",
      candidates.length > 1
        ? "请选择要重开的发票"
        : "这张小票没有可以申请重开的发票（未开具、已红冲或已重开）",
    );
  }
  const valid = await validCorrection(db, code.id, {
    ...options.body,
    email: options.body.email || invoice.email,
    mobile: options.body.mobile || invoice.mobile,
  });
  const row = {
    id: newId("cor"),
    orgId: code.orgId,
    receiptCodeId: code.id,
    invoiceId: invoice.id,
    reason: options.body.reason,
    note: options.body.note ?? "",
    invoiceType: valid.invoiceType,
    buyerType: valid.buyer.type,
    buyerName: valid.buyer.name,
    buyerTaxId: valid.buyer.taxId ?? "",
    buyerAddress: valid.buyer.address ?? "",
    buyerPhone: valid.buyer.phone ?? "",
    buyerBankName: valid.buyer.bankName ?? "",
    buyerBankAccount: valid.buyer.bankAccount ?? "",
    email: valid.email ?? invoice.email,
    mobile: valid.mobile ?? invoice.mobile,
    status: "pending",
  } satisfies typeof correctionRequests.$inferInsert;
  try {
    await db.transaction(async (tx) => {
      await tx.insert(correctionRequests).values(row);
      await recordAudit(tx, {
        actor: { type: "consumer", token: options.token },
        orgId: code.orgId,
        action: "correction.apply",
        entityType: "invoice",
        entityId: invoice.id,
        details: { correctionId: row.id, reason: row.reason, invoiceType: row.invoiceType },
      });
    });
  } catch (e) {
    if (isUniqueViolation(e, "correction_requests_pending_key")) {
      throw new AppError("CORRECTION_NOT_ALLOWED", "这张发票已有一条待处理的重开申请，请等待商家处理");
    }
    throw e;
  }
  const [config] = await db
    .select({ days: receiptCodeConfigs.correctionAutoApproveDays })
    .from(receiptCodeConfigs)
    .where(eq(receiptCodeConfigs.orgId, code.orgId));
  const days = config?.days ?? null;
  if (days !== null && invoice.issuedAt && Date.now() - invoice.issuedAt.getTime() <= days * DAY_MS) {
    await decide(ctx, row.id, { type: "system", reason: "correction auto-approval" }, "auto", {
      approve: true,
    });
  }
  return viewOf((await findRow(ctx, row.id))!, invoice);
}

/** The consumer's requests for a code (newest first), for the re-scan page. */
export async function correctionsOfToken(ctx: CorrectionContext, token: string): Promise<CorrectionView[]> {
  const { db } = ctx.database;
  const [code] = await db
    .select({ id: receiptCodes.id })
    .from(receiptCodes)
    .where(eq(receiptCodes.token, token));
  if (!code) throw new AppError("RECEIPT_CODE_NOT_FOUND");
  const rows = await db
    .select({ r: correctionRequests, number: invoices.number })
    .from(correctionRequests)
    .innerJoin(invoices, eq(invoices.id, correctionRequests.invoiceId))
    .where(eq(correctionRequests.receiptCodeId, code.id))
    .orderBy(desc(correctionRequests.createdAt));
  return rows.map(({ r, number }) => {
    const view = viewOf(r, { number });
    return { ...view, buyer: { ...view.buyer, taxId: maskTaxId(view.buyer.taxId) } };
  });
}

/** The console's 换开申请 list. */
export async function correctionsForConsole(
  ctx: CorrectionContext,
  options: { actor: Actor; orgId: string; status?: string },
): Promise<Array<typeof consoleCorrection._output>> {
  requireOrg(options.actor, options.orgId, "read");
  const rows = await ctx.database.db
    .select({ r: correctionRequests, invoice: invoices, orderNo: receiptCodes.serialNo })
    .from(correctionRequests)
    .innerJoin(invoices, eq(invoices.id, correctionRequests.invoiceId))
    .innerJoin(receiptCodes, eq(receiptCodes.id, correctionRequests.receiptCodeId))
    .where(
      and(
        eq(correctionRequests.orgId, options.orgId),
        options.status ? eq(correctionRequests.status, options.status) : undefined,
      ),
    )
    .orderBy(desc(correctionRequests.createdAt))
    .limit(200);
  return rows.map(({ r, invoice, orderNo }) => ({
    ...viewOf(r, invoice),
    orderNo,
    oldBuyer: { name: invoice.buyerName, taxId: invoice.buyerTaxId },
    email: r.email,
    mobile: r.mobile,
  }));
}

/** 同意 / 拒绝 in the console. */
export async function decideCorrection(
  ctx: CorrectionContext,
  options: { actor: Actor; orgId: string; id: string; approve: boolean; refusalReason?: string },
): Promise<CorrectionView> {
  const user = requireOrg(options.actor, options.orgId, "operate");
  const row = await findRow(ctx, options.id);
  if (!row || row.orgId !== options.orgId) throw AppError.notFound("重开申请不存在");
  await decide(ctx, row.id, options.actor, user.userId, options);
  const fresh = (await findRow(ctx, row.id))!;
  const [invoice] = await ctx.database.db
    .select({ number: invoices.number })
    .from(invoices)
    .where(eq(invoices.id, fresh.invoiceId));
  return viewOf(fresh, invoice ?? { number: null });
}

/**
 * The decision, once: the request leaves `pending` by a conditional update, so two operators (or an
 * operator and the rule) cannot both decide it. Approval then reverses and reissues; if that is
 * refused (the invoice was reversed meanwhile, say), the request goes back to pending with the
 * error for the operator. The consumer is told after the commit.
 */
async function decide(
  ctx: CorrectionContext,
  id: string,
  actor: Actor,
  decidedBy: string,
  options: { approve: boolean; refusalReason?: string },
): Promise<void> {
  const { db } = ctx.database;
  const [claimed] = await db
    .update(correctionRequests)
    .set({
      status: options.approve ? "approved" : "refused",
      decidedBy,
      decidedAt: new Date(),
      refusalReason: options.approve ? null : (options.refusalReason ?? ""),
      updatedAt: new Date(),
    })
    .where(and(eq(correctionRequests.id, id), eq(correctionRequests.status, "pending")))
    .returning();
  if (!claimed) throw new AppError("CONFLICT", "该重开申请已处理");
  if (options.approve) {
    try {
      const { red, reissued } = await reverseAndReissue(ctx, {
        actor,
        invoiceId: claimed.invoiceId,
        reason: "开票有误",
        correction: {
          invoiceType: claimed.invoiceType,
          buyer: {
            type: claimed.buyerType,
            name: claimed.buyerName,
            taxId: claimed.buyerTaxId,
            address: claimed.buyerAddress,
            phone: claimed.buyerPhone,
            bankName: claimed.buyerBankName,
            bankAccount: claimed.buyerBankAccount,
          },
          email: claimed.email,
          mobile: claimed.mobile,
        },
      });
      await db
        .update(correctionRequests)
        .set({ redInvoiceId: red.id, newInvoiceId: reissued.id, updatedAt: new Date() })
        .where(eq(correctionRequests.id, id));
    } catch (e) {
      await db
        .update(correctionRequests)
        .set({ status: "pending", decidedBy: null, decidedAt: null, updatedAt: new Date() })
        .where(eq(correctionRequests.id, id));
      if (isAppError(e)) throw e;
      throw e;
    }
  }
  await db.transaction((tx) =>
    recordAudit(tx, {
      actor,
      orgId: claimed.orgId,
      action: options.approve ? "correction.approve" : "correction.refuse",
      entityType: "invoice",
      entityId: claimed.invoiceId,
      details: { correctionId: id, decidedBy, refusalReason: options.refusalReason ?? null },
    }),
  );
  const [where] = await db
    .select({ token: receiptCodes.token, sellerName: organizations.name })
    .from(receiptCodes)
    .innerJoin(organizations, eq(organizations.id, receiptCodes.orgId))
    .where(eq(receiptCodes.id, claimed.receiptCodeId));
  // The SMS (a template) points at the code's page, which shows the request's outcome.
  await sendNotice(ctx, {
    email: claimed.email,
    mobile: claimed.mobile,
    sms: { sellerName: where?.sellerName ?? "", token: where?.token ?? "" },
    ...(options.approve
      ? {
          subject: "您的发票重开申请已通过",
          text: `您申请重开的发票已按新的抬头「${claimed.buyerName}」重新开具，原发票已红冲作废。新发票开具后将发送到本邮箱，也可重新扫描小票二维码查看和下载。`,
        }
      : {
          subject: "您的发票重开申请未通过",
          text: `商家未同意您的发票重开申请${options.refusalReason ? `，原因：${options.refusalReason}` : ""}。原发票仍然有效；如有疑问请联系商家。`,
        }),
  });
}

async function findRow(ctx: CorrectionContext, id: string): Promise<Row | undefined> {
  const [row] = await ctx.database.db.select().from(correctionRequests).where(eq(correctionRequests.id, id));
  return row;
}

function viewOf(r: Row, invoice: { number: string | null }): CorrectionView {
  return {
    id: r.id,
    invoiceId: r.invoiceId,
    invoiceNumber: invoice.number,
    reason: r.reason as CorrectionReason,
    reasonLabel: CORRECTION_REASONS[r.reason as CorrectionReason] ?? r.reason,
    note: r.note,
    invoiceType: r.invoiceType,
    buyer: { type: r.buyerType, name: r.buyerName, taxId: r.buyerTaxId },
    status: r.status as CorrectionView["status"],
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt?.toISOString() ?? null,
    refusalReason: r.refusalReason,
    redInvoiceId: r.redInvoiceId,
    newInvoiceId: r.newInvoiceId,
    createdAt: r.createdAt.toISOString(),
  };
}
