import { and, eq, sql } from "drizzle-orm";
import { chinaDateIso } from "../../domain";
import type { AppContext } from "../../platform/context";
import type { DbOrTx } from "../../platform/db/client";
import { deliveries, invoices, organizations, receiptCodes } from "../../platform/db/schema";
import { newId } from "../../platform/ids";
import { consumerUrl } from "../receipt-codes/receipt-codes.service";

export const DELIVERY_QUEUE = "delivery-send";
/** Attempts before a delivery is marked failed; pg-boss spaces them out with exponential backoff. */
export const DELIVERY_RETRY_LIMIT = 10;

/**
 * Creates one delivery per invoice and channel (e-mail and/or SMS) and queues their sending, in the
 * caller's transaction: a delivery exists exactly when the state change that asked for it commits.
 */
export async function createDeliveries(
  ctx: Pick<AppContext, "jobs">,
  tx: DbOrTx,
  options: {
    invoiceIds: string[];
    email?: string | null;
    mobile?: string | null;
    reason: "submit" | "resend" | "operator";
  },
): Promise<string[]> {
  const rows: Array<typeof deliveries.$inferInsert> = [];
  for (const invoiceId of options.invoiceIds) {
    if (options.email)
      rows.push({
        id: newId("dlv"),
        invoiceId,
        channel: "email",
        recipient: options.email,
        reason: options.reason,
      });
    if (options.mobile)
      rows.push({
        id: newId("dlv"),
        invoiceId,
        channel: "sms",
        recipient: options.mobile,
        reason: options.reason,
      });
  }
  if (rows.length === 0) return [];
  await tx.insert(deliveries).values(rows);
  for (const row of rows) await ctx.jobs.send(DELIVERY_QUEUE, { deliveryId: row.id }, { tx });
  return rows.map((r) => r.id!);
}

/**
 * Sends one delivery. Throws on a transport failure so the job is retried later; on the last
 * attempt the delivery is marked failed. Sending twice (a crash after sending, before saving) can
 * happen and is accepted: at-least-once, never lost.
 */
export async function sendDelivery(
  ctx: Pick<AppContext, "database" | "providers" | "config" | "log">,
  deliveryId: string,
  attempt: { retryCount: number },
): Promise<void> {
  const { db } = ctx.database;
  const [row] = await db
    .select({
      delivery: deliveries,
      invoice: invoices,
      sellerName: organizations.name,
      token: receiptCodes.token,
    })
    .from(deliveries)
    .innerJoin(invoices, eq(invoices.id, deliveries.invoiceId))
    .innerJoin(organizations, eq(organizations.id, invoices.orgId))
    .innerJoin(receiptCodes, eq(receiptCodes.id, invoices.receiptCodeId))
    .where(eq(deliveries.id, deliveryId));
  if (!row || row.delivery.status === "sent") return;
  const { delivery, invoice } = row;
  const link = consumerUrl(ctx, row.token);
  const title = invoice.color === "red" ? "红字发票" : "电子发票";
  try {
    if (delivery.channel === "email") {
      const [pdf, xml] = await Promise.all([
        ctx.providers.files.get(invoice.id, "pdf"),
        ctx.providers.files.get(invoice.id, "xml"),
      ]);
      if (!pdf || !xml) throw new Error(`files of invoice ${invoice.id} are missing`);
      await ctx.providers.mailer.send({
        to: delivery.recipient,
        subject: `【${title}】${row.sellerName}为您开具的发票（号码 ${invoice.number}）`,
        text: emailText({ ...row, link, title }),
        attachments: [
          { filename: `${invoice.number}.pdf`, content: pdf, contentType: "application/pdf" },
          { filename: `${invoice.number}.xml`, content: xml, contentType: "application/xml" },
        ],
      });
    } else {
      await ctx.providers.sms.send(
        delivery.recipient,
        `【票码】您在${row.sellerName}的${title}已开具，发票号码${invoice.number}，价税合计¥${invoice.totalAmount}，查看下载：${link}`,
      );
    }
  } catch (e) {
    const isLast = attempt.retryCount >= DELIVERY_RETRY_LIMIT;
    await db
      .update(deliveries)
      .set({
        attempts: sql`${deliveries.attempts} + 1`,
        lastError: String((e as Error).message ?? e).slice(0, 500),
        status: isLast ? "failed" : "pending",
        updatedAt: new Date(),
      })
      .where(eq(deliveries.id, deliveryId));
    ctx.log.warn({ deliveryId, err: e, isLast }, "delivery failed");
    if (!isLast) throw e;
    return;
  }
  await db
    .update(deliveries)
    .set({
      attempts: sql`${deliveries.attempts} + 1`,
      status: "sent",
      sentAt: new Date(),
      lastError: null,
      updatedAt: new Date(),
    })
    .where(and(eq(deliveries.id, deliveryId)));
}

function emailText(r: {
  sellerName: string;
  invoice: typeof invoices.$inferSelect;
  link: string;
  title: string;
}): string {
  const i = r.invoice;
  return [
    `尊敬的客户：`,
    ``,
    `${r.sellerName}已为您开具${r.title}，附件为发票 PDF 与 XML 文件。`,
    ``,
    `发票号码：${i.number}`,
    `开票日期：${i.issuedAt ? chinaDateIso(i.issuedAt) : ""}`,
    `购买方：${i.buyerName}`,
    `价税合计：¥${i.totalAmount}`,
    ``,
    `也可以在这里查看、下载或重新发送：${r.link}`,
    ``,
    `此邮件由票码系统自动发送，请勿直接回复。`,
  ].join("\n");
}
