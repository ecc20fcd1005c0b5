import { chinaDateIso } from "../../domain";
import type { invoices } from "../../platform/db/schema";
import { randomBytesPooled } from "../../platform/ids";
import type { MailMessage } from "./mailer";

type InvoiceRow = typeof invoices.$inferSelect;

/** One e-mail's invoices and what its words need. */
export interface MailContent {
  to: string;
  sellerName: string;
  /** The merchant's own address (Reply-To), when it has one. */
  replyTo: string | null;
  /** Issued through the sandbox channel: the e-mail says it is a test. */
  sandbox: boolean;
  link: string;
  /** 我的发票: every invoice sent to this address, without the receipt. */
  myLink?: string;
  /** The invoices in the e-mail, in order, each with its two files. */
  invoices: Array<{ invoice: InvoiceRow; pdf: Buffer; xml: Buffer }>;
}

export interface MailSettings {
  /** MAIL_FROM, `{org}` standing for the merchant's name. */
  from: string;
  /** MAIL_BOUNCE_ADDRESS: bounce@host, sent as bounce+token@host. */
  bounceAddress: string | undefined;
}

/** A new e-mail's token: lowercase letters and digits only, so it survives in a VERP local part. */
export function newMailToken(): string {
  return randomBytesPooled(15).toString("hex");
}

/** `bounce@host` with the token: `bounce+token@host`. */
export function verpAddress(bounceAddress: string, token: string): string {
  const at = bounceAddress.lastIndexOf("@");
  return `${bounceAddress.slice(0, at)}+${token}${bounceAddress.slice(at)}`;
}

/** The token a VERP address carries, when it is one of ours (same local part and host as the base). */
export function tokenOfVerp(bounceAddress: string, address: string): string | null {
  const at = bounceAddress.lastIndexOf("@");
  const local = bounceAddress.slice(0, at).toLowerCase();
  const host = bounceAddress.slice(at + 1).toLowerCase();
  const m = /^([^@+]+)\+([0-9a-f]{30})@(.+)$/i.exec(address.trim().replace(/^<|>$/g, ""));
  if (!m || m[1]?.toLowerCase() !== local || m[3]?.toLowerCase() !== host) return null;
  return m[2]?.toLowerCase() ?? null;
}

/** `Name <addr>` or `addr` → its parts; the name with `{org}` replaced and made safe for a header. */
export function senderOf(template: string, sellerName: string): { name: string; address: string } {
  const m = /^\s*(.*?)\s*<([^<>]+)>\s*$/.exec(template);
  const address = (m ? m[2] : template)?.trim() ?? template;
  const org = sellerName.replace(/[\r\n<>"]/g, " ").trim();
  const name = (m?.[1] ?? "")
    .replace(/^"|"$/g, "")
    .replaceAll("{org}", org)
    .replace(/[\r\n]/g, " ")
    .trim();
  return { name, address };
}

/** The message for one e-mail: one invoice, or every invoice of a split with all their files. */
export function composeMail(
  content: MailContent,
  settings: MailSettings,
  token: string,
): MailMessage & { from: { name: string; address: string } } {
  const list = content.invoices;
  const first = list[0]?.invoice;
  if (!first) throw new Error("an e-mail needs at least one invoice");
  const title = first.color === "red" ? "红字发票" : "电子发票";
  const test = content.sandbox ? "【测试】" : "";
  const numbers = list.map((i) => i.invoice.number ?? "").join("、");
  const subject =
    list.length > 1
      ? `${test}【${title}】${content.sellerName}为您开具的发票（共 ${list.length} 张）`
      : `${test}【${title}】${content.sellerName}为您开具的发票（号码 ${numbers}）`;
  const from = senderOf(settings.from, content.sellerName);
  const host = from.address.slice(from.address.lastIndexOf("@") + 1) || "piaoma.localhost";
  return {
    to: content.to,
    subject,
    text: mailText(content, title),
    from,
    replyTo: content.replyTo ?? undefined,
    envelopeFrom: settings.bounceAddress ? verpAddress(settings.bounceAddress, token) : undefined,
    messageId: `${token}@${host}`,
    attachments: list.flatMap(({ invoice, pdf, xml }) => [
      { filename: `${invoice.number}.pdf`, content: pdf, contentType: "application/pdf" },
      { filename: `${invoice.number}.xml`, content: xml, contentType: "application/xml" },
    ]),
  };
}

function mailText(content: MailContent, title: string): string {
  const list = content.invoices;
  const testNotice = content.sandbox
    ? [
        `【测试邮件】这是测试环境（沙箱通道）开具的测试发票，不是真实发票，不具法律效力，不能用于报销或抵扣。`,
        ``,
      ]
    : [];
  const one = (i: InvoiceRow) => [
    `发票号码：${i.number}`,
    `开票日期：${i.issuedAt ? chinaDateIso(i.issuedAt) : ""}`,
    `购买方：${i.buyerName}`,
    `价税合计：¥${i.totalAmount}`,
  ];
  const body =
    list.length > 1
      ? [
          `${content.sellerName}已为您开具${title}共 ${list.length} 张（金额超过单张限额，拆分开具），附件为每张发票的 PDF 与 XML 文件。`,
          ``,
          ...list.flatMap(({ invoice }, n) => [`第 ${n + 1} 张`, ...one(invoice), ``]),
        ]
      : [
          `${content.sellerName}已为您开具${title}，附件为发票 PDF 与 XML 文件。`,
          ``,
          ...one(list[0]!.invoice),
          ``,
        ];
  return [
    ...testNotice,
    `尊敬的客户：`,
    ``,
    ...body,
    `也可以在这里查看、下载或重新发送：${content.link}`,
    ...(content.myLink ? [`用本邮箱登录「我的发票」，可查看在各商家开具的全部发票：${content.myLink}`] : []),
    ``,
    content.replyTo
      ? `此邮件由票码系统代${content.sellerName}发送；如有疑问，直接回复即可联系商家。`
      : `此邮件由票码系统自动发送，请勿直接回复。`,
  ].join("\n");
}
