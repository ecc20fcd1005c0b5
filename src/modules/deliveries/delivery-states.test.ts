import { eq } from "drizzle-orm";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { loginAs, makeUser } from "../../../test/support/console";
import { describeOneDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { decodeHeader, type ReceivedMail, startSmtp, type TestSmtp } from "../../../test/support/smtp";
import { waitUntil } from "../../../test/support/wait";
import {
  deliveries,
  invoices as invoicesTable,
  organizations,
  receiptCodeConfigs,
} from "../../platform/db/schema";
import { drainDeliveries } from "./deliveries.service";

const BOUNCE = "bounce@mail.piaoma.test";
const REFUSED = "nobody@refusing.example";

/** A delivery status notification as a receiving MTA writes it (RFC 3464), for `original`. */
function dsn(options: { to: string; recipient: string; messageId: string; action?: string }): string {
  const b = "=_dsn_boundary_42";
  return [
    "From: Mail Delivery System <MAILER-DAEMON@mx.buyer.example>",
    `To: ${options.to}`,
    "Subject: Undelivered Mail Returned to Sender",
    "MIME-Version: 1.0",
    `Content-Type: multipart/report; report-type=delivery-status;`,
    `\tboundary="${b}"`,
    "",
    `--${b}`,
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: quoted-printable",
    "",
    "This is the mail system at host mx.buyer.example. I'm sorry to have to inform you that your =",
    "message could not be delivered.",
    "",
    `--${b}`,
    "Content-Type: message/delivery-status",
    "",
    "Reporting-MTA: dns; mx.buyer.example",
    "Arrival-Date: Fri,  4 Dec 2026 15:00:00 +0800 (CST)",
    "",
    `Final-Recipient: rfc822; ${options.recipient}`,
    `Original-Recipient: rfc822;${options.recipient}`,
    `Action: ${options.action ?? "failed"}`,
    "Status: 5.1.1",
    "Remote-MTA: dns; mx.buyer.example",
    "Diagnostic-Code: smtp; 550 5.1.1 <mailbox>: Recipient address rejected:",
    " User unknown in virtual mailbox table",
    "",
    `--${b}`,
    "Content-Type: text/rfc822-headers",
    "",
    `Message-ID: <${options.messageId}>`,
    "Subject: =?UTF-8?B?5Y+R56Wo?=",
    "",
    `--${b}--`,
    "",
  ].join("\r\n");
}

describeOneDatabase("e-mail delivery states: sent, refused, bounced", (kind) => {
  let smtp: TestSmtp;
  let app: TestApp;
  let orgId: string;

  beforeAll(async () => {
    smtp = await startSmtp(0, { refuse: { [REFUSED]: "5.1.1 <nobody@refusing.example>: no such user" } });
    app = await createTestApp(kind, {
      env: {
        SMTP_URL: smtp.url,
        MAIL_FROM: "{org} via 票码 <noreply@mail.piaoma.test>",
        MAIL_BOUNCE_ADDRESS: BOUNCE,
        MAIL_BOUNCE_SMTP_PORT: "0",
      },
    });
    const org = await makeOrganization(app.ctx.database, { name: "杭州湖畔餐饮有限公司" });
    orgId = org.id;
    await app.ctx.database.db
      .update(organizations)
      .set({ contactEmail: "finance@hupan.example" })
      .where(eq(organizations.id, orgId));
  });
  afterAll(async () => {
    await app?.close();
    await smtp?.close();
  });

  async function submit(email: string, lines?: Parameters<typeof makeReceiptCode>[2]) {
    const code = await makeReceiptCode(app.ctx, orgId, lines);
    const res = await app.http.inject({
      method: "POST",
      url: `/api/scan/${code.token}/submit`,
      headers: { "content-type": "application/json" },
      payload: {
        invoiceType: "digital_normal",
        buyer: { type: "enterprise", name: "杭州某某贸易有限公司", taxId: makeUscc("91330100") },
        email,
      },
    });
    expect(res.statusCode).toBeLessThan(300);
    return { code, invoices: res.json().invoices as Array<{ id: string; number: string | null }> };
  }

  const bounceCount = async () =>
    (await app.ctx.metrics.deliveryOutcomes.get()).values.find(
      (v) => v.labels.channel === "email" && v.labels.outcome === "bounced",
    )?.value ?? 0;
  const deliveryOf = async (invoiceId: string) =>
    (await app.ctx.database.db.select().from(deliveries).where(eq(deliveries.invoiceId, invoiceId)))[0]!;
  const invoiceNumberOf = async (id: string) =>
    (await app.ctx.database.db.select().from(invoicesTable).where(eq(invoicesTable.id, id)))[0]!.number;
  const mailFor = (address: string) => smtp.mails.filter((m) => m.to.includes(address));
  const header = (mail: ReceivedMail, name: string) =>
    decodeHeader(new RegExp(`^${name}: (.*(?:\r\n[ \t].*)*)`, "mi").exec(mail.raw)?.[1] ?? "").trim();

  async function sendToListener(raw: string, to: string): Promise<void> {
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: app.bounceListener!.port,
      secure: false,
      ignoreTLS: true,
    });
    try {
      await transport.sendMail({ envelope: { from: "", to }, raw });
    } finally {
      transport.close();
    }
  }

  it("sends with the merchant in the sender's name, its Reply-To, a VERP return path, and says a sandbox invoice is a test", async () => {
    const { invoices } = await submit("buyer.one@example.com");
    await drainDeliveries(app.ctx);
    const [mail] = await smtp.waitFor(1).then(() => mailFor("buyer.one@example.com"));
    expect(mail).toBeDefined();
    const delivery = await waitUntil(async () => {
      const d = await deliveryOf(invoices[0]!.id);
      return d.status === "sent" ? d : undefined;
    }, "the delivery to be marked sent");
    expect(delivery.mailToken).toMatch(/^[0-9a-f]{30}$/);
    // The envelope sender carries the e-mail's token; the Message-ID too.
    expect(mail!.from).toBe(`bounce+${delivery.mailToken}@mail.piaoma.test`);
    expect(header(mail!, "Message-ID")).toBe(`<${delivery.mailToken}@mail.piaoma.test>`);
    expect(header(mail!, "Reply-To")).toBe("finance@hupan.example");
    expect(header(mail!, "From")).toMatch(
      /^"?杭州湖畔餐饮有限公司 via 票码"? ?<noreply@mail\.piaoma\.test>$/,
    );
    // The test org issues through the sandbox: subject and body say so.
    expect(mail!.subject).toMatch(/^【测试】【电子发票】杭州湖畔餐饮有限公司为您开具的发票（号码 \d{20}）$/);
    expect(decodedText(mail!)).toContain("测试发票");
  });

  it("records a recipient the receiving server refuses as failed with its answer, at once and not retried", async () => {
    const { code, invoices } = await submit(REFUSED);
    await drainDeliveries(app.ctx);
    const d = await waitUntil(async () => {
      const row = await deliveryOf(invoices[0]!.id);
      return row.status === "failed" ? row : undefined;
    }, "the refusal to be recorded");
    expect(d).toMatchObject({ attempts: 1, nextAttemptAt: null });
    expect(d.lastError).toContain("收件服务器拒收");
    expect(d.lastError).toContain("no such user");
    expect(mailFor(REFUSED)).toHaveLength(0);
    // The consumer's re-scan shows it masked, failed; the console shows the reason.
    const view = (await app.http.inject({ method: "GET", url: `/api/scan/${code.token}` })).json();
    expect(view.invoices[0].deliveries).toEqual([
      expect.objectContaining({ channel: "email", status: "failed", to: expect.stringContaining("***") }),
    ]);
  });

  it("matches a DSN returned to the listener to its delivery: bounced, with time and reason, on the re-scan, in 异常中心 and the metrics", async () => {
    const address = "typo.buyer@example.com";
    const bouncesBefore = await bounceCount();
    const { code, invoices } = await submit(address);
    await drainDeliveries(app.ctx);
    const sent = await waitUntil(async () => {
      const d = await deliveryOf(invoices[0]!.id);
      return d.status === "sent" ? d : undefined;
    }, "the delivery to be sent");
    const mail = mailFor(address)[0]!;
    await sendToListener(
      dsn({ to: mail.from, recipient: address, messageId: `${sent.mailToken}@mail.piaoma.test` }),
      mail.from,
    );
    const bounced = await deliveryOf(invoices[0]!.id);
    expect(bounced.status).toBe("bounced");
    expect(bounced.bouncedAt).toBeInstanceOf(Date);
    expect(bounced.lastError).toContain("5.1.1");
    expect(bounced.lastError).toContain("User unknown in virtual mailbox table");
    const view = (await app.http.inject({ method: "GET", url: `/api/scan/${code.token}` })).json();
    expect(view.invoices[0].deliveries).toEqual([
      {
        channel: "email",
        to: expect.stringContaining("***"),
        status: "bounced",
        at: bounced.bouncedAt!.toISOString(),
      },
    ]);
    // The operator's 异常中心 lists it with the reason and offers a resend; the metric counts it.
    const user = await makeUser(app.ctx.database, { role: "operator", orgIds: [orgId] });
    const operator = await loginAs(app, user.username, user.password);
    const listed = (await operator.get("/exceptions?kind=delivery_failed")).json().items as Array<
      Record<string, unknown>
    >;
    expect(listed.filter((i) => i.invoiceId === invoices[0]!.id)).toMatchObject([
      {
        detail: expect.stringContaining("退信：5.1.1"),
        action: { key: "resend" },
      },
    ]);
    expect(await bounceCount()).toBe(bouncesBefore + 1);
  });

  it("ignores a forged bounce: an unknown token, another recipient, a delay notice; refuses other mailboxes", async () => {
    const address = "real.buyer@example.com";
    const { invoices } = await submit(address);
    await drainDeliveries(app.ctx);
    const sent = await waitUntil(async () => {
      const d = await deliveryOf(invoices[0]!.id);
      return d.status === "sent" ? d : undefined;
    }, "the delivery to be sent");
    const forgedToken = "0123456789abcdef0123456789abcd";
    // A token of no e-mail, though the report names the real recipient and its Message-ID is ours.
    await sendToListener(
      dsn({
        to: `bounce+${forgedToken}@mail.piaoma.test`,
        recipient: address,
        messageId: `${forgedToken}@x`,
      }),
      `bounce+${forgedToken}@mail.piaoma.test`,
    );
    // The right token, but a report about someone else.
    const verp = `bounce+${sent.mailToken}@mail.piaoma.test`;
    await sendToListener(dsn({ to: verp, recipient: "other@example.com", messageId: "x@y" }), verp);
    // The right token and recipient, but only a delay.
    await sendToListener(dsn({ to: verp, recipient: address, messageId: "x@y", action: "delayed" }), verp);
    // Not a report at all (an auto-reply to the return path).
    await sendToListener(`From: ${address}\r\nTo: ${verp}\r\nSubject: 自动回复\r\n\r\n我在休假。\r\n`, verp);
    expect(await deliveryOf(invoices[0]!.id)).toMatchObject({
      status: "sent",
      bouncedAt: null,
      lastError: null,
    });
    // Mail for anything but the bounce address is refused at RCPT TO.
    await expect(
      sendToListener(dsn({ to: address, recipient: address, messageId: "x@y" }), address),
    ).rejects.toThrow(/550/);
  });

  it("accepts a provider's webhook post of a DSN only with its token", async () => {
    // The webhook is off in this app (no token); see the next suite.
    const res = await app.http.inject({ method: "POST", url: "/mail/bounces", payload: "x" });
    expect(res.statusCode).toBe(404);
  });

  it("sends a split purchase as one e-mail with every invoice's files, its subject saying 共 N 张", async () => {
    await app.ctx.database.db
      .update(receiptCodeConfigs)
      .set({ overLimitPolicy: "split" })
      .where(eq(receiptCodeConfigs.orgId, orgId));
    const address = "split.buyer@example.com";
    const big = { name: "宴会", shortName: "餐饮服务", taxCode: "3070401000000000000", taxRate: "0.06" };
    const { invoices } = await submit(address, {
      lines: [
        { ...big, amount: "15000.00" },
        { ...big, name: "酒水", amount: "9000.00" },
      ],
    });
    expect(invoices.length).toBeGreaterThan(1);
    const rows = await waitUntil(async () => {
      const all = await Promise.all(invoices.map((i) => deliveryOf(i.id)));
      return all.every((d) => d?.status === "sent") ? all : undefined;
    }, "every delivery of the split to be sent");
    const mails = mailFor(address);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe(
      `【测试】【电子发票】杭州湖畔餐饮有限公司为您开具的发票（共 ${invoices.length} 张）`,
    );
    const numbers = (await Promise.all(invoices.map((i) => invoiceNumberOf(i.id)))).sort();
    expect(mails[0]!.attachments.map((a) => a.filename).sort()).toEqual(
      numbers.flatMap((n) => [`${n}.pdf`, `${n}.xml`]).sort(),
    );
    expect(new Set(rows.map((d) => d.mailToken)).size).toBe(1);
  });
});

