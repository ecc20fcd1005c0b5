import nodemailer from "nodemailer";
import type { Logger } from "pino";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  attachments: Array<{ filename: string; content: Buffer; contentType: string }>;
  /** The header sender (`MAIL_FROM` with the merchant's name filled in); the mailer's default when unset. */
  from?: { name: string; address: string };
  /** The merchant's own address, when it has one. */
  replyTo?: string;
  /** The SMTP envelope sender (MAIL FROM): where bounces return (VERP, `bounce+token@…`). */
  envelopeFrom?: string;
  /** Without the angle brackets. */
  messageId?: string;
}

/** A recipient the receiving server refused for good (a 5xx reply): the delivery fails, not retried. */
export interface MailRejection {
  address: string;
  reason: string;
}

/** What a send that did not throw came to: the recipients refused outright (none when all accepted). */
export interface MailResult {
  rejected: MailRejection[];
}

/**
 * Sends e-mail. With SMTP_URL unset, e-mails are written to the log and count as sent. A send
 * throws when it may work later (connection, 4xx replies), and answers the refused recipients when
 * a server refused them for good (5xx to RCPT TO or DATA).
 */
export interface Mailer {
  readonly kind: "smtp" | "log";
  send(message: MailMessage): Promise<MailResult | undefined>;
  close(): void;
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  rejectedErrors?: Array<{ recipient?: string; responseCode?: number; response?: string }>;
}

export function createMailer(options: { smtpUrl: string | undefined; from: string; log: Logger }): Mailer {
  if (!options.smtpUrl) {
    return {
      kind: "log",
      send: async (m) => {
        options.log.info(
          { to: m.to, subject: m.subject, attachments: m.attachments.map((a) => a.filename) },
          "e-mail not sent (SMTP_URL is not set)",
        );
        return undefined;
      },
      close: () => {},
    };
  }
  // Pooled: one TLS handshake serves many messages (an unpooled send costs ~100 ms).
  const url = new URL(options.smtpUrl);
  const transport = nodemailer.createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === "smtps:" ? 465 : 587,
    secure: url.protocol === "smtps:",
    auth: url.username
      ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
      : undefined,
    pool: true,
    maxConnections: 5,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    tls: { rejectUnauthorized: url.searchParams.get("tls_reject_unauthorized") !== "false" },
  });
  return {
    kind: "smtp",
    send: async (m) => {
      const { envelopeFrom, ...message } = m;
      try {
        const info = await transport.sendMail({
          ...message,
          from: m.from ?? options.from,
          envelope: envelopeFrom ? { from: envelopeFrom, to: m.to } : undefined,
        });
        const refused = (info.rejectedErrors ?? []) as SmtpError["rejectedErrors"] & object;
        const rejected = ((info.rejected ?? []) as Array<string | { address: string }>).map((address) => {
          const text = typeof address === "string" ? address : address.address;
          const err = refused.find((e) => e.recipient === text);
          return { address: text, reason: err?.response ?? "收件服务器拒收" };
        });
        return { rejected };
      } catch (e) {
        const err = e as SmtpError;
        const rejections = permanentRejections(err, m.to);
        if (rejections) return { rejected: rejections };
        throw e;
      }
    },
    close: () => transport.close(),
  };
}

/** The recipients an SMTP error refused for good (5xx), or null when it may work later. */
function permanentRejections(err: SmtpError, to: string): MailRejection[] | null {
  if (err.code === "EENVELOPE" && err.rejectedErrors?.length) {
    if (err.rejectedErrors.some((r) => !r.responseCode || r.responseCode < 500)) return null;
    return err.rejectedErrors.map((r) => ({ address: r.recipient ?? to, reason: r.response ?? err.message }));
  }
  // The whole message refused after DATA (550 content, 552 size …).
  if (err.code === "EMESSAGE" && err.responseCode && err.responseCode >= 500) {
    return [{ address: to, reason: err.response ?? err.message }];
  }
  return null;
}
