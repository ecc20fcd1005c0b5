/**
 * Whole-page states that are not the form nor the invoices: loading, an error page per receipt-code
 * problem, issuing in progress, queued (the channel is slow or down) and failed.
 */
import type { Receipt } from "./api";
import { h, icon } from "./dom";
import { contactsText } from "./format";
import type { Merchant, StatusPage } from "./messages";
import { heroView, purchaseView } from "./receipt-view";
import { myInvoicesLink } from "./result-view";

/** Same outline as the real page, so its arrival does not shift anything. */
export function loadingView() {
  return h(
    "div",
    { class: "skeleton", role: "status", "aria-busy": "true", "aria-label": "正在加载小票信息" },
    h(
      "div",
      { class: "hero hero--skeleton" },
      h("span", { class: "bone bone--title" }),
      h("span", { class: "bone" }),
    ),
    h(
      "div",
      { class: "card" },
      h("span", { class: "bone" }),
      h("span", { class: "bone bone--short" }),
      h("span", { class: "bone" }),
    ),
  );
}

/** Who the merchant is and a button that calls it: what "联系商家" means, in one tap. */
export function merchantView(merchant: Merchant | undefined) {
  if (!merchant) return null;
  const dial = merchant.phone.replace(/[^0-9+]/g, "");
  return h(
    "div",
    { class: "merchant", "data-testid": "merchant-contact" },
    h("p", { class: "merchant-name" }, "商家：", h("strong", null, merchant.name)),
    dial
      ? h(
          "a",
          { class: "button button--ghost button--block merchant-call", href: `tel:${dial}` },
          `致电商家 ${merchant.phone}`,
        )
      : null,
  );
}

export function statusPageView(page: StatusPage, onRetry?: () => void) {
  return h(
    "section",
    { class: `status-page status-page--${page.kind}`, "data-testid": `status-${page.kind}`, role: "alert" },
    icon(page.icon, "status-icon"),
    h("h1", { class: "status-title" }, page.title),
    page.body.map((text) => h("p", { class: "status-text" }, text)),
    merchantView(page.merchant),
    page.canRetry && onRetry
      ? h(
          "button",
          { type: "button", class: "button button--primary status-action", onclick: onRetry },
          "重试",
        )
      : null,
    h("p", { class: "status-foot" }, "票码 · 扫码开票"),
  );
}

export function issuingView(receipt: Receipt, contacts: { email: string | null; mobile: string | null }) {
  const to = contactsText(contacts.email, contacts.mobile);
  return [
    heroView(receipt, { kicker: "电子发票", deadline: false }),
    h(
      "section",
      { class: "progress-card card", role: "status", "aria-live": "polite", "data-testid": "issuing" },
      h("span", { class: "spinner", "aria-hidden": "true" }),
      h("h2", { class: "progress-title" }, "正在开具…"),
      h("p", { class: "progress-text" }, "正在向税务系统开具发票，通常只需几秒钟。"),
      h(
        "p",
        { class: "progress-text", "data-testid": "may-leave" },
        to
          ? `您可以离开本页：发票开具后会自动发送至 ${to}，再次扫描小票二维码也可查看。`
          : "您可以离开本页：发票开具后再次扫描小票二维码即可查看和下载。",
      ),
    ),
    purchaseView(receipt, { folded: true }),
    // 我的发票 lists this submission too, with its state (the notice SMS links this page).
    myInvoicesLink(),
  ];
}

/** Some of the code's invoices wait for the merchant's review (审核开票). */
export const awaitsReview = (invoices: ReadonlyArray<{ status: string }> | undefined) =>
  Boolean(invoices?.some((i) => i.status === "awaiting_review"));

