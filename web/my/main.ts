/**
 * 我的发票 (`/my`, issue 22): a consumer logs in with a one-time code sent to the mobile number or
 * e-mail address their invoices went to, and finds every one of them — across merchants — without
 * the receipt. Each invoice opens as the re-scan shows it (web/scan/result-view.ts). Nothing is kept
 * on the phone but the session's HttpOnly cookie, which the page never reads.
 */
import "../scan/style.css";
import "./style.css";
import { isValidEmail, isValidMobile, normalizeMobile } from "../../src/domain/buyer";
import { ApiError } from "../scan/api";
import type { IssuedInvoice } from "../scan/api-types";
import { type Children, h, icon, mount } from "../scan/dom";
import { formatChinaDateTime, formatMoney, INVOICE_TYPE_SHORT } from "../scan/format";
import { invoiceCard, resendCard } from "../scan/result-view";
import { type Contact, type MyList, type MyListItem, type MySession, myApi } from "./api";

const root = document.getElementById("app") as HTMLElement;
const api = myApi();
let session: MySession | null = null;
let filter: { seller?: string; month?: string; page: number } = { page: 1 };
/** Bumped on each view; an answer for an older view is dropped. */
let generation = 0;

const STATUS_LABELS: Record<MyListItem["status"], string> = {
  issued: "已开具",
  reversed: "已红冲",
  partially_reversed: "部分红冲",
  failed: "开具失败",
  issuing: "开具中",
  awaiting_review: "待商家审核",
};

function show(title: string, ...content: Children[]): void {
  document.title = `${title} · 票码`;
  mount(root, ...content);
  window.scrollTo(0, 0);
}

function hero(title: string, ...meta: Children[]) {
  return h(
    "header",
    { class: "hero" },
    h("p", { class: "hero-kicker" }, "票码 · 我的发票"),
    h("h1", { class: "hero-title" }, title),
    meta.length ? h("p", { class: "hero-meta" }, meta) : null,
  );
}

function errorText(error: unknown): string {
  return error instanceof ApiError ? error.fields.code || error.message : "网络连接失败，请检查网络后重试";
}

function isUnauthenticated(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}

// ── Login ──────────────────────────────────────────────────────────────────────────────────────