describeOneDatabase("the bounce webhook", (kind) => {
  let app: TestApp;
  const token = "webhook-token-0123456789";
  beforeAll(async () => {
    app = await createTestApp(kind, {
      startJobs: false,
      env: { MAIL_BOUNCE_ADDRESS: BOUNCE, MAIL_BOUNCE_WEBHOOK_TOKEN: token },
    });
  });
  afterAll(() => app?.close());

  it("marks the delivery a posted DSN names bounced, with the right token only", async () => {
    const org = await makeOrganization(app.ctx.database);
    const code = await makeReceiptCode(app.ctx, org.id);
    const res = await app.http.inject({
      method: "POST",
      url: `/api/scan/${code.token}/submit`,
      headers: { "content-type": "application/json" },
      payload: {
        invoiceType: "digital_normal",
        buyer: { type: "enterprise", name: "杭州某某贸易有限公司", taxId: makeUscc("91330100") },
        email: "hook.buyer@example.com",
      },
    });
    const invoiceId = res.json().invoices[0].id as string;
    await drainDeliveries(app.ctx);
    const sent = await waitUntil(async () => {
      const [d] = await app.ctx.database.db
        .select()
        .from(deliveries)
        .where(eq(deliveries.invoiceId, invoiceId));
      return d?.status === "sent" ? d : undefined;
    }, "the delivery to be sent (logged)");
    const verp = `bounce+${sent.mailToken}@mail.piaoma.test`;
    const body = dsn({ to: verp, recipient: "hook.buyer@example.com", messageId: "x@y" });
    const post = (auth: string) =>
      app.http.inject({
        method: "POST",
        url: "/mail/bounces",
        headers: { "content-type": "message/rfc822", authorization: auth },
        payload: body,
      });
    const wrong = await post("Bearer not-the-token-at-all");
    expect(wrong.statusCode).toBe(401);
    const [still] = await app.ctx.database.db.select().from(deliveries).where(eq(deliveries.id, sent.id));
    expect(still?.status).toBe("sent");
    const ok = await post(`Bearer ${token}`);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ bounced: 1 });
    const [after] = await app.ctx.database.db.select().from(deliveries).where(eq(deliveries.id, sent.id));
    expect(after?.status).toBe("bounced");
  });
});

/** The text part of a received mail, decoded (nodemailer writes Chinese text quoted-printable or base64). */
function decodedText(mail: ReceivedMail): string {
  const part = mail.raw.split(/\r\n--[^\r\n]+\r\n/).find((p) => /Content-Type: text\/plain/i.test(p)) ?? "";
  const [head, ...rest] = part.split("\r\n\r\n");
  const body = rest.join("\r\n\r\n").split(/\r\n--/)[0] ?? "";
  if (/base64/i.test(head ?? "")) return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  return Buffer.from(
    body
      .replace(/=\r\n/g, "")
      .replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
    "latin1",
  ).toString("utf8");
}
