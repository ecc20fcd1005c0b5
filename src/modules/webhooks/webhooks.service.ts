import { and, desc, eq, sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import type { DbOrTx } from "../../platform/db/client";
import { invoices, organizations, webhookAttempts, webhookEvents } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { OutboundError, postJson } from "../../platform/outbound-http";
import { signedHeadersForKeys } from "../../platform/signing";
import { findActiveSigningKeys } from "../credentials/credentials.service";

export const WEBHOOK_QUEUE = "webhook-send";

/** API.md: a failed delivery is retried after 1 min, 5 min, 30 min, 2 h, 6 h and 24 h. */
export const WEBHOOK_LADDER_SECONDS = [60, 300, 1800, 7200, 21600, 86400] as const;
export const WEBHOOK_TIMEOUT_MS = 5000;

export type WebhookEventType =
  | "invoice.issued"
  | "invoice.failed"
  | "invoice.reversed"
  | "invoice.red_confirmation"
  | "receipt_code.refunded"
  | "webhook.test";

type WebhookContext = Pick<AppContext, "database" | "config" | "keyring" | "jobs" | "log">;

/**
 * A webhook event and its first delivery job, in the caller's transaction: the event exists exactly
 * when what it reports does.
 */
export async function recordWebhookEvent(
  ctx: Pick<AppContext, "jobs">,
  tx: DbOrTx,
  event: { orgId: string; type: WebhookEventType; invoiceId: string | null; data: object },
): Promise<string> {
  const id = newId("evt");
  await tx.insert(webhookEvents).values({ id, ...event, nextAttemptAt: new Date() });
  await ctx.jobs.send(WEBHOOK_QUEUE, { eventId: id, attempt: 1 }, { tx, singletonKey: `${id}:1` });
  return id;
}

/** The console's "send test" button: a `webhook.test` event through the same signed delivery. */
export async function sendTestWebhook(ctx: WebhookContext, orgId: string): Promise<string> {
  return ctx.database.db.transaction((tx) =>
    recordWebhookEvent(ctx, tx, {
      orgId,
      type: "webhook.test",
      invoiceId: null,
      data: { message: "票码 webhook 测试" },
    }),
  );
}

/**
 * One attempt of one event (a job). Each attempt is recorded with its status code, error and time;
 * a failure schedules the next attempt on the ladder as a new job (delays far beyond what a
 * queue's own backoff expresses), and the last failure marks the event failed.
 */
export async function sendWebhookAttempt(
  ctx: WebhookContext,
  job: { eventId: string; attempt: number },
  /** The event's data as sent now (the composition root passes the invoice module's: fresh file links). */
  dataNow: (type: string, data: unknown) => unknown = (_type, data) => data,
): Promise<void> {
  const { db } = ctx.database;
  const [event] = await db.select().from(webhookEvents).where(eq(webhookEvents.id, job.eventId));
  if (event?.status !== "pending" || event.attempts >= job.attempt) return;
  const [org] = await db
    .select({ webhookUrl: organizations.webhookUrl })
    .from(organizations)
    .where(eq(organizations.id, event.orgId));
  const url = org?.webhookUrl ?? "";
  const started = Date.now();
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    const keys = await findActiveSigningKeys(ctx, event.orgId);
    if (!url) throw new OutboundError("bad_url", "未配置 webhookUrl");
    if (keys.length === 0) throw new OutboundError("bad_url", "组织没有可用的 App Key，无法签名");
    const data = dataNow(event.type, event.data);
    const body = JSON.stringify({
      id: event.id,
      type: event.type,
      createdAt: event.createdAt.toISOString(),
      data,
    });
    const target = new URL(url);
    // Signed with every active key (X-Signatures), the newest in X-App-Key / X-Signature.
    const headers = signedHeadersForKeys(keys, {
      method: "POST",
      pathWithQuery: `${target.pathname}${target.search}`,
      body,
    });
    const res = await postJson(url, body, headers, {
      timeoutMs: WEBHOOK_TIMEOUT_MS,
      maxBytes: 64 * 1024,
      allowPrivate: ctx.config.allowPrivateUrls,
    });
    statusCode = res.status;
    if (res.status < 200 || res.status > 299) error = `HTTP ${res.status}`;
  } catch (e) {
    if (!(e instanceof OutboundError)) throw e;
    error = e.message;
  }
  const delivered = error === null;
  const delay = WEBHOOK_LADDER_SECONDS[job.attempt - 1];
  const factor = ctx.config.tuning.webhookRetryFactor ?? 1;
  const next = !delivered && delay !== undefined ? new Date(Date.now() + delay * factor * 1000) : null;
  await db.transaction(async (tx) => {
    await tx.insert(webhookAttempts).values({
      id: newId("wha"),
      eventId: event.id,
      attempt: job.attempt,
      url,
      statusCode,
      error,
      durationMs: Date.now() - started,
    });
    await tx
      .update(webhookEvents)
      .set({
        attempts: sql`greatest(${webhookEvents.attempts}, ${job.attempt})`,
        status: delivered ? "delivered" : next ? "pending" : "failed",
        deliveredAt: delivered ? new Date() : null,
        nextAttemptAt: next,
      })
      .where(eq(webhookEvents.id, event.id));
    if (next) {
      await ctx.jobs.send(
        WEBHOOK_QUEUE,
        { eventId: event.id, attempt: job.attempt + 1 },
        { tx, startAfter: next, singletonKey: `${event.id}:${job.attempt + 1}` },
      );
    }
  });
  if (!delivered) ctx.log.info({ eventId: event.id, attempt: job.attempt, error }, "webhook attempt failed");
}