function loginView(): void {
  generation += 1;
  let channel: "mobile" | "email" = "mobile";
  let sentTo: Contact | null = null;
  let countdown = 0;
  let timer = 0;

  const contactInput = h("input", {
    id: "my-contact",
    class: "input",
    autocomplete: "off",
    spellcheck: "false",
  });
  const contactLabel = h("label", { class: "field-label", for: "my-contact" });
  const codeInput = h("input", {
    id: "my-code",
    class: "input",
    inputmode: "numeric",
    autocomplete: "one-time-code",
    maxlength: 6,
    placeholder: "6 位验证码",
    "data-testid": "my-code",
  });
  const status = h("p", { class: "resend-status", role: "status", "aria-live": "polite" });
  const sendButton = h(
    "button",
    { type: "button", class: "button button--ghost", "data-testid": "send-code" },
    "获取验证码",
  );
  const loginButton = h(
    "button",
    { type: "submit", class: "button button--primary", "data-testid": "login" },
    "登录",
  );
  const codeField = h(
    "div",
    { class: "field my-code-field", hidden: true },
    h("label", { class: "field-label", for: "my-code" }, "验证码"),
    h("div", { class: "field-control" }, codeInput),
  );

  const setStatus = (text: string, tone: "" | "ok" | "error") => {
    status.textContent = text;
    status.className = `resend-status${tone ? ` resend-status--${tone}` : ""}`;
  };
  const setChannel = (next: "mobile" | "email") => {
    channel = next;
    contactLabel.textContent = next === "mobile" ? "手机号码" : "电子邮箱";
    contactInput.type = next === "mobile" ? "tel" : "email";
    contactInput.inputMode = next === "mobile" ? "numeric" : "email";
    contactInput.placeholder = next === "mobile" ? "接收发票的手机号" : "接收发票的邮箱";
    contactInput.value = "";
    setStatus("", "");
  };
  const tab = (value: "mobile" | "email", text: string) => {
    const radio = h("input", { type: "radio", name: "my-channel", value, class: "segment-input" });
    radio.checked = value === channel;
    radio.addEventListener("change", () => radio.checked && setChannel(value));
    return h("label", { class: "segment" }, radio, h("span", { class: "segment-label" }, text));
  };
  const tick = () => {
    countdown -= 1;
    sendButton.disabled = countdown > 0;
    sendButton.textContent = countdown > 0 ? `重新获取（${countdown}s）` : "重新获取";
    if (countdown <= 0) window.clearInterval(timer);
  };

  const readContact = (): Contact | null => {
    const raw = contactInput.value.trim();
    if (channel === "email") {
      if (isValidEmail(raw)) return { email: raw };
      setStatus(raw ? "电子邮箱格式不正确" : "请填写电子邮箱", "error");
      return null;
    }
    const mobile = normalizeMobile(raw);
    if (isValidMobile(mobile)) return { mobile };
    setStatus(raw ? "手机号码应为11位中国大陆手机号" : "请填写手机号码", "error");
    return null;
  };

  sendButton.addEventListener("click", async () => {
    const to = readContact();
    if (!to) return;
    sendButton.disabled = true;
    try {
      const sent = await api.sendCode(to);
      sentTo = to;
      codeField.hidden = false;
      codeInput.value = "";
      codeInput.focus();
      setStatus(`验证码已发送至 ${sent.sentTo}，${Math.round(sent.expiresInSeconds / 60)} 分钟内有效`, "ok");
      countdown = sent.resendAfterSeconds + 1;
      window.clearInterval(timer);
      timer = window.setInterval(tick, 1000);
      tick();
    } catch (error) {
      sendButton.disabled = false;
      setStatus(errorText(error), "error");
    }
  });

  const form = h(
    "form",
    { class: "card my-login", novalidate: true, "aria-label": "登录我的发票" },
    h(
      "div",
      { class: "segments", role: "radiogroup", "aria-label": "登录方式" },
      tab("mobile", "手机号"),
      tab("email", "邮箱"),
    ),
    h(
      "div",
      { class: "field" },
      contactLabel,
      h("div", { class: "field-control my-contact-row" }, contactInput, sendButton),
    ),
    codeField,
    status,
    loginButton,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!sentTo) return setStatus("请先获取验证码", "error");
    const code = codeInput.value.trim();
    if (!/^\d{6}$/.test(code)) return setStatus("请输入 6 位数字验证码", "error");
    loginButton.disabled = true;
    try {
      session = await api.login(sentTo, code);
      window.clearInterval(timer);
      route();
    } catch (error) {
      loginButton.disabled = false;
      setStatus(errorText(error), "error");
    }
  });
  setChannel(channel);
  show(
    "登录我的发票",
    hero("我的发票", "用接收发票的手机号或邮箱登录，查看在各商家开具的全部发票"),
    form,
    h(
      "p",
      { class: "my-note" },
      "只显示开票时填写该手机号或邮箱的发票。登录保持 30 天，本机不保存其他信息。",
    ),
  );
}

// ── The list ───────────────────────────────────────────────────────────────────────────────────

