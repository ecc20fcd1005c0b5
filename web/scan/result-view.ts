/**
 * The issued invoice(s): number, date, buyer, amounts, where they were sent, the two downloads and
 * a resend form. Shown right after issuing and on every later scan of the same code.
 */
import { isValidEmail, isValidMobile, normalizeMobile } from "../../src/domain/buyer";
import type { ApiError, IssuedInvoice, Receipt, ScanApi } from "./api";
import { correctionCard } from "./correction-view";
import { h, icon } from "./dom";
import {
  contactsText,
  formatChinaDateTime,
  formatMoney,
  INVOICE_TYPE_LABELS,
  invoiceFileName,
} from "./format";
import { inAppBrowserName, resendErrorText } from "./messages";
import { heroView, purchaseView } from "./receipt-view";

const STATUS_BADGES: Record<string, string> = {
  reversed: "已红冲",
  partially_reversed: "部分红冲",
  issuing: "开具中",
  failed: "开具失败",
  awaiting_review: "待商家审核",
  review_refused: "开具失败",
};

const DELIVERY_STATES: Record<string, string> = {
  sent: "已发送",
  failed: "发送失败",
  bounced: "被退回",
  pending: "发送中",
};

type Delivery = NonNullable<IssuedInvoice["deliveries"]>[number];

/** Whether an address the phone knows is the one a masked recipient (`b***r@x.com`, `139****9000`) shows. */
export function matchesMasked(address: string, masked: string): boolean {
  const star = masked.indexOf("***");
  if (star < 0 || !address) return address === masked;
  const prefix = masked.slice(0, star);
  const suffix = masked.slice(masked.lastIndexOf("*") + 1);
  return (
    address.length >= prefix.length + suffix.length && address.startsWith(prefix) && address.endsWith(suffix)
  );
}

/** Each sending of the invoice and how it went; a failed one offers to send again in one tap. */
function deliveriesView(list: Delivery[] | undefined, onResend: (d: Delivery) => void) {
  if (!list?.length) return null;
  return h(
    "ul",
    { class: "deliveries", "aria-label": "发送记录" },
    list.map((d) =>
      h(
        "li",
        { class: `delivery delivery--${d.status}`, "data-testid": "delivery", "data-status": d.status },
        h("span", { class: "delivery-to" }, `${d.channel === "sms" ? "短信" : "邮箱"} ${d.to}`),
        h("span", { class: `badge badge--${d.status}` }, DELIVERY_STATES[d.status] ?? d.status),
        d.status === "failed" || d.status === "bounced"
          ? h(
              "button",
              { type: "button", class: "button button--ghost button--small", onclick: () => onResend(d) },
              "重新发送",
            )
          : null,
      ),
    ),
  );
}

/**
 * The file buttons. In WeChat and Alipay a download is blocked, so the PDF opens in the in-app
 * viewer instead (the server answers `inline`); elsewhere both files download.
 */
function fileLinks(invoice: IssuedInvoice, inApp: boolean) {
  if (!(invoice.number && invoice.pdfUrl && invoice.xmlUrl)) return null;
  const link = (url: string, kind: "pdf" | "ofd" | "xml", label: string, cls: string, withIcon: boolean) =>
    h(
      "a",
      {
        class: `button ${cls}`,
        href: inApp ? `${url}?inline=1` : url,
        download: inApp ? null : invoiceFileName(invoice.number ?? "", invoice.id, kind),
        "data-testid": `download-${kind}`,
      },
      withIcon ? icon("file") : null,
      label,
    );
  return h(
    "div",
    { class: "actions" },
    link(invoice.pdfUrl, "pdf", inApp ? "查看 PDF" : "下载 PDF", "button--primary", true),
    // The OFD where the channel sent one (我的发票's view carries it).
    invoice.ofdUrl
      ? link(invoice.ofdUrl, "ofd", inApp ? "查看 OFD" : "下载 OFD", "button--ghost", false)
      : null,
    link(invoice.xmlUrl, "xml", inApp ? "查看 XML" : "下载 XML", "button--ghost", false),
  );
}