export interface WebhookEventView {
  id: string;
  type: string;
  invoiceId: string | null;
  /** The invoice's number (发票号码) once it has one: what an operator recognises, not the id. */
  invoiceNumber: string | null;
  status: string;
  attempts: Array<{
    attempt: number;
    statusCode: number | null;
    error: string | null;
    durationMs: number;
    at: string;
  }>;
  nextAttemptAt: string | null;
  createdAt: string;
}

/** For the console: an organization's recent events with every attempt. */
export async function findWebhookEvents(
  ctx: Pick<AppContext, "database">,
  orgId: string,
  limit = 50,
): Promise<WebhookEventView[]> {
  const { db } = ctx.database;
  const events = await db
    .select({ event: webhookEvents, invoiceNumber: invoices.number })
    .from(webhookEvents)
    .leftJoin(invoices, eq(invoices.id, webhookEvents.invoiceId))
    .where(eq(webhookEvents.orgId, orgId))
    .orderBy(desc(webhookEvents.createdAt), desc(webhookEvents.id))
    .limit(limit);
  const out: WebhookEventView[] = [];
  for (const { event: e, invoiceNumber } of events) {
    const attempts = await db
      .select()
      .from(webhookAttempts)
      .where(and(eq(webhookAttempts.eventId, e.id)))
      .orderBy(webhookAttempts.attempt);
    out.push({
      id: e.id,
      type: e.type,
      invoiceId: e.invoiceId,
      invoiceNumber,
      status: e.status,
      attempts: attempts.map((a) => ({
        attempt: a.attempt,
        statusCode: a.statusCode,
        error: a.error,
        durationMs: a.durationMs,
        at: a.createdAt.toISOString(),
      })),
      nextAttemptAt: e.nextAttemptAt?.toISOString() ?? null,
      createdAt: e.createdAt.toISOString(),
    });
  }
  return out;
}

/**
 * 重新投递: one more attempt of an organization's event, now, whatever its state (a merchant that
 * lost a delivered event asks for it again). The attempt is numbered after the last one and runs
 * like any other: a failure continues the ladder from there, and an attempt of the ladder already
 * scheduled with that number finds it made and does nothing. Two clicks before the attempt runs
 * are one job (the same singleton key). Another organization's event is not found. In the
 * caller's transaction, so the change and its record are one.
 */
export async function redeliverWebhookEvent(
  ctx: Pick<AppContext, "jobs">,
  tx: DbOrTx,
  options: { orgId: string; eventId: string },
): Promise<{ eventId: string; attempt: number }> {
  const [event] = await tx
    .update(webhookEvents)
    .set({ status: "pending", nextAttemptAt: new Date() })
    .where(and(eq(webhookEvents.id, options.eventId), eq(webhookEvents.orgId, options.orgId)))
    .returning({ id: webhookEvents.id, attempts: webhookEvents.attempts });
  if (!event) throw new AppError("NOT_FOUND", "事件不存在或无权访问");
  const attempt = event.attempts + 1;
  await ctx.jobs.send(
    WEBHOOK_QUEUE,
    { eventId: event.id, attempt },
    { tx, singletonKey: `${event.id}:${attempt}:redeliver` },
  );
  return { eventId: event.id, attempt };
}