/** A stored submission still waiting (for the merchant's review, or in the channel's queue): the same page. */
function waitingView(
  receipt: Receipt,
  onRefresh: () => void,
  words: { testId: string; title: string; lines: string[]; note: string; refresh: string },
) {
  return [
    heroView(receipt, { kicker: "电子发票", deadline: false }),
    h(
      "section",
      { class: "banner banner--waiting", role: "status", "data-testid": words.testId },
      icon("clock", "banner-icon"),
      h(
        "div",
        null,
        h("h2", { class: "banner-title" }, words.title),
        h("p", null, ...words.lines),
        h("p", { class: "banner-note" }, words.note),
      ),
    ),
    h(
      "div",
      { class: "page-actions" },
      h(
        "button",
        { type: "button", class: "button button--ghost button--block", onclick: onRefresh },
        words.refresh,
      ),
    ),
    purchaseView(receipt, { folded: true }),
    // 我的发票 lists this submission too, with its state (the notice SMS links this page).
    myInvoicesLink(),
  ];
}

/** 待商家审核: the submission is stored; the merchant approves (then it is issued and sent) or declines. */
export function reviewView(
  receipt: Receipt,
  contacts: { email: string | null; mobile: string | null },
  onRefresh: () => void,
) {
  const to = contactsText(contacts.email, contacts.mobile);
  return waitingView(receipt, onRefresh, {
    testId: "awaiting-review",
    title: "待商家审核",
    lines: [
      `您的开票申请已提交，需${receipt.seller.name}审核后开具，无需重新填写。`,
      to ? `审核结果和发票将发送至 ${to}。` : "审核后再次扫描小票二维码即可查看。",
    ],
    note: "您可以关闭本页，稍后再次扫描小票二维码查看结果。",
    refresh: "刷新审核状态",
  });
}

export function queuedView(
  receipt: Receipt,
  contacts: { email: string | null; mobile: string | null },
  onRefresh: () => void,
) {
  const to = contactsText(contacts.email, contacts.mobile);
  return waitingView(receipt, onRefresh, {
    testId: "queued",
    title: "开票申请已提交，正在排队开具",
    lines: [
      "税务开票通道暂时繁忙，您的开票信息已保存，无需重新填写。",
      to ? `发票开具后将发送至 ${to}。` : "发票开具后可再次扫码查看。",
    ],
    note: "您可以关闭本页，稍后再次扫描小票二维码查看和下载发票。",
    refresh: "刷新开票状态",
  });
}

/**
 * Issuing failed for good (the channel refused). The buyer is stored with the code and cannot be
 * submitted again from here; the merchant resolves it, so the page says so and offers a refresh.
 */
export function failedView(receipt: Receipt, onRefresh: () => void) {
  // The channel's plain sentence for the consumer (its own code and words are the merchant's).
  // (Or the merchant's reason for declining it, 审核开票.)
  const reason = receipt.invoices?.find(
    (i) => (i.status === "failed" || i.status === "review_refused") && i.failureMessage,
  )?.failureMessage;
  return [
    heroView(receipt, { kicker: "电子发票", deadline: false }),
    h(
      "section",
      { class: "banner banner--error", role: "alert", "data-testid": "failed" },
      icon("alert", "banner-icon"),
      h(
        "div",
        null,
        h("h2", { class: "banner-title" }, "发票未能开具"),
        h(
          "p",
          null,
          `很抱歉，本次开票没有成功，未产生发票。您填写的开票信息已保存，请联系${receipt.seller.name}处理。`,
        ),
        reason ? h("p", { class: "banner-note", "data-testid": "failure-message" }, reason) : null,
        h("p", { class: "banner-note" }, "商家处理后，再次扫描小票二维码即可查看和下载发票。"),
      ),
    ),
    merchantView(receipt.seller),
    h(
      "div",
      { class: "page-actions" },
      h(
        "button",
        { type: "button", class: "button button--ghost button--block", onclick: onRefresh },
        "刷新开票状态",
      ),
    ),
    purchaseView(receipt, { folded: true }),
    // 我的发票 lists this submission too, with its state (the notice SMS links this page).
    myInvoicesLink(),
  ];
}