const CARD_STATES: Record<string, string> = {
  none: "未加入",
  authorizing: "授权中",
  inserted: "已加入",
  failed: "失败",
  voiding: "作废中",
  voided: "已作废",
};

/** After 红冲 the card is (being) voided in WeChat: said, nothing offered. */
const VOID_NOTES: Record<string, string> = {
  voiding: "发票已红冲，微信卡包中的这张发票正在作废，请勿用它报销",
  voided: "发票已红冲，微信卡包中的这张发票已作废，不能再报销",
};

/**
 * 加入微信卡包: inside WeChat only, for an invoice whose seller offers it (`wechatCard` present).
 * The button opens WeChat's authorisation page; back from it (or when still 授权中) the page asks
 * once whether the card went in. A reversed invoice's card is voided (作废中 until WeChat confirms,
 * then 已作废) and 加入微信卡包 is not offered.
 */
export function wechatCardView(invoice: IssuedInvoice, api: ScanApi | null, userAgent: string) {
  const card = invoice.wechatCard;
  if (!card || !api || inAppBrowserName(userAgent) !== "微信") return null;
  const badge = h("span", { class: `badge badge--card-${card.status}`, "data-testid": "wechat-card-state" });
  const note = h("p", { class: "wechat-card-note", role: "status", "aria-live": "polite" });
  const button = h(
    "button",
    { type: "button", class: "button button--ghost button--small", "data-testid": "wechat-card-add" },
    "加入微信卡包",
  );
  const show = (status: string, text = "") => {
    badge.textContent = CARD_STATES[status] ?? status;
    badge.className = `badge badge--card-${status}`;
    badge.setAttribute("data-status", status);
    const voidNote = VOID_NOTES[status];
    button.hidden = status === "inserted" || voidNote !== undefined;
    button.textContent =
      status === "failed" ? "重新加入微信卡包" : status === "authorizing" ? "继续授权" : "加入微信卡包";
    note.textContent = voidNote ?? text;
  };
  show(card.status);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const started = await api.wechatCard(invoice.id, "start");
      if (started.authUrl) window.location.href = started.authUrl;
      show(started.status);
    } catch (error) {
      show("failed", (error as ApiError).message || "暂时无法加入微信卡包，请稍后再试");
    } finally {
      button.disabled = false;
    }
  });
  if (card.status === "authorizing")
    void api.wechatCard(invoice.id, "check").then(
      (r) => show(r.status, r.status === "authorizing" ? "请在微信授权页完成授权后返回本页" : ""),
      () => {},
    );
  return h(
    "div",
    { class: "wechat-card", "data-testid": "wechat-card" },
    h("span", { class: "wechat-card-label" }, "微信卡包"),
    badge,
    button,
    note,
  );
}

