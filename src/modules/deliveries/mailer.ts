import nodemailer from "nodemailer";
import type { Logger } from "pino";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  attachments: Array<{ filename: string; content: Buffer; contentType: string }>;
}

/** Sends e-mail. With SMTP_URL unset, e-mails are written to the log and count as sent. */
export interface Mailer {
  readonly kind: "smtp" | "log";
  send(message: MailMessage): Promise<void>;
  close(): void;
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
      await transport.sendMail({ from: options.from, ...m });
    },
    close: () => transport.close(),
  };
}
