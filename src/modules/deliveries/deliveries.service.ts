import { and, eq, inArray, sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import type { DbOrTx } from "../../platform/db/client";
import { runStatement } from "../../platform/db/records";
import {
  deliveries,
  invoices,
  organizations,
  orgIntegrations,
  receiptCodes,
  taxBureauAccounts,
} from "../../platform/db/schema";
import { newId } from "../../platform/ids";
import { claimDue, firstSweepAt, type SweepDefinition } from "../../platform/sweeper";
import { consumerUrl } from "../../platform/web";
import { composeMail, newMailToken } from "./deliveries.mail";
import { DELIVERIES_SENT } from "./deliveries.queries";
import { DEFAULT_SIGN_NAME, invoiceSmsMessage, SmsSendError } from "./sms";
import { chargeSmsQuota } from "./sms-caps";

/** The sweep that retries deliveries not sent on their first attempt (see src/platform/sweeper.ts). */
export const DELIVERY_SWEEP = "delivery-send";
/** Retries before a delivery is marked failed, spaced out with exponential backoff. */
export const DELIVERY_RETRY_LIMIT = 10;

type DeliveryContext = Pick<
  AppContext,
  "database" | "providers" | "config" | "log" | "deliveries" | "metrics"
>;

/**
 * The sends under way and the open "sent" mark of one application (one `AppContext`): built by
 * `buildApp`, never shared between apps in the same process.
 */
export interface DeliveryState {
  inFlight: Set<Promise<void>>;
  openMark: { ids: string[]; tokens: Array<string | null>; written: Promise<void> } | undefined;
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
    providerMessageId: null,
    mailToken: null,
    bouncedAt: null,
    reportedAt: null,
    quotaCharged: false,
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
  /** The merchant's own e-mail address (Reply-To), if it has one. */
  replyTo?: string | null;
  /** Issued through the sandbox channel: the e-mail says it is a test. */
  sandbox?: boolean;
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
 * attempt after an exponential backoff; failed after DELIVERY_RETRY_LIMIT retries) and thrown; a
 * recipient the receiving server refused for good (5xx) fails at once, with its answer. Sending
 * twice (a crash after sending, before saving) can happen and is accepted: at-least-once, never lost.
 */
export async function sendDelivery(ctx: DeliveryContext, deliveryId: string): Promise<void> {
  const [row] = await ctx.database.db
    .select({
      delivery: deliveries,
      invoice: invoices,
      sellerName: organizations.name,
      replyTo: organizations.contactEmail,
      channel: taxBureauAccounts.channel,
      token: receiptCodes.token,
    })
    .from(deliveries)
    .innerJoin(invoices, eq(invoices.id, deliveries.invoiceId))
    .innerJoin(organizations, eq(organizations.id, invoices.orgId))
    .innerJoin(receiptCodes, eq(receiptCodes.id, invoices.receiptCodeId))
    .leftJoin(taxBureauAccounts, eq(taxBureauAccounts.id, invoices.taxAccountId))
    .where(eq(deliveries.id, deliveryId));
  if (row?.delivery.status !== "pending") return;
  await send(ctx, { ...row, sandbox: row.channel === "sandbox" });
}

type InvoiceRow = typeof invoices.$inferSelect;
type Carried = { delivery: DeliveryRow; invoice: InvoiceRow; files?: { pdf: Buffer; xml: Buffer } };

/** Sends a pending delivery and records the outcome on it (see sendDelivery). */
async function send(ctx: DeliveryContext, sendable: Sendable): Promise<void> {
  if (sendable.delivery.channel === "sms") return sendSms(ctx, sendable);
  const { delivery, sellerName } = sendable;
  const link = consumerUrl(ctx, sendable.token);
  let carried: Carried[] = [{ delivery, invoice: sendable.invoice, files: sendable.files }];
  try {
    const group = await splitGroup(ctx, sendable);
    if (group === "wait") return deferUntilSplitIssued(ctx, delivery.id);
    carried = group;
    const withFiles = await Promise.all(
      carried.map(async (c) => {
        const [pdf, xml] = c.files
          ? [c.files.pdf, c.files.xml]
          : await Promise.all([
              ctx.providers.files.get(c.invoice.id, "pdf"),
              ctx.providers.files.get(c.invoice.id, "xml"),
            ]);
        if (!pdf || !xml) throw new Error(`files of invoice ${c.invoice.id} are missing`);
        return { invoice: c.invoice, pdf, xml };
      }),
    );
    const token = newMailToken();
    const message = composeMail(
      {
        to: delivery.recipient,
        sellerName,
        replyTo: sendable.replyTo ?? null,
        sandbox: sendable.sandbox ?? false,
        link,
        myLink: `${ctx.config.publicUrl}/my`,
        invoices: withFiles,
      },
      { from: ctx.config.mailFrom, bounceAddress: ctx.config.mailBounce.address },
      token,
    );
    const result = await ctx.providers.mailer.send(message);
    const refused =
      result?.rejected.find((r) => r.address.toLowerCase() === delivery.recipient.toLowerCase()) ??
      result?.rejected[0];
    if (refused) {
      ctx.metrics.deliveryOutcomes.inc({ channel: "email", outcome: "failed" });
      return recordRefused(ctx, carried, token, refused.reason);
    }
    ctx.metrics.deliveryOutcomes.inc({ channel: "email", outcome: "sent" });
    return markSent(
      ctx,
      carried.map((c) => c.delivery.id),
      token,
    );
  } catch (e) {
    await recordFailure(ctx, delivery, e, {
      ids: carried.map((c) => c.delivery.id),
    });
    throw e;
  }
}

/**
 * A split's invoices go out in one e-mail (DOMAIN: a purchase above the limit becomes N invoices):
 * while any of them is still being issued the e-mail waits ("wait"); then it carries every issued
 * one with a pending e-mail to the same address (this delivery first among them, by position).
 * A single invoice reads nothing more.
 */
async function splitGroup(ctx: DeliveryContext, sendable: Sendable): Promise<Carried[] | "wait"> {
  const { delivery, invoice } = sendable;
  const self: Carried = { delivery, invoice, files: sendable.files };
  if (invoice.seqCount <= 1 || invoice.color !== "blue") return [self];
  const db = ctx.database.db;
  const siblings = await db
    .select()
    .from(invoices)
    .where(and(eq(invoices.receiptCodeId, invoice.receiptCodeId), eq(invoices.color, "blue")));
  // The invoices' unfinished states (invoice-status.ts: pending, issuing), not imported: the
  // invoices module imports this one.
  if (siblings.some((s) => s.status === "pending" || s.status === "issuing")) return "wait";
  const others = siblings.filter((s) => s.id !== invoice.id && s.number);
  if (others.length === 0) return [self];
  const pending = await db
    .select()
    .from(deliveries)
    .where(
      and(
        inArray(
          deliveries.invoiceId,
          others.map((o) => o.id),
        ),
        eq(deliveries.channel, "email"),
        eq(deliveries.status, "pending"),
        sql`lower(${deliveries.recipient}) = lower(${delivery.recipient})`,
      ),
    );
  const byInvoice = new Map(others.map((o) => [o.id, o]));
  const seen = new Set<string>([invoice.id]);
  const group: Carried[] = [self];
  for (const d of pending) {
    const sibling = byInvoice.get(d.invoiceId);
    if (!sibling || seen.has(sibling.id)) continue;
    seen.add(sibling.id);
    group.push({ delivery: d, invoice: sibling });
  }
  return group.sort((a, b) => a.invoice.seq - b.invoice.seq);
}

/** Tried again by the sweep after the usual first wait, without counting as an attempt. */
async function deferUntilSplitIssued(ctx: DeliveryContext, deliveryId: string): Promise<void> {
  await ctx.database.db
    .update(deliveries)
    .set({
      nextAttemptAt: new Date(Date.now() + ctx.config.tuning.deliveryRetrySeconds * 1000),
      updatedAt: new Date(),
    })
    .where(and(eq(deliveries.id, deliveryId), eq(deliveries.status, "pending")));
}

/** The receiving server refused the recipient for good: failed now, with its answer, not retried. */
async function recordRefused(
  ctx: DeliveryContext,
  carried: Carried[],
  token: string,
  reason: string,
): Promise<void> {
  await ctx.database.db
    .update(deliveries)
    .set({
      attempts: sql`${deliveries.attempts} + 1`,
      status: "failed",
      lastError: `收件服务器拒收：${reason}`.slice(0, 500),
      mailToken: token,
      nextAttemptAt: null,
      updatedAt: new Date(),
    })
    .where(
      and(
        inArray(
          deliveries.id,
          carried.map((c) => c.delivery.id),
        ),
        eq(deliveries.status, "pending"),
      ),
    );
  ctx.log.warn(
    { deliveryIds: carried.map((c) => c.delivery.id), reason },
    "e-mail refused by the recipient's server",
  );
}

/**
 * An invoice SMS: the organization's sign name and template (org_integrations), the caps
 * (sms-caps.ts, charged once per delivery), then the provider; the provider's message id is kept
 * for its delivery report (sms-reports.ts). A cap reached fails the delivery for good; any other
 * failure is recorded and retried like an e-mail's.
 */
async function sendSms(ctx: DeliveryContext, sendable: Sendable): Promise<void> {
  const { delivery, invoice, sellerName, token } = sendable;
  const provider = ctx.providers.sms;
  try {
    const [settings] = await ctx.database.db
      .select({ signName: orgIntegrations.smsSignName, templateCode: orgIntegrations.smsTemplateCode })
      .from(orgIntegrations)
      .where(eq(orgIntegrations.orgId, invoice.orgId));
    if (provider.needsTemplate && !(settings?.signName && settings.templateCode))
      throw new SmsSendError(
        "not_configured",
        "本组织未设置短信签名和模板（基础资料 › 组织信息 › 短信通知）",
      );
    const charge = await chargeSmsQuota(ctx, {
      deliveryId: delivery.id,
      mobile: delivery.recipient,
      receiptCodeId: invoice.receiptCodeId,
    });
    if (!charge.ok) {
      const why =
        charge.cap === "number"
          ? `该手机号今日短信已达上限（${charge.limit} 条）`
          : `该小票码的短信已达上限（${charge.limit} 条）`;
      await recordFailure(ctx, delivery, new SmsSendError("cap_reached", why), { final: true });
      return;
    }
    const message = invoiceSmsMessage({
      mobile: delivery.recipient,
      signName: settings?.signName || DEFAULT_SIGN_NAME,
      templateCode: settings?.templateCode ?? "",
      sellerName,
      publicUrl: ctx.config.publicUrl,
      token,
      outId: delivery.id,
    });
    const { messageId } = await provider.send(message);
    await ctx.database.db
      .update(deliveries)
      .set({
        attempts: sql`${deliveries.attempts} + 1`,
        status: "sent",
        sentAt: new Date(),
        lastError: null,
        nextAttemptAt: null,
        providerMessageId: messageId,
        updatedAt: new Date(),
      })
      .where(and(eq(deliveries.id, delivery.id), eq(deliveries.status, "pending")));
    ctx.metrics.deliveryOutcomes.inc({ channel: "sms", outcome: "sent" });
  } catch (e) {
    await recordFailure(ctx, delivery, e);
    throw e;
  }
}

/**
 * A failed send: attempts, last error, the next attempt after an exponential backoff; failed after
 * DELIVERY_RETRY_LIMIT retries, or at once when `final`.
 */
async function recordFailure(
  ctx: DeliveryContext,
  delivery: DeliveryRow,
  e: unknown,
  options: { final?: boolean; ids?: string[] } = {},
): Promise<void> {
  const attempts = delivery.attempts + 1;
  const isLast = options.final === true || attempts > DELIVERY_RETRY_LIMIT;
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
    .where(inArray(deliveries.id, options.ids ?? [delivery.id]));
  ctx.metrics.deliveryOutcomes.inc({ channel: delivery.channel, outcome: isLast ? "failed" : "retry" });
  ctx.log.warn({ deliveryId: delivery.id, channel: delivery.channel, err: e, isLast }, "delivery failed");
}

/**
 * Deliveries sent within SENT_MARK_WINDOW_MS are marked sent together, in one statement: this
 * runs for every invoice issued. A process that dies before the mark is written leaves the delivery
 * pending, and the sweep sends it again — at-least-once, as for a crash right after sending.
 */
const SENT_MARK_WINDOW_MS = 50;

function markSent(
  ctx: Pick<AppContext, "database" | "deliveries">,
  deliveryIds: string[],
  mailToken: string | null,
): Promise<void> {
  const state = ctx.deliveries;
  let batch = state.openMark;
  if (!batch) {
    const ids: string[] = [];
    const tokens: Array<string | null> = [];
    const written = new Promise((resolve) => setTimeout(resolve, SENT_MARK_WINDOW_MS)).then(async () => {
      state.openMark = undefined;
      await runStatement(ctx.database, DELIVERIES_SENT, [ids, tokens]);
    });
    batch = { ids, tokens, written };
    state.openMark = batch;
  }
  for (const id of deliveryIds) {
    batch.ids.push(id);
    batch.tokens.push(mailToken);
  }
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