export function invoiceCard(
  invoice: IssuedInvoice,
  index: number,
  count: number,
  onResend: (d: Delivery) => void,
  api: ScanApi | null = null,
) {
  const inApp = inAppBrowserName(navigator.userAgent) !== null;
  const badge = STATUS_BADGES[invoice.status];
  const row = (label: string, value: Node | string, testId?: string) =>
    h("div", { class: "kv-row" }, h("dt", null, label), h("dd", { "data-testid": testId }, value));
  return h(
    "article",
    { class: "card invoice", "data-testid": "invoice", "aria-label": `发票 ${invoice.number ?? ""}` },
    h(
      "header",
      { class: "invoice-head" },
      h("span", { class: "invoice-type" }, INVOICE_TYPE_LABELS[invoice.invoiceType] ?? invoice.invoiceType),
      invoice.color === "red" ? h("span", { class: "badge badge--red" }, "红字发票") : null,
      badge ? h("span", { class: "badge" }, badge) : null,
      count > 1 ? h("span", { class: "invoice-index num" }, `${index + 1}/${count}`) : null,
    ),
    h(
      "dl",
      { class: "kv" },
      row(
        "发票号码",
        h(
          "span",
          { class: "num invoice-number" },
          invoice.number ?? (invoice.failureMessage ? "未开具" : "开具中"),
        ),
        "invoice-number",
      ),
      row("开票日期", h("span", { class: "num" }, formatChinaDateTime(invoice.issuedAt)), "invoice-date"),
      row("购买方", invoice.buyer.name, "invoice-buyer"),
      invoice.buyer.taxId ? row("税号", h("span", { class: "num" }, invoice.buyer.taxId)) : null,
    ),
    h(
      "dl",
      { class: "totals totals--invoice" },
      h(
        "div",
        { class: "totals-row" },
        h("dt", null, "金额"),
        h("dd", { class: "num" }, formatMoney(invoice.totals.amountExcludingTax)),
      ),
      h(
        "div",
        { class: "totals-row" },
        h("dt", null, "税额"),
        h("dd", { class: "num" }, formatMoney(invoice.totals.taxAmount)),
      ),
      h(
        "div",
        { class: "totals-row totals-grand" },
        h("dt", null, "价税合计"),
        h("dd", { class: "num", "data-testid": "invoice-total" }, formatMoney(invoice.totals.totalAmount)),
      ),
    ),
    invoice.deliveries?.length
      ? deliveriesView(invoice.deliveries, onResend)
      : invoice.email || invoice.mobile
        ? h("p", { class: "invoice-sent" }, `接收：${contactsText(invoice.email, invoice.mobile)}`)
        : null,
    fileLinks(invoice, inApp),
    wechatCardView(invoice, api, navigator.userAgent),
  );
}

/** Sends the invoice(s) again; the re-scan's `ScanApi` and 我的发票's client both fit. */
export function resendCard(api: Pick<ScanApi, "resend">, invoices: IssuedInvoice[], known: string[]) {
  let channel: "email" | "mobile" =
    invoices.some((i) => i.email) || !invoices.some((i) => i.mobile) ? "email" : "mobile";
  const input = h("input", {
    id: "resend-to",
    class: "input",
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": "resend-status",
  });
  const label = h("label", { class: "field-label", for: "resend-to" });
  const status = h("p", {
    class: "resend-status",
    id: "resend-status",
    role: "status",
    "aria-live": "polite",
  });
  const button = h("button", { type: "submit", class: "button button--primary" }, "发送");

  const setChannel = (next: "email" | "mobile") => {
    channel = next;
    label.textContent = next === "email" ? "电子邮箱" : "手机号码";
    input.type = next === "email" ? "email" : "tel";
    input.inputMode = next === "email" ? "email" : "numeric";
    input.placeholder = next === "email" ? "请输入接收邮箱" : "请输入手机号码";
    input.maxLength = next === "email" ? 254 : 20;
    input.value = "";
    setStatus("", "");
  };
  const setStatus = (text: string, tone: "" | "ok" | "error") => {
    status.textContent = text;
    status.className = `resend-status${tone ? ` resend-status--${tone}` : ""}`;
    input.setAttribute("aria-invalid", tone === "error" ? "true" : "false");
  };
  const tab = (value: "email" | "mobile", text: string) => {
    const radio = h("input", { type: "radio", name: "resend-channel", value, class: "segment-input" });
    radio.checked = value === channel;
    radio.addEventListener("change", () => radio.checked && setChannel(value));
    return h("label", { class: "segment" }, radio, h("span", { class: "segment-label" }, text));
  };

  const form = h(
    "form",
    { class: "resend", novalidate: true, "aria-labelledby": "resend-title" },
    h(
      "div",
      { class: "segments", role: "radiogroup", "aria-label": "发送方式" },
      tab("email", "邮箱"),
      tab("mobile", "短信"),
    ),
    h("div", { class: "field" }, label, h("div", { class: "field-control" }, input)),
    status,
    button,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const raw = input.value.trim();
    let body: { email: string } | { mobile: string };
    if (channel === "email") {
      if (!isValidEmail(raw)) return setStatus(raw ? "电子邮箱格式不正确" : "请填写电子邮箱", "error");
      body = { email: raw };
    } else {
      const mobile = normalizeMobile(raw);
      if (!isValidMobile(mobile))
        return setStatus(raw ? "手机号码应为11位中国大陆手机号" : "请填写手机号码", "error");
      body = { mobile };
    }
    button.disabled = true;
    button.textContent = "发送中…";
    try {
      await api.resend(body);
      setStatus(
        `已提交发送至 ${contactsText("email" in body ? body.email : null, "mobile" in body ? body.mobile : null)}，请稍后查收`,
        "ok",
      );
    } catch (error) {
      setStatus(resendErrorText(error as ApiError), "error");
    } finally {
      button.disabled = false;
      button.textContent = "发送";
    }
  });
  setChannel(channel);
  const card = h(
    "section",
    { class: "card", "aria-labelledby": "resend-title", id: "resend" },
    h("h2", { class: "card-title", id: "resend-title" }, "重新发送", h("small", null, "没收到或想发给别人")),
    form,
  );
  /**
   * A failed delivery's resend: its channel, and its address when this phone knows it. A returned
   * e-mail's address is wrong (or its box refuses mail): the consumer types a corrected one.
   */
  const resendTo = (d: Delivery) => {
    const next = d.channel === "sms" ? "mobile" : "email";
    for (const radio of Array.from(form.querySelectorAll<HTMLInputElement>("input[type=radio]")))
      radio.checked = radio.value === next;
    setChannel(next);
    input.value = d.status === "bounced" ? "" : (known.find((a) => matchesMasked(a, d.to)) ?? "");
    card.scrollIntoView({ block: "center" });
    input.focus();
    if (d.status === "bounced") setStatus(`发往 ${d.to} 的邮件被退回，请核对后输入正确的邮箱`, "");
    else if (!input.value) setStatus(`请重新输入接收${next === "email" ? "邮箱" : "手机号码"}后发送`, "");
  };
  return { card, resendTo };
}

