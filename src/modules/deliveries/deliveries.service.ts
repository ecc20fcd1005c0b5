import { eq, sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import { chinaDateIso } from "../../domain";
import type { DbOrTx } from "../../platform/db/client";
import { runStatement } from "../../platform/db/records";
import { deliveries, invoices, organizations, receiptCodes } from "../../platform/db/schema";
import { newId } from "../../platform/ids";
import { claimDue, firstSweepAt, type SweepDefinition } from "../../platform/sweeper";
import { consumerUrl } from "../../platform/web";
import { DELIVERIES_SENT } from "./deliveries.queries";

/** The sweep that retries deliveries not sent on their first attempt (see src/platform/sweeper.ts). */
export const DELIVERY_SWEEP = "delivery-send";
/** Retries before a delivery is marked failed, spaced out with exponential backoff. */
export const DELIVERY_RETRY_LIMIT = 10;

type DeliveryContext = Pick<AppContext, "database" | "providers" | "config" | "log" | "deliveries">;

/**
 * The sends under way and the open "sent" mark of one application (one `AppContext`): built by
 * `buildApp`, never shared between apps in the same process.
 */
export interface DeliveryState {
  inFlight: Set<Promise<void>>;
  openMark: { ids: string[]; written: Promise<void> } | undefined;
}

export function createDeliveryState(): DeliveryState {
  return { inFlight: new Set(), openMark: undefined };
}

/**
 * Creates one delivery per invoice and channel (e-mail and/or SMS) in the caller's transaction: a
 * delivery exists exactly when the state change that asked for it commits. The caller sends them
 * with `deliverNow` after the commit; the sweep sends whatever that did not.
 */
export async function createDeliveries(
  ctx: Pick<AppContext, "config">,
  tx: DbOrTx,
  options: DeliveryRequest,
): Promise<string[]> {
  const rows = deliveryRows(ctx, options);
  if (rows.length === 0) return [];
  await tx.insert(deliveries).values(rows);
  return rows.map((r) => r.id);
}

export interface DeliveryRequest {
  invoiceIds: string[];
  email?: string | null;
  mobile?: string | null;
  reason: "submit" | "resend" | "operator";
}

/** The rows `createDeliveries` inserts (whole rows), for callers that insert them with other statements. */
export function deliveryRows(ctx: Pick<AppContext, "config">, options: DeliveryRequest): DeliveryRow[] {
  const nextAttemptAt = firstSweepAt(ctx.config);
  const now = new Date();
  const rows: DeliveryRow[] = [];
  const row = (invoiceId: string, channel: "email" | "sms", recipient: string): DeliveryRow => ({
    id: newId("dlv"),
    invoiceId,
    channel,
    recipient,
    reason: options.reason,
    status: "pending",
    attempts: 0,
    lastError: null,
    sentAt: null,
    nextAttemptAt,
    createdAt: now,
    updatedAt: now,
  });
  for (const invoiceId of options.invoiceIds) {
    if (options.email) rows.push(row(invoiceId, "email", options.email));
    if (options.mobile) rows.push(row(invoiceId, "sms", options.mobile));
  }
  return rows;
}

export type DeliveryRow = typeof deliveries.$inferSelect;

/** A delivery with what sending it needs: read by `sendDelivery`, or held by the caller. */
export interface Sendable {
  delivery: DeliveryRow;
  invoice: typeof invoices.$inferSelect;
  sellerName: string;
  /** The receipt code's token, for the link in the message. */
  token: string;
  files?: { pdf: Buffer; xml: Buffer };
}

/**
 * Sends committed deliveries now, in this process, without making the caller wait: a consumer's
 * answer does not depend on an SMTP server. Takes delivery ids (each read first) or deliveries the
 * caller holds with their invoice and files (sent without reading anything). Never throws; a
 * delivery that fails here is retried by the sweep. `drainDeliveries` waits for the sends under way
 * (at shutdown).
 */
export function deliverNow(ctx: DeliveryContext, work: Array<string | Sendable>): void {
  if (work.length === 0) return;
  const sending = (async () => {
    for (const item of work) {
      try {
        if (typeof item === "string") await sendDelivery(ctx, item);
        else await send(ctx, item);
      } catch {
        // Recorded on the delivery by send; the sweep tries again.
      }
    }
  })();
  const { inFlight } = ctx.deliveries;
  inFlight.add(sending);
  void sending.finally(() => inFlight.delete(sending));
}

export async function drainDeliveries(ctx: Pick<AppContext, "deliveries">): Promise<void> {
  await Promise.all([...ctx.deliveries.inFlight]);
}

/**
 * Sends one delivery. A transport failure is recorded on the delivery (attempts, last error, next
 * attempt after an exponential backoff; failed after DELIVERY_RETRY_LIMIT retries) and thrown.
 * Sending twice (a crash after sending, before saving) can happen and is accepted: at-least-once,
 * never lost.
 */
export async function sendDelivery(ctx: DeliveryContext, deliveryId: string): Promise<void> {
  const [row] = await ctx.database.db
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
  if (row?.delivery.status !== "pending") return;
  await send(ctx, row);
}

/** Sends a pending delivery and records the outcome on it (see sendDelivery). */
async function send(ctx: DeliveryContext, sendable: Sendable): Promise<void> {
  const { delivery, invoice, sellerName } = sendable;
  const link = consumerUrl(ctx, sendable.token);
  const title = invoice.color === "red" ? "红字发票" : "电子发票";
  try {
    if (delivery.channel === "email") {
      const [pdf, xml] = sendable.files
        ? [sendable.files.pdf, sendable.files.xml]
        : await Promise.all([
            ctx.providers.files.get(invoice.id, "pdf"),
            ctx.providers.files.get(invoice.id, "xml"),
          ]);
      if (!pdf || !xml) throw new Error(`files of invoice ${invoice.id} are missing`);
      await ctx.providers.mailer.send({
        to: delivery.recipient,
        subject: `【${title}】${sellerName}为您开具的发票（号码 ${invoice.number}）`,
        text: emailText({ sellerName, invoice, link, title }),
        attachments: [
          { filename: `${invoice.number}.pdf`, content: pdf, contentType: "application/pdf" },
          { filename: `${invoice.number}.xml`, content: xml, contentType: "application/xml" },
        ],
      });
    } else {
      await ctx.providers.sms.send(
        delivery.recipient,
        `【票码】您在${sellerName}的${title}已开具，发票号码${invoice.number}，价税合计¥${invoice.totalAmount}，查看下载：${link}`,
      );
    }
  } catch (e) {
    const attempts = delivery.attempts + 1;
    const isLast = attempts > DELIVERY_RETRY_LIMIT;
    const delaySeconds = ctx.config.tuning.deliveryRetrySeconds * 2 ** (attempts - 1);
    await ctx.database.db
      .update(deliveries)
      .set({
        attempts: sql`${deliveries.attempts} + 1`,
        lastError: String((e as Error).message ?? e).slice(0, 500),
        status: isLast ? "failed" : "pending",
        nextAttemptAt: isLast ? null : new Date(Date.now() + delaySeconds * 1000),
        updatedAt: new Date(),
      })
      .where(eq(deliveries.id, delivery.id));
    ctx.log.warn({ deliveryId: delivery.id, err: e, isLast }, "delivery failed");
    throw e;
  }
  await markSent(ctx, delivery.id);
}

/**
 * Deliveries sent within SENT_MARK_WINDOW_MS are marked sent together, in one statement: this
 * runs for every invoice issued. A process that dies before the mark is written leaves the delivery
 * pending, and the sweep sends it again — at-least-once, as for a crash right after sending.
 */
const SENT_MARK_WINDOW_MS = 50;

function markSent(ctx: Pick<AppContext, "database" | "deliveries">, deliveryId: string): Promise<void> {
  const state = ctx.deliveries;
  let batch = state.openMark;
  if (!batch) {
    const ids: string[] = [];
    const written = new Promise((resolve) => setTimeout(resolve, SENT_MARK_WINDOW_MS)).then(async () => {
      state.openMark = undefined;
      await runStatement(ctx.database, DELIVERIES_SENT, [ids]);
    });
    batch = { ids, written };
    state.openMark = batch;
  }
  batch.ids.push(deliveryId);
  return batch.written;
}

/**
 * The backstop for every delivery not sent by `deliverNow`: claimed when due (leased for
 * jobExpireSeconds, in case the process dies while sending) and sent again.
 */
export function deliverySweep(ctx: DeliveryContext): SweepDefinition {
  return {
    name: DELIVERY_SWEEP,
    concurrency: 4,
    intervalSeconds: ctx.config.tuning.jobPollSeconds,
    claim: claimDue(ctx.database, {
      table: "deliveries",
      unfinished: "status = 'pending'",
      leaseSeconds: () => ctx.config.tuning.jobExpireSeconds,
    }),
    handle: (id) => sendDelivery(ctx, id),
    // A failed send is recorded on the delivery and logged by sendDelivery.
    isExpected: () => true,
  };
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
