import { and, asc, desc, eq, inArray } from "drizzle-orm";
import type { Actor, AppContext } from "../../context";
import { isUniqueViolation } from "../../platform/db/errors";
import {
  correctionRequests,
  invoices,
  organizations,
  receiptCodeConfigs,
  receiptCodes,
  submissionCodes,
  submissions,
} from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";
import { sendNotice } from "../deliveries/notices";
import { INVOICE_MOVES } from "../invoices/invoice-status";
import { findInvoicesOfCode, type InvoiceRow } from "../invoices/invoices.repository";
import { reverseAndReissue, validCorrection } from "../invoices/reissue";
import { maskTaxId } from "../scan/masking";
import { invoicingCodeId } from "../scan/scan.merge";
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

type CorrectedBuyer = Pick<
  Row,
  | "invoiceType"
  | "buyerType"
  | "buyerName"
  | "buyerTaxId"
  | "buyerAddress"
  | "buyerPhone"
  | "buyerBankName"
  | "buyerBankAccount"
>;

/** Whether an invoice already carries the corrected buyer and type (then re-issuing it changes nothing). */
function carries(invoice: InvoiceRow, c: CorrectedBuyer): boolean {
  return (
    invoice.invoiceType === c.invoiceType &&
    invoice.buyerType === c.buyerType &&
    invoice.buyerName === c.buyerName &&
    invoice.buyerTaxId === c.buyerTaxId &&
    invoice.buyerAddress === c.buyerAddress &&
    invoice.buyerPhone === c.buyerPhone &&
    invoice.buyerBankName === c.buyerBankName &&
    invoice.buyerBankAccount === c.buyerBankAccount
  );
}

/**
 * What a correction re-issues: every correctable invoice of the purchase, not one of them. A purchase
 * split over the limit (拆票) is one sale to one buyer; re-issuing one of its invoices to the corrected
 * title would leave the same purchase invoiced to two buyers, which the merchant's books (and the tax
 * bureau's matching of one sale to one buyer) cannot take. So the page shows the invoices and the
 * request covers them all; the row keeps the first as its key (one open request per purchase).
 * A merged receipt (合并开票) shows the invoices of the code it was added to: so does this. An
 * invoice already partly reversed (a refund's red invoice) cannot be 红冲并重开 (reissue.ts), and
 * correcting the others alone would split the purchase's titles: the whole request is refused, before
 * anything is reversed.
 */
async function purchaseOf(
  ctx: CorrectionContext,
  invoicingCodeId: string,
): Promise<{ all: InvoiceRow[]; candidates: InvoiceRow[] }> {
  const all = await findInvoicesOfCode(ctx.database.db, invoicingCodeId);
  const replaced = new Set(all.flatMap((i) => (i.reissueOfInvoiceId ? [i.reissueOfInvoiceId] : [])));
  const partly = all.filter(
    (i) =>
      i.color === "blue" &&
      !replaced.has(i.id) &&
      (i.status === INVOICE_MOVES.reversePartly.to ||
        (i.status === INVOICE_MOVES.issue.to &&
          all.some((r) => r.color === "red" && r.blueInvoiceId === i.id))),
  );
  if (partly.length > 0) {
    throw new AppError(
      "CORRECTION_NOT_ALLOWED",
      "本单有发票已部分红冲（退款），不能在线申请重开，请联系商家处理",
      { invoiceIds: partly.map((p) => p.id) },
    );
  }
  const candidates = correctable(all);
  if (candidates.length === 0) {
    throw new AppError("CORRECTION_NOT_ALLOWED", "这张小票没有可以申请重开的发票（未开具、已红冲或已重开）");
  }
  return { all, candidates };
}

