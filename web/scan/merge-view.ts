/**
 * 合并开票 on the form page: the consumer adds other receipts of the same merchant by their 开票码
 * (printed under each QR), a pasted link to their page, or 扫一扫 of their QR (merge-qr.ts, loaded
 * on tap; it gives the link, added as if pasted); the server checks each and adds them up,
 * and this card shows the receipts, all their lines and the total. The submit then carries the
 * added receipts' codes (`mergeCodes`), and one invoice (or a split) covers them all.
 */
import { ApiError, type MergeResult, type Receipt, type ScanApi } from "./api";
import { type Children, h, mount } from "./dom";
import { formatMoney } from "./format";
import { lineItem, totalsView } from "./receipt-view";

export interface MergeCard {
  element: HTMLElement;
  /** The added receipts' 开票码, for the submit; empty when none was added. */
  codes(): string[];
}

export function createMergeCard(
  receipt: Receipt,
  api: Pick<ScanApi, "merge">,
  /** Told the receipts together after each change (null: this receipt alone again). */
  onChange: (merged: MergeResult | null) => void = () => {},
): MergeCard {
  let merged: MergeResult | null = null;
  let open = false;
  let busy = false;
  /** The 扫一扫 sheet is loading or open. */
  let scanning = false;
  let error = "";
  /** The typing field gets the focus at the next render (the consumer chose to type instead of scan). */
  let focusInput = false;
  const element = h("section", { class: "card merge-card", "data-testid": "merge-card" });
  const codes = () => merged?.receipts.map((r) => r.shortCode) ?? [];

  async function ask(next: string[]) {
    busy = true;
    error = "";
    render();
    try {
      merged = next.length ? await api.merge(next) : null;
      onChange(merged);
    } catch (e) {
      error =
        e instanceof ApiError ? (e.code === "NETWORK" ? "网络异常，请重试" : e.message) : "添加失败，请重试";
    }
    busy = false;
    render();
  }

  /** 扫一扫: the decoder and its sheet load now; a receipt's link read is added as if pasted. */
  async function scan() {
    scanning = true;
    error = "";
    render();
    let read: string | "type" | null;
    try {
      read = await import("./merge-qr").then((m) => m.scanReceiptQr());
    } catch {
      scanning = false;
      error = "扫码功能加载失败，请检查网络后重试，或输入开票码";
      render();
      return;
    }
    scanning = false;
    if (typeof read === "string" && read !== "type") return ask([...codes(), read]);
    focusInput = read === "type";
    render();
  }

  function render() {
    const input = h("input", {
      class: "input",
      type: "text",
      autocomplete: "off",
      autocapitalize: "characters",
      placeholder: "6 位开票码，或粘贴小票链接",
      "aria-label": "其他小票的开票码或链接",
      "data-testid": "merge-input",
    });
    const add = (event: Event) => {
      event.preventDefault();
      const typed = input.value.trim();
      if (!typed) {
        error = "请输入开票码或粘贴小票链接";
        render();
        return;
      }
      void ask([...codes(), typed]);
    };
    const content: Children[] = [
      h("h2", { class: "card-title" }, "合并开票"),
      h(
        "p",
        { class: "merge-hint" },
        `同一商家的多张小票可合并开成一张发票（最多 ${receipt.merge.maxReceipts} 张，含本张）。`,
      ),
    ];
    if (!open && !merged) {
      content.push(
        h(
          "button",
          {
            type: "button",
            class: "button button--ghost button--block",
            "data-testid": "merge-open",
            onclick: () => {
              open = true;
              render();
            },
          },
          "添加其他小票",
        ),
      );
      mount(element, content);
      return;
    }
    if (merged) content.push(mergedView(merged, receipt, (code) => ask(codes().filter((c) => c !== code))));
    if (1 + codes().length < receipt.merge.maxReceipts) {
      content.push(
        h(
          "form",
          { class: "merge-add", onsubmit: add },
          h("div", { class: "field field--stacked" }, input),
          h(
            "button",
            { type: "submit", class: "button button--primary", disabled: busy, "data-testid": "merge-add" },
            busy ? "正在添加…" : "添加",
          ),
        ),
        h(
          "button",
          {
            type: "button",
            class: "button button--ghost button--block merge-scan",
            disabled: busy || scanning,
            "data-testid": "merge-scan",
            onclick: () => void scan(),
          },
          "扫一扫其他小票的二维码",
        ),
      );
    }
    if (error)
      content.push(
        h("p", { class: "notice notice--error", role: "alert", "data-testid": "merge-error" }, error),
      );
    mount(element, content);
    if (focusInput) {
      focusInput = false;
      input.focus();
    }
  }

  render();
  return { element, codes };
}

function mergedView(merged: MergeResult, receipt: Receipt, remove: (code: string) => void) {
  const count = merged.receipts.length + 1;
  return h(
    "div",
    { class: "merge-result", "data-testid": "merge-result" },
    h(
      "ul",
      { class: "merge-receipts" },
      h(
        "li",
        null,
        h("span", null, `本张小票 ${receipt.serialNo}`),
        h("span", { class: "num" }, formatMoney(receipt.totals.totalAmount)),
      ),
      merged.receipts.map((r) =>
        h(
          "li",
          { "data-testid": "merge-receipt" },
          h("span", null, `小票 ${r.serialNo}`),
          h("span", { class: "num" }, formatMoney(r.totals.totalAmount)),
          h("button", { type: "button", class: "link-button", onclick: () => remove(r.shortCode) }, "移除"),
        ),
      ),
    ),
    h("h3", { class: "merge-subtitle" }, `合并后明细（共 ${count} 张小票）`),
    h("ul", { class: "lines" }, merged.lines.map(lineItem)),
    h("div", { "data-testid": "merge-total" }, totalsView(merged.totals)),
    merged.limit.invoiceCount > 1
      ? h(
          "p",
          { class: "notice notice--info" },
          `合计超过单张发票限额，将拆分开具 ${merged.limit.invoiceCount} 张发票。`,
        )
      : merged.limit.invoiceCount === 0
        ? h("p", { class: "notice notice--error" }, "合计超过单张发票限额，无法合并开具，请移除部分小票。")
        : null,
  );
}
