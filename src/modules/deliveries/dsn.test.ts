import { describe, expect, it } from "vitest";
import { parseBounce } from "./dsn";

const status = [
  "Reporting-MTA: dns; mx.example.net",
  "",
  "Final-Recipient: RFC822; <Someone@Example.COM>",
  "Action: failed",
  "Status: 5.2.2",
  "Diagnostic-Code: smtp; 552 5.2.2 mailbox",
  "  full",
  "",
  "Final-Recipient: rfc822; other@example.com",
  "Action: delayed",
  "Status: 4.4.1",
  "",
].join("\n");

describe("parseBounce (RFC 3464 reports, as MTAs write them)", () => {
  it("reads a base64 status part inside a report nested in a mixed message, with bare LF line ends", () => {
    const raw = [
      "To: bounce+0123456789abcdef0123456789abcd@mail.example",
      'Content-Type: multipart/mixed; boundary="outer"',
      "",
      "--outer",
      'Content-Type: multipart/report; report-type="delivery-status"; boundary=inner',
      "",
      "--inner",
      "Content-Type: text/plain",
      "",
      "Your message could not be delivered.",
      "--inner",
      "Content-Type: message/delivery-status",
      "Content-Transfer-Encoding: base64",
      "",
      ...(Buffer.from(status)
        .toString("base64")
        .match(/.{1,76}/g) ?? []),
      "--inner",
      "Content-Type: message/rfc822",
      "",
      "Message-ID: <abc@mail.example>",
      "Subject: hi",
      "",
      "body",
      "--inner--",
      "--outer--",
    ].join("\n");
    const r = parseBounce(raw);
    expect(r.isDsn).toBe(true);
    expect(r.recipients).toEqual([
      {
        address: "someone@example.com",
        action: "failed",
        status: "5.2.2",
        diagnostic: "552 5.2.2 mailbox full",
      },
      { address: "other@example.com", action: "delayed", status: "4.4.1", diagnostic: "" },
    ]);
    expect(r.originalMessageIds).toEqual(["abc@mail.example"]);
    expect(r.reportRecipients).toEqual(["bounce+0123456789abcdef0123456789abcd@mail.example"]);
  });

  it("finds no failed recipient in what is not a report (an auto-reply), nor in a broken one", () => {
    expect(
      parseBounce("Subject: 自动回复\r\n\r\nFinal-Recipient: rfc822; a@b.c\r\nAction: failed\r\n"),
    ).toMatchObject({
      isDsn: false,
      recipients: [],
    });
    const broken = parseBounce("Content-Type: multipart/report; report-type=delivery-status\r\n\r\n--x\r\n");
    expect(broken.recipients).toEqual([]);
  });
});