function itemView(item: MyListItem) {
  const red = item.color === "red";
  return h(
    "li",
    { class: `my-item${red ? " my-item--red" : ""}` },
    h(
      "a",
      { href: `#/invoice/${item.id}`, class: "my-item-link", "data-testid": "my-item", "data-id": item.id },
      h(
        "span",
        { class: "my-item-head" },
        h("span", { class: "my-item-seller" }, item.seller.name),
        h(
          "span",
          { class: `badge my-status my-status--${item.status}`, "data-testid": "my-status" },
          STATUS_LABELS[item.status],
        ),
      ),
      h(
        "span",
        { class: "my-item-meta" },
        red ? h("span", { class: "badge badge--red" }, "红字") : null,
        h("span", null, INVOICE_TYPE_SHORT[item.invoiceType]),
        h("span", { class: "num" }, formatChinaDateTime(item.issuedAt, false)),
        h("span", { class: "num my-item-amount" }, formatMoney(item.totalAmount)),
      ),
      item.failureMessage
        ? h("span", { class: "my-item-note", "data-testid": "my-failure" }, item.failureMessage)
        : null,
    ),
  );
}

function monthOptions(): string[] {
  // The last 24 China months, newest first.
  const now = new Date(Date.now() + 8 * 3600_000);
  const out: string[] = [];
  for (let i = 0; i < 24; i++) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    out.push(`${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`);
  }
  return out;
}

function listPage(list: MyList, me: MySession) {
  const seller = h(
    "select",
    { class: "input my-filter", "aria-label": "按商家筛选", "data-testid": "filter-seller" },
    h("option", { value: "" }, "全部商家"),
    list.sellers.map((s) => h("option", { value: s.id }, s.name)),
  );
  seller.value = filter.seller ?? "";
  const month = h(
    "select",
    { class: "input my-filter", "aria-label": "按月份筛选", "data-testid": "filter-month" },
    h("option", { value: "" }, "全部月份"),
    monthOptions().map((m) => h("option", { value: m }, `${m.slice(0, 4)}年${Number(m.slice(5))}月`)),
  );
  month.value = filter.month ?? "";
  const refilter = () => {
    filter = { seller: seller.value || undefined, month: month.value || undefined, page: 1 };
    void loadList();
  };
  seller.addEventListener("change", refilter);
  month.addEventListener("change", refilter);
  const pages = Math.max(1, Math.ceil(list.total / list.pageSize));
  const go = (page: number) => () => {
    filter = { ...filter, page };
    void loadList();
  };
  const logout = h("button", { type: "button", class: "link-button", "data-testid": "logout" }, "退出登录");
  logout.addEventListener("click", async () => {
    await api.logout();
    session = null;
    filter = { page: 1 };
    loginView();
  });
  return [
    hero("我的发票", h("span", { "data-testid": "my-contact" }, `已登录 ${me.contact}`), logout),
    h("div", { class: "my-filters" }, seller, month),
    list.items.length
      ? h("ul", { class: "card my-list", "data-testid": "my-list" }, list.items.map(itemView))
      : h(
          "p",
          { class: "card my-empty", "data-testid": "my-empty" },
          filter.seller || filter.month
            ? "没有符合条件的发票"
            : "暂无发票：这里只显示开票时填写该手机号或邮箱的发票",
        ),
    pages > 1
      ? h(
          "nav",
          { class: "my-pager", "aria-label": "翻页" },
          h(
            "button",
            {
              type: "button",
              class: "button button--ghost button--small",
              disabled: list.page <= 1,
              onclick: go(list.page - 1),
            },
            "上一页",
          ),
          h("span", { class: "num" }, `${list.page} / ${pages}`),
          h(
            "button",
            {
              type: "button",
              class: "button button--ghost button--small",
              disabled: list.page >= pages,
              onclick: go(list.page + 1),
            },
            "下一页",
          ),
        )
      : null,
  ];
}

async function loadList(): Promise<void> {
  const mine = ++generation;
  try {
    const me = session ?? (await api.session());
    session = me;
    const list = await api.list(filter);
    if (mine !== generation) return;
    show("我的发票", ...listPage(list, me));
  } catch (error) {
    if (mine !== generation) return;
    if (isUnauthenticated(error)) return loginView();
    showError(error, () => void loadList());
  }
}

// ── One invoice ────────────────────────────────────────────────────────────────────────────────

