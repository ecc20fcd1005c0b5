import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  /** Attachments decoded from the MIME parts that carry a filename. */
  attachments: Array<{ filename: string; contentType: string; content: Buffer }>;
}

export interface TestSmtp {
  url: string;
  port: number;
  mails: ReceivedMail[];
  /** Resolves when `count` mails have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/**
 * A real SMTP server in this process, on a free loopback port, keeping what it receives.
 * `refuse` names recipients it refuses at RCPT TO for good (550, with that text), as a receiving
 * server refuses an address it does not have.
 */
export async function startSmtp(
  port = 0,
  options: { refuse?: Record<string, string> } = {},
): Promise<TestSmtp> {
  const mails: ReceivedMail[] = [];
  const refuse = new Map(Object.entries(options.refuse ?? {}).map(([a, t]) => [a.toLowerCase(), t]));
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(address, _session, callback) {
      const text = refuse.get(address.address.toLowerCase());
      if (!text) return callback();
      const err = new Error(text) as Error & { responseCode: number };
      err.responseCode = 550;
      callback(err);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          subject: decodeHeader(raw.match(/^Subject: (.*(?:\r\n[ \t].*)*)/m)?.[1] ?? ""),
          attachments: parseAttachments(raw),
        });
        callback();
      });
    },
  });
  // A client that dies mid-session (a server process killed by a test) resets its socket; the
  // SMTP server reports that as an 'error' event, which without a listener would be thrown.
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actual = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${actual}`,
    port: actual,
    mails,
    waitFor: async (count, timeoutMs = 20_000) => {
      const end = Date.now() + timeoutMs;
      while (mails.length < count) {
        if (Date.now() > end) throw new Error(`expected ${count} mails, got ${mails.length}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return mails;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** RFC 2047 encoded words (=?UTF-8?B?…?=), as nodemailer writes Chinese subjects. */
export function decodeHeader(value: string): string {
  return value
    .replace(/\r\n[ \t]/g, "")
    .replace(/=\?utf-8\?([BQ])\?([^?]*)\?=\s*/gi, (_, enc: string, text: string) =>
      enc.toUpperCase() === "B"
        ? Buffer.from(text, "base64").toString("utf8")
        : Buffer.from(
            text
              .replace(/_/g, " ")
              .replace(/=([0-9A-F]{2})/gi, (_m, h) => String.fromCharCode(Number.parseInt(h, 16))),
            "latin1",
          ).toString("utf8"),
    );
}

function parseAttachments(raw: string): ReceivedMail["attachments"] {
  const out: ReceivedMail["attachments"] = [];
  for (const part of raw.split(/\r\n--[^\r\n]+\r\n/)) {
    const [head, ...body] = part.split("\r\n\r\n");
    if (!head) continue;
    const filename = head.match(/filename="?([^";\r\n]+)"?/)?.[1];
    if (!filename) continue;
    const contentType = head.match(/Content-Type: ([^;\r\n]+)/i)?.[1] ?? "";
    const content = body.join("\r\n\r\n").split(/\r\n--/)[0] ?? "";
    out.push({
      filename,
      contentType,
      content: /base64/i.test(head)
        ? Buffer.from(content.replace(/\s+/g, ""), "base64")
        : Buffer.from(content),
    });
  }
  return out;
}