export async function applyForCorrection(
  ctx: CorrectionContext,
  options: { token: string; body: CorrectionBody },
): Promise<CorrectionView> {
  const { db } = ctx.database;
  const [code] = await db.select().from(receiptCodes).where(eq(receiptCodes.token, options.token));
  if (!code) throw new AppError("RECEIPT_CODE_NOT_FOUND");
  const invoicing = await invoicingCodeId(ctx, code);
  const { candidates } = await purchaseOf(ctx, invoicing);
  const ids = new Set(candidates.map((c) => c.id));
  // The page sends the invoices it showed: a purchase that changed since (an invoice reversed or
  // re-issued meanwhile) is not corrected by a request the consumer did not see.
  const shown = options.body.invoiceIds ?? (options.body.invoiceId ? [options.body.invoiceId] : null);
  if (shown && !shown.every((id) => ids.has(id))) {
    throw new AppError("CORRECTION_NOT_ALLOWED", "发票已有变化（已红冲或已重开），请刷新页面后重新申请");
  }
  if (options.body.invoiceIds && new Set(options.body.invoiceIds).size !== ids.size) {
    throw new AppError("CORRECTION_NOT_ALLOWED", "本单的发票已有变化，请刷新页面后重新申请");
  }
  const invoice = candidates[0]!;
  const valid = await validCorrection(db, invoicing, {
    ...options.body,
    email: options.body.email || invoice.email,
    mobile: options.body.mobile || invoice.mobile,
  });
  const row = {
    id: newId("cor"),
    orgId: code.orgId,
    // The code the consumer holds: the notice's link goes to its page (which shows the purchase's invoices).
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
  if (candidates.every((c) => carries(c, row))) {
    const same = "更正后的开票信息与原发票相同，请填写正确的信息";
    throw AppError.validation({ "buyer.name": same }, same);
  }
  try {
    await db.transaction(async (tx) => {
      await tx.insert(correctionRequests).values(row);
      await recordAudit(tx, {
        actor: { type: "consumer", token: options.token },
        orgId: code.orgId,
        action: "correction.apply",
        entityType: "invoice",
        entityId: invoice.id,
        details: {
          correctionId: row.id,
          reason: row.reason,
          invoiceType: row.invoiceType,
          invoiceIds: candidates.map((c) => c.id),
        },
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
  // Every invoice of the purchase within the window (they are issued together; the oldest decides).
  const oldest = Math.min(...candidates.map((c) => c.issuedAt?.getTime() ?? 0));
  if (days !== null && oldest > 0 && Date.now() - oldest <= days * DAY_MS) {
    await decide(ctx, row.id, { type: "system", reason: "correction auto-approval" }, "auto", {
      approve: true,
    });
  }
  return viewOf((await findRow(ctx, row.id))!, invoice);
}

/**
 * The consumer's requests for a code (newest first), for the re-scan page: those on the purchase's
 * invoices, so every receipt of a merged submission shows a request made from any of them.
 */
export async function correctionsOfToken(ctx: CorrectionContext, token: string): Promise<CorrectionView[]> {
  const { db } = ctx.database;
  const [code] = await db
    .select({ id: receiptCodes.id, status: receiptCodes.status, orgId: receiptCodes.orgId })
    .from(receiptCodes)
    .where(eq(receiptCodes.token, token));
  if (!code) throw new AppError("RECEIPT_CODE_NOT_FOUND");
  const invoicing = await invoicingCodeId(ctx, code);
  const rows = await db
    .select({ r: correctionRequests, number: invoices.number })
    .from(correctionRequests)
    .innerJoin(invoices, eq(invoices.id, correctionRequests.invoiceId))
    .where(and(eq(correctionRequests.orgId, code.orgId), eq(invoices.receiptCodeId, invoicing)))
    .orderBy(desc(correctionRequests.createdAt));
  return rows.map(({ r, number }) => {
    const view = viewOf(r, { number });
    return { ...view, buyer: { ...view.buyer, taxId: maskTaxId(view.buyer.taxId) } };
  });
}

/**
 * The console's 换开申请 list. Each request shows the purchase it corrects: the order numbers of
 * all its receipts (a merged submission has several; the first is the one submitted) and, while it
 * is pending, the numbers of every invoice approval re-issues (a split has several).
 */
export async function correctionsForConsole(
  ctx: CorrectionContext,
  options: { actor: Actor; orgId: string; status?: string },
): Promise<Array<typeof consoleCorrection._output>> {
  requireOrg(options.actor, options.orgId, "read");
  const { db } = ctx.database;
  const rows = await db
    .select({ r: correctionRequests, invoice: invoices, orderNo: receiptCodes.serialNo })
    .from(correctionRequests)
    .innerJoin(invoices, eq(invoices.id, correctionRequests.invoiceId))
    // The purchase's own code (for a merged receipt, the code it was added to).
    .innerJoin(receiptCodes, eq(receiptCodes.id, invoices.receiptCodeId))
    .where(
      and(
        eq(correctionRequests.orgId, options.orgId),
        options.status ? eq(correctionRequests.status, options.status) : undefined,
      ),
    )
    .orderBy(desc(correctionRequests.createdAt))
    .limit(200);
  const codeIds = [...new Set(rows.map((x) => x.invoice.receiptCodeId))];
  const merged = new Map<string, string[]>();
  if (codeIds.length > 0) {
    const codes = await db
      .select({ of: submissions.receiptCodeId, serialNo: receiptCodes.serialNo })
      .from(submissions)
      .innerJoin(submissionCodes, eq(submissionCodes.submissionId, submissions.id))
      .innerJoin(receiptCodes, eq(receiptCodes.id, submissionCodes.receiptCodeId))
      .where(inArray(submissions.receiptCodeId, codeIds))
      .orderBy(asc(submissionCodes.position));
    for (const c of codes) merged.set(c.of, [...(merged.get(c.of) ?? []), c.serialNo]);
  }
  const pendingCodes = [
    ...new Set(rows.filter((x) => x.r.status === "pending").map((x) => x.invoice.receiptCodeId)),
  ];
  const open = new Map<string, string[]>();
  if (pendingCodes.length > 0) {
    const all = await db.select().from(invoices).where(inArray(invoices.receiptCodeId, pendingCodes));
    for (const id of pendingCodes) {
      const mine = all.filter((i) => i.receiptCodeId === id).sort((a, b) => a.seq - b.seq);
      open.set(
        id,
        correctable(mine).map((i) => i.number ?? i.id),
      );
    }
  }
  return rows.map(({ r, invoice, orderNo }) => {
    const orderNos = merged.get(invoice.receiptCodeId) ?? [orderNo];
    return {
      ...viewOf(r, invoice),
      orderNo,
      orderNos: orderNos.includes(orderNo) ? orderNos : [orderNo, ...orderNos],
      toReissue: r.status === "pending" ? (open.get(invoice.receiptCodeId) ?? []) : [],
      oldBuyer: { name: invoice.buyerName, taxId: invoice.buyerTaxId },
      email: r.email,
      mobile: r.mobile,
    };
  });
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
      const done = await reissuePurchase(ctx, actor, claimed);
      await db
        .update(correctionRequests)
        .set({ redInvoiceId: done.redId, newInvoiceId: done.newId, updatedAt: new Date() })
        .where(eq(correctionRequests.id, id));
    } catch (e) {
      await db
        .update(correctionRequests)
        .set({ status: "pending", decidedBy: null, decidedAt: null, updatedAt: new Date() })
        .where(eq(correctionRequests.id, id));
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

/**
 * Approval: every correctable invoice of the purchase that does not carry the corrected buyer yet is
 * reversed and issued again (reissue.ts, once each). Checked for all before any is reversed; should
 * one still fail midway (the channel, say), a second 同意 picks up the rest: those already re-issued
 * are replaced (no longer correctable) and their replacements carry the new buyer. The row keeps the
 * red and new invoice of its own invoice (or of the first re-issued).
 */
async function reissuePurchase(
  ctx: CorrectionContext,
  actor: Actor,
  claimed: Row,
): Promise<{ redId: string | null; newId: string | null }> {
  const [first] = await ctx.database.db
    .select({ receiptCodeId: invoices.receiptCodeId })
    .from(invoices)
    .where(eq(invoices.id, claimed.invoiceId));
  if (!first) throw new AppError("INVOICE_NOT_FOUND");
  const { candidates } = await purchaseOf(ctx, first.receiptCodeId);
  const targets = candidates.filter((c) => !carries(c, claimed));
  if (targets.length === 0) {
    throw new AppError("CORRECTION_NOT_ALLOWED", "本单发票已是更正后的开票信息，无需重开");
  }
  let kept: { redId: string; newId: string } | null = null;
  for (const target of targets) {
    const { red, reissued } = await reverseAndReissue(ctx, {
      actor,
      invoiceId: target.id,
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
    if (!kept || target.id === claimed.invoiceId) kept = { redId: red.id, newId: reissued.id };
  }
  return kept ?? { redId: null, newId: null };
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
