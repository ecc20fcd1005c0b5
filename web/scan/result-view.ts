/**
 * The issued invoice(s): number, date, buyer, amounts, where they were sent, the two downloads and
 * a resend form. Shown right after issuing and on every later scan of the same code.
 */
import { isValidEmail, isValidMobile, normalizeMobile } from "../../src/domain/buyer";
import type { ApiError, IssuedInvoice, Receipt, ScanApi } from "./api";
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
  issuing: "开具中",
  failed: "开具失败",
};

function invoiceCard(invoice: IssuedInvoice, index: number, count: number) {
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
        h("span", { class: "num invoice-number" }, invoice.number ?? "开具中"),
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
    invoice.email || invoice.mobile
      ? h("p", { class: "invoice-sent" }, `接收：${contactsText(invoice.email, invoice.mobile)}`)
      : null,
    invoice.number && invoice.pdfUrl && invoice.xmlUrl
      ? h(
          "div",
          { class: "actions" },
          h(
            "a",
            {
              class: "button button--primary",
              href: invoice.pdfUrl,
              download: invoiceFileName(invoice.number, invoice.id, "pdf"),
              "data-testid": "download-pdf",
            },
            icon("file"),
            "下载 PDF",
          ),
          h(
            "a",
            {
              class: "button button--ghost",
              href: invoice.xmlUrl,
              download: invoiceFileName(invoice.number, invoice.id, "xml"),
              "data-testid": "download-xml",
            },
            "下载 XML",
          ),
        )
      : null,
  );
}

function resendCard(api: ScanApi, invoices: IssuedInvoice[]) {
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
  return h(
    "section",
    { class: "card", "aria-labelledby": "resend-title" },
    h("h2", { class: "card-title", id: "resend-title" }, "重新发送", h("small", null, "没收到或想发给别人")),
    form,
  );
}

export function resultView(
  receipt: Receipt,
  invoices: IssuedInvoice[],
  api: ScanApi,
  options: { justIssued?: boolean; note?: string } = {},
) {
  const count = invoices.length;
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
    invoices.map((invoice, i) => invoiceCard(invoice, i, count)),
    browser
      ? h(
          "p",
          { class: "hint-inapp" },
          `在${browser}中如无法下载，请点右上角「···」选择「在浏览器打开」，或使用“重新发送”发到邮箱。`,
        )
      : null,
    resendCard(api, invoices),
    purchaseView(receipt, { folded: true }),
  ];
}
