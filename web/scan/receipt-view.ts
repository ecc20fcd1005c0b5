/**
 * The top of the page: who sold, and what was bought — lines, totals, the receipt's footer and,
 * above the limit, what that means for the invoice.
 */
import type { Receipt, ReceiptLine } from "./api";
import { h, icon } from "./dom";
import { limitNotice } from "./form";
import { formatChinaDateTime, formatMoney, lineDetail } from "./format";

/** Long receipts show their first lines and fold the rest, so the form stays within reach. */
const LINES_SHOWN = 6;

/** The seller on the brand colour; the deadline only while the receipt can still be invoiced. */
export function heroView(
  receipt: Pick<Receipt, "seller" | "serialNo" | "expiresAt">,
  options: { kicker?: string; deadline?: boolean; compact?: boolean } = {},
) {
  const { kicker = "扫码开具电子发票", deadline = true, compact = false } = options;
  return h(
    "header",
    { class: compact ? "hero hero--compact" : "hero" },
    compact ? null : h("p", { class: "hero-kicker" }, kicker),
    h("h1", { class: "hero-title", "data-testid": "seller-name" }, receipt.seller.name),
    h(
      "p",
      { class: "hero-meta" },
      receipt.serialNo ? h("span", null, `小票号 ${receipt.serialNo}`) : null,
      deadline && receipt.expiresAt
        ? h("span", null, `开票截止 ${formatChinaDateTime(receipt.expiresAt, false)}`)
        : null,
    ),
  );
}

export function lineItem(line: ReceiptLine) {
  const detail = lineDetail(line);
  if (line.kind === "discount") {
    return h(
      "li",
      { class: "line line--discount" },
      h(
        "div",
        { class: "line-row" },
        h("span", { class: "line-name" }, h("span", { class: "tag tag--discount" }, "折扣"), line.name),
        h("span", { class: "num line-amount" }, formatMoney(line.amount)),
      ),
    );
  }
  return h(
    "li",
    { class: line.kind === "discounted" ? "line line--discounted" : "line" },
    h(
      "div",
      { class: "line-row" },
      h("span", { class: "line-name" }, line.name || line.itemName),
      h("span", { class: "num line-amount" }, formatMoney(line.amount)),
    ),
    detail || line.taxRateLabel
      ? h(
          "div",
          { class: "line-row line-sub" },
          h("span", { class: "num" }, detail),
          line.taxRateLabel ? h("span", { class: "line-rate" }, `税率 ${line.taxRateLabel}`) : null,
        )
      : null,
  );
}

export function limitNoticeView(receipt: Pick<Receipt, "limit" | "totals" | "seller">) {
  const notice = limitNotice(receipt);
  if (!notice) return null;
  if (notice.kind === "split") {
    return h(
      "div",
      { class: "notice notice--info", "data-testid": "limit-notice" },
      icon("file"),
      h(
        "p",
        null,
        `本单价税合计超过单张发票限额 ${formatMoney(notice.limit)}，`,
        h("strong", null, `将拆分开具 ${notice.count} 张发票`),
        "，购买方信息相同。",
      ),
    );
  }
  return h(
    "div",
    { class: "notice notice--error", role: "alert", "data-testid": "limit-notice" },
    icon("alert"),
    h(
      "p",
      null,
      `本单价税合计 ${formatMoney(notice.total)} 超过单张发票限额 ${formatMoney(notice.limit)}，`,
      h("strong", null, "无法在线开具"),
      `，请联系${receipt.seller.name}处理。`,
    ),
  );
}

export function totalsView(totals: Receipt["totals"], cls = "totals") {
  return h(
    "dl",
    { class: cls },
    h(
      "div",
      { class: "totals-row" },
      h("dt", null, "金额（不含税）"),
      h("dd", { class: "num" }, formatMoney(totals.amountExcludingTax)),
    ),
    h(
      "div",
      { class: "totals-row" },
      h("dt", null, "税额"),
      h("dd", { class: "num" }, formatMoney(totals.taxAmount)),
    ),
    h(
      "div",
      { class: "totals-row totals-grand" },
      h("dt", null, "价税合计"),
      h("dd", { class: "num", "data-testid": "total-amount" }, formatMoney(totals.totalAmount)),
    ),
  );
}

export function purchaseView(receipt: Receipt, options: { folded?: boolean } = {}) {
  const shown = receipt.lines.slice(0, LINES_SHOWN);
  const rest = receipt.lines.slice(LINES_SHOWN);
  const restList = rest.length ? h("ul", { class: "lines", hidden: true }, rest.map(lineItem)) : null;
  const more = restList
    ? h(
        "button",
        {
          type: "button",
          class: "link-button",
          "aria-expanded": "false",
          onclick: (event: Event) => {
            const button = event.currentTarget as HTMLButtonElement;
            restList.hidden = false;
            button.remove();
          },
        },
        `展开其余 ${rest.length} 项`,
      )
    : null;
  const body = [
    h("ul", { class: "lines" }, shown.map(lineItem)),
    restList,
    more,
    totalsView(receipt.totals),
    receipt.receiptFooter ? h("p", { class: "receipt-footer" }, receipt.receiptFooter) : null,
  ];
  if (options.folded) {
    return h(
      "details",
      { class: "card card--fold" },
      h(
        "summary",
        { class: "card-title card-summary" },
        icon("receipt"),
        "消费明细",
        h("span", { class: "summary-aside num" }, formatMoney(receipt.totals.totalAmount)),
      ),
      body,
    );
  }
  return h(
    "section",
    { class: "card", "aria-labelledby": "purchase-title" },
    h("h2", { class: "card-title", id: "purchase-title" }, icon("receipt"), "消费明细"),
    body,
    limitNoticeView(receipt),
  );
}
