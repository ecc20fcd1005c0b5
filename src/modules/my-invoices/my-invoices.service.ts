import { asc, eq, inArray, sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import { isValidEmail, isValidMobile, normalizeEmail, normalizeMobile } from "../../domain";
import { deliveries, receiptCodes } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { rateLimited } from "../../platform/failure-limiter";
import { createDeliveries, deliverNow } from "../deliveries/deliveries.service";
import { awaitsReview, hasFailed, isIssued, merchantStatus } from "../invoices/invoice-status";
import type { InvoiceRow } from "../invoices/invoices.repository";
import { maskEmail, maskMobile } from "../scan/masking";
import { RESENDS_PER_HOUR, recipientResendWaitSeconds } from "../scan/resend-limits";
import { CONSUMER_STATUS } from "../scan/scan.deliveries";
import type { InvoiceView } from "../scan/scan.schema";
import { consumerFailureMessage, toInvoiceView } from "../scan/scan.service";
import {
  findGroupIds,
  findMyInvoices,
  findMySellers,
  findVisibleInvoices,
  findWithOfd,
  recentResends,
} from "./my-invoices.queries";
import { MY_PAGE_SIZE, type MyDetail, type MyList, type MyListItem } from "./my-invoices.schema";
import type { Contact } from "./my-login.service";

/**
 * 我的发票 (issue 22): every invoice delivered to the session's contact — and those still issuing,
 * held for the merchant's review or failed whose submit recorded it — across organizations, and
 * each one as a re-scan shows it (masked like the re-scan page, files and resend under `/api/my`).
 * What a session may see is `visible` (my-invoices.queries.ts); an invoice outside it is "not found".
 */
type MyContext = Pick<AppContext, "database">;

const notFound = () => new AppError("INVOICE_NOT_FOUND", "发票不存在或不属于当前登录的手机号/邮箱");

export async function listMyInvoices(
  ctx: MyContext,
  who: Contact,
  query: { seller?: string; month?: string; page?: number },
): Promise<MyList> {
  const page = query.page ?? 1;
  const [rows, sellers] = await Promise.all([
    findMyInvoices(ctx.database.db, who, {
      seller: query.seller,
      month: query.month,
      offset: (page - 1) * MY_PAGE_SIZE,
      limit: MY_PAGE_SIZE,
    }),
    findMySellers(ctx.database.db, who),
  ]);
  return {
    items: rows.map((r) => ({
      id: r.id,
      seller: { id: r.orgId, name: r.sellerName },
      number: r.number,
      invoiceType: r.invoiceType === "digital_special" ? "digital_special" : "digital_normal",
      color: r.color === "red" ? "red" : "blue",
      status: myStatus(r.status),
      issuedAt: r.issuedAt ? new Date(r.issuedAt).toISOString() : null,
      totalAmount: r.totalAmount,
      redOf: r.blueInvoiceId,
      failureMessage: hasFailed(r.status)
        ? consumerFailureMessage({ channelData: { consumerMessage: r.consumerMessage } })
        : null,
    })),
    total: rows[0]?.total ?? 0,
    page,
    pageSize: MY_PAGE_SIZE,
    sellers,
  };
}

/** What the list calls a status: the merchant's words, and 待商家审核 apart from 开具中. */
function myStatus(status: string): MyListItem["status"] {
  return awaitsReview(status) ? "awaiting_review" : merchantStatus(status);
}

/** The invoices of a group the contact may see: the blue one first, then its red ones. */
async function visibleGroup(ctx: MyContext, who: Contact, id: string) {
  const { db } = ctx.database;
  const [asked] = await findVisibleInvoices(db, who, [id]);
  if (!asked) throw notFound();
  const groupIds = await findGroupIds(db, asked.invoice.blueInvoiceId ?? asked.invoice.id);
  const rows = await findVisibleInvoices(db, who, groupIds);
  const byId = new Map(rows.map((r) => [r.invoice.id, r]));
  const group = groupIds.map((g) => byId.get(g)).filter((r) => r !== undefined);
  return {
    seller: { name: asked.sellerName, phone: asked.sellerPhone },
    invoices: group.map((r) => r.invoice),
  };
}

/** An invoice as the re-scan shows it, its files and deliveries under /api/my. */
function toMyInvoiceView(i: InvoiceRow, sent: InvoiceView["deliveries"], ofd: boolean): InvoiceView {
  const view = toInvoiceView("", i);
  const issued = isIssued(i.status);
  return {
    ...view,
    pdfUrl: issued ? `/api/my/files/${i.id}.pdf` : null,
    xmlUrl: issued ? `/api/my/files/${i.id}.xml` : null,
    // Only a channel's invoice has one (the sandbox renders PDF and XML).
    ofdUrl: issued && ofd ? `/api/my/files/${i.id}.ofd` : null,
    deliveries: sent,
  };
}

export async function getMyInvoice(ctx: MyContext, who: Contact, id: string): Promise<MyDetail> {
  const group = await visibleGroup(ctx, who, id);
  const ids = group.invoices.map((i) => i.id);
  const [rows, withOfd] = await Promise.all([
    ctx.database.db
      .select({
        invoiceId: deliveries.invoiceId,
        channel: deliveries.channel,
        recipient: deliveries.recipient,
        status: deliveries.status,
        sentAt: deliveries.sentAt,
        createdAt: deliveries.createdAt,
      })
      .from(deliveries)
      .where(inArray(deliveries.invoiceId, ids))
      .orderBy(asc(deliveries.createdAt)),
    findWithOfd(ctx.database.db, ids),
  ]);
  // Only the sendings to this contact: another recipient of a resend is not the session's business.
  const sent = new Map<string, NonNullable<InvoiceView["deliveries"]>>();
  for (const r of rows) {
    if (r.channel !== who.channel || r.recipient.toLowerCase() !== who.contact) continue;
    const list = sent.get(r.invoiceId) ?? [];
    list.push({
      channel: r.channel === "sms" ? "sms" : "email",
      to: (r.channel === "sms" ? maskMobile(r.recipient) : maskEmail(r.recipient)) ?? "",
      status: CONSUMER_STATUS[r.status] ?? "pending",
      at: (r.sentAt ?? r.createdAt).toISOString(),
    });
    sent.set(r.invoiceId, list);
  }
  // The receipt's own page (the link the e-mail carried): 申请重开 and 加入微信卡包 live there.
  const [code] = await ctx.database.db
    .select({ token: receiptCodes.token })
    .from(receiptCodes)
    .where(eq(receiptCodes.id, group.invoices[0]!.receiptCodeId));
  return {
    seller: group.seller,
    invoices: group.invoices.map((i) => toMyInvoiceView(i, sent.get(i.id) ?? [], withOfd.has(i.id))),
    pageUrl: code ? `/s/${code.token}` : null,
  };
}

/** One invoice the contact may see, for a file download (undefined → the download's 404). */
export async function findMyInvoiceForFile(
  ctx: MyContext,
  who: Contact,
  id: string,
): Promise<InvoiceRow | undefined> {
  const [row] = await findVisibleInvoices(ctx.database.db, who, [id]);
  return row?.invoice;
}

/**
 * Sends the issued invoices of the group again (to the session's own contact unless another is
 * given): at most 5 an hour per invoice, and the re-scan's 10 resent messages a day per recipient
 * (counted together with resends from re-scans, resend-limits.ts).
 */
export async function resendMyInvoice(
  ctx: Pick<AppContext, "database" | "config" | "providers" | "log" | "deliveries" | "metrics">,
  who: Contact,
  id: string,
  to: { email?: string; mobile?: string },
): Promise<void> {
  const email = to.email ? normalizeEmail(to.email) : undefined;
  if (to.email && !isValidEmail(email ?? "")) throw AppError.validation({ email: "邮箱格式不正确" });
  const mobile = to.mobile ? normalizeMobile(to.mobile) : undefined;
  if (to.mobile && !isValidMobile(mobile ?? "")) throw AppError.validation({ mobile: "手机号格式不正确" });
  const group = await visibleGroup(ctx, who, id);
  const issued = group.invoices.filter((i) => isIssued(i.status));
  if (issued.length === 0) throw new AppError("CONFLICT", "发票尚未开具完成，开具后会自动发送");
  const deliveryIds = await ctx.database.db.transaction(async (tx) => {
    const recipient = email ?? mobile ?? "";
    const recipientWait = await recipientResendWaitSeconds(tx, recipient);
    if (recipientWait > 0) {
      throw rateLimited(
        `${email ? "该邮箱" : "该手机号"}近 24 小时收到的重发已达上限，请稍后再试`,
        recipientWait * 1000,
      );
    }
    const first = issued[0] as InvoiceRow;
    // Resends of one invoice are counted one after another.
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtextextended(${`piaoma.my-resend:${first.id}`}, 0))`,
    );
    const hourAgo = new Date(Date.now() - 3600_000);
    const recent = await recentResends(tx, [first.id], hourAgo);
    const fifth = recent[RESENDS_PER_HOUR - 1];
    if (fifth) {
      throw rateLimited(
        `每张发票每小时最多重发 ${RESENDS_PER_HOUR} 次，请稍后再试`,
        fifth.getTime() + 3600_000 - Date.now(),
      );
    }
    return createDeliveries(ctx, tx, {
      invoiceIds: issued.map((i) => i.id),
      email: email ?? null,
      mobile: mobile ?? null,
      reason: "resend",
    });
  });
  deliverNow(ctx, deliveryIds);
}