/**
 * Where an invoice without a number stands, as the re-scan page says it: 开具失败 with the plain
 * reason, 待商家审核 (审核开票), or 开具中. Nothing for issued invoices.
 */
function stateBanner(invoices: IssuedInvoice[], seller: string) {
  const failed = invoices.find((i) => i.status === "failed" || i.status === "review_refused");
  if (failed) {
    return h(
      "section",
      { class: "banner banner--error my-banner", role: "alert", "data-testid": "my-state-failed" },
      icon("alert", "banner-icon"),
      h(
        "div",
        null,
        h("h2", { class: "banner-title" }, "开具失败"),
        h("p", null, `本次开票没有成功，未产生发票。您填写的开票信息已保存，请联系${seller}处理。`),
        failed.failureMessage
          ? h("p", { class: "banner-note", "data-testid": "failure-message" }, failed.failureMessage)
          : null,
      ),
    );
  }
  const waiting = invoices.find((i) => !i.number);
  if (!waiting) return null;
  const review = waiting.status === "awaiting_review";
  return h(
    "section",
    {
      class: "banner banner--waiting my-banner",
      role: "status",
      "data-testid": review ? "my-state-review" : "my-state-issuing",
    },
    icon("clock", "banner-icon"),
    h(
      "div",
      null,
      h("h2", { class: "banner-title" }, review ? "待商家审核" : "开具中"),
      h(
        "p",
        null,
        review
          ? `您的开票申请已提交，需${seller}审核后开具，审核结果和发票将发送至您填写的手机号或邮箱。`
          : "发票正在开具，开具后将发送至您填写的手机号或邮箱，也可在这里查看。",
      ),
    ),
  );
}

async function loadInvoice(id: string): Promise<void> {
  const mine = ++generation;
  try {
    const detail = await api.invoice(id);
    if (mine !== generation) return;
    const resend = resendCard({ resend: (to) => api.resend(id, to) }, detail.invoices, []);
    show(
      "电子发票",
      h("a", { href: "#/", class: "my-back", "data-testid": "back" }, "‹ 我的发票"),
      h(
        "header",
        { class: "hero" },
        h("p", { class: "hero-kicker" }, "电子发票"),
        h("h1", { class: "hero-title", "data-testid": "seller-name" }, detail.seller.name),
        detail.seller.phone ? h("p", { class: "hero-meta" }, `商家电话 ${detail.seller.phone}`) : null,
      ),
      stateBanner(detail.invoices, detail.seller.name),
      detail.invoices.map((invoice, i) => invoiceCard(invoice, i, detail.invoices.length, resend.resendTo)),
      // Nothing to send again before an invoice of the group has a number.
      detail.invoices.some((i) => i.number) ? resend.card : null,
      detail.pageUrl
        ? h(
            "p",
            { class: "my-page-link" },
            h(
              "a",
              { href: detail.pageUrl, class: "button button--ghost", "data-testid": "receipt-page" },
              "申请重开、加入微信卡包：打开开票页面",
            ),
          )
        : null,
    );
  } catch (error) {
    if (mine !== generation) return;
    if (isUnauthenticated(error)) return loginView();
    showError(error, () => void loadInvoice(id));
  }
}

function showError(error: unknown, retry: () => void): void {
  const retryButton = h("button", { type: "button", class: "button button--primary" }, "重试");
  retryButton.addEventListener("click", retry);
  show(
    "出错了",
    hero("我的发票"),
    h(
      "section",
      { class: "card" },
      h("p", { class: "notice notice--error", role: "alert" }, errorText(error)),
      h("p", null, h("a", { href: "#/" }, "返回列表")),
      retryButton,
    ),
  );
}

function route(): void {
  const match = /^#\/invoice\/([A-Za-z0-9_-]{1,64})$/.exec(location.hash);
  if (match?.[1]) void loadInvoice(match[1]);
  else void loadList();
}

window.addEventListener("hashchange", route);
route();