export function resultView(
  receipt: Receipt,
  invoices: IssuedInvoice[],
  api: ScanApi,
  options: { justIssued?: boolean; note?: string; known?: string[] } = {},
) {
  const count = invoices.length;
  const resend = resendCard(api, invoices, options.known ?? []);
  const sentTo = invoices.find((i) => i.email || i.mobile);
  const browser = inAppBrowserName(navigator.userAgent);
  return [
    heroView(receipt, { kicker: "电子发票", deadline: false }),
    h(
      "section",
      { class: "banner banner--success", role: "status", "data-testid": "result-banner" },
      icon("check", "banner-icon"),
      h(
        "div",
        null,
        h("h2", { class: "banner-title" }, options.justIssued ? "开票成功" : "该小票已开具发票"),
        h(
          "p",
          null,
          count > 1 ? `本单共开具 ${count} 张发票。` : "",
          sentTo
            ? // Delivery runs after issuing; right after a submit it may still be on its way.
              `发票${options.justIssued ? "将发送至" : "已发送至"} ${contactsText(sentTo.email, sentTo.mobile)}，也可在下方直接下载。`
            : "可在下方下载发票文件。",
        ),
        options.note ? h("p", { class: "banner-note" }, options.note) : null,
      ),
    ),
    invoices.map((invoice, i) => invoiceCard(invoice, i, count, resend.resendTo, api)),
    browser
      ? h(
          "p",
          { class: "hint-inapp" },
          `在${browser}中点「查看 PDF」即可打开发票；如需保存文件，请点右上角「···」选择「在浏览器打开」，或使用“重新发送”发到邮箱。`,
        )
      : null,
    resend.card,
    correctionCard(receipt, invoices, api),
    purchaseView(receipt, { folded: true }),
    myInvoicesLink(),
  ];
}

/** 我的发票: every invoice sent to a number or address, for a consumer without the receipt at hand. */
export function myInvoicesLink() {
  return h(
    "p",
    { class: "my-link" },
    "收据丢了也能找回：",
    h("a", { href: "/my", "data-testid": "my-invoices-link" }, "我的发票"),
    " 用接收发票的手机号或邮箱登录，查看全部发票",
  );
}
