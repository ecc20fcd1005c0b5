import type { AddressInfo } from "node:net";
import { and, eq, inArray, sql } from "drizzle-orm";
import { SMTPServer } from "smtp-server";
import type { AppContext } from "../../context";
import { deliveries } from "../../platform/db/schema";
import { tokenOfVerp } from "./deliveries.mail";
import { parseBounce } from "./dsn";

type BounceContext = Pick<AppContext, "database" | "config" | "log" | "metrics">;

/** A returned e-mail's outcome: how many deliveries it marked bounced, or why it changed nothing. */
export interface BounceOutcome {
  bounced: number;
  ignored?: "no_token" | "unknown_token" | "not_a_dsn" | "no_failed_recipient" | "recipient_mismatch";
}

/** Bounce reports above this size are refused (a DSN carries headers, not the attachments). */
export const MAX_BOUNCE_BYTES = 2 * 1024 * 1024;

/**
 * A bounce returned to MAIL_BOUNCE_ADDRESS (by the inbound listener or a provider's webhook): its
 * token (the VERP address it came to, else the returned Message-ID) names the e-mail; each of that
 * e-mail's deliveries whose recipient the report says failed (Action: failed) becomes bounced with
 * the report's status and diagnostic. Anything else — no token, a token of no e-mail, not a DSN, a
 * delay notice, an auto-reply, a report about another address — changes nothing.
 */
export async function recordBounce(
  ctx: BounceContext,
  input: { raw: string | Buffer; envelopeRecipients?: string[] },
): Promise<BounceOutcome> {
  const base = ctx.config.mailBounce.address;
  const report = parseBounce(input.raw);
  const tokens = new Set<string>();
  if (base) {
    for (const a of [...(input.envelopeRecipients ?? []), ...report.reportRecipients]) {
      const t = tokenOfVerp(base, a);
      if (t) tokens.add(t);
    }
  }
  for (const id of report.originalMessageIds) {
    const m = /^([0-9a-f]{30})@/i.exec(id);
    if (m?.[1]) tokens.add(m[1].toLowerCase());
  }
  if (tokens.size === 0) return ignored("no_token");
  const rows = await ctx.database.db
    .select()
    .from(deliveries)
    .where(and(inArray(deliveries.mailToken, [...tokens]), eq(deliveries.channel, "email")));
  if (rows.length === 0) return ignored("unknown_token");
  if (!report.isDsn) return ignored("not_a_dsn");
  const failed = report.recipients.filter((r) => r.action === "failed");
  if (failed.length === 0) return ignored("no_failed_recipient");
  let bounced = 0;
  for (const r of failed) {
    const ids = rows.filter((d) => d.recipient.toLowerCase() === r.address).map((d) => d.id);
    if (ids.length === 0) continue;
    const reason = [r.status, r.diagnostic].filter(Boolean).join(" ") || "收件服务器退回";
    const updated = await ctx.database.db
      .update(deliveries)
      .set({
        status: "bounced",
        bouncedAt: sql`now()`,
        lastError: `退信：${reason}`.slice(0, 500),
        nextAttemptAt: null,
        updatedAt: new Date(),
      })
      .where(and(inArray(deliveries.id, ids), inArray(deliveries.status, ["sent", "pending"])))
      .returning({ id: deliveries.id });
    bounced += updated.length;
    if (updated.length > 0)
      ctx.metrics.deliveryOutcomes.inc({ channel: "email", outcome: "bounced" }, updated.length);
  }
  if (bounced === 0) return ignored("recipient_mismatch");
  ctx.log.info({ tokens: [...tokens], bounced }, "e-mail bounced");
  return { bounced };

  function ignored(why: NonNullable<BounceOutcome["ignored"]>): BounceOutcome {
    ctx.log.info({ why }, "bounce report ignored");
    return { bounced: 0, ignored: why };
  }
}

export interface BounceListener {
  port: number;
  close(): Promise<void>;
}

/**
 * The inbound SMTP listener for bounces (MAIL_BOUNCE_SMTP_PORT; the MX of the bounce address's
 * host points here, or the mail server forwards to it). Accepts mail only for the bounce address
 * and its VERP forms, refuses anything else at RCPT TO (it relays nothing), and hands each report
 * to `recordBounce`.
 */
export async function startBounceListener(
  ctx: BounceContext,
  options: { port: number; host?: string },
): Promise<BounceListener> {
  const base = ctx.config.mailBounce.address;
  if (!base) throw new Error("MAIL_BOUNCE_SMTP_PORT needs MAIL_BOUNCE_ADDRESS");
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    size: MAX_BOUNCE_BYTES,
    onRcptTo(address, _session, callback) {
      const a = address.address.toLowerCase();
      if (a === base.toLowerCase() || tokenOfVerp(base, a)) return callback();
      const err = new Error("5.1.1 no such mailbox here") as Error & { responseCode: number };
      err.responseCode = 550;
      callback(err);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          const err = new Error("5.3.4 message too big") as Error & { responseCode: number };
          err.responseCode = 552;
          return callback(err);
        }
        recordBounce(ctx, {
          raw: Buffer.concat(chunks),
          envelopeRecipients: session.envelope.rcptTo.map((r) => r.address),
        }).then(
          () => callback(),
          (e: unknown) => {
            ctx.log.warn({ err: e }, "bounce report could not be recorded");
            const err = new Error("4.3.0 try again later") as Error & { responseCode: number };
            err.responseCode = 451;
            callback(err);
          },
        );
      });
    },
  });
  server.on("error", (e) => ctx.log.warn({ err: e }, "bounce listener error"));
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  ctx.log.info({ port }, "bounce listener started");
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
