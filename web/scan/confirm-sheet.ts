/**
 * The last look before issuing: what the invoice will say (type, title, tax ID), where it goes and
 * for how much, in a sheet over the form — one tap to issue, one to go back and change. An invoice
 * with a wrong title costs a 红冲, so this is worth the tap.
 */
import type { Receipt } from "./api";
import { h } from "./dom";
import type { FormState } from "./form";
import { toSubmitBody } from "./form";
import { BUYER_TYPE_LABELS, formatMoney, INVOICE_TYPE_LABELS } from "./format";

/** The rows of the sheet, as label and value (pure, for the unit test). */
export function confirmRows(
  receipt: Pick<Receipt, "totals" | "limit">,
  state: FormState,
): [string, string][] {
  const body = toSubmitBody(state);
  const rows: [string, string][] = [
    ["发票类型", INVOICE_TYPE_LABELS[state.invoiceType]],
    ["抬头", `${body.buyer.name}（${BUYER_TYPE_LABELS[state.buyerType]}）`],
    ["税号", body.buyer.taxId || "未填写"],
  ];
  if (body.email) rows.push(["电子邮箱", body.email]);
  if (body.mobile) rows.push(["手机号码", body.mobile]);
  // A 门店码 has no purchase yet (no limit, no total): the order the merchant matches decides both.
  if (receipt.limit)
    rows.push(
      ["价税合计", formatMoney(receipt.totals.totalAmount)],
      ["发票张数", `${Math.max(1, receipt.limit.invoiceCount)} 张`],
    );
  return rows;
}

/** Opens the sheet; resolves true on 确认开票, false on 返回修改 (or Escape, or a tap outside). */
export function confirmSheet(receipt: Pick<Receipt, "totals" | "limit">, state: FormState): Promise<boolean> {
  return new Promise((resolve) => {
    const previous = document.activeElement as HTMLElement | null;
    const yes = h(
      "button",
      { type: "button", class: "button button--primary", "data-testid": "confirm-sheet-yes" },
      "确认开票",
    );
    const edit = h(
      "button",
      { type: "button", class: "button button--ghost", "data-testid": "confirm-sheet-edit" },
      "返回修改",
    );
    const sheet = h(
      "div",
      {
        class: "sheet",
        role: "dialog",
        "aria-modal": "true",
        "aria-labelledby": "sheet-title",
        "data-testid": "confirm-sheet",
      },
      h("h2", { class: "sheet-title", id: "sheet-title" }, "请确认开票信息"),
      h(
        "dl",
        { class: "sheet-rows" },
        confirmRows(receipt, state).map(([label, value]) =>
          h("div", { class: "sheet-row" }, h("dt", null, label), h("dd", null, value)),
        ),
      ),
      h("p", { class: "sheet-note" }, "发票开具后不能修改抬头，请核对无误后确认。"),
      h("div", { class: "sheet-actions" }, edit, yes),
    );
    const backdrop = h("div", { class: "sheet-backdrop" }, sheet);
    const close = (confirmed: boolean) => {
      document.removeEventListener("keydown", onKey);
      backdrop.remove();
      document.body.classList.remove("has-sheet");
      if (!confirmed) previous?.focus();
      resolve(confirmed);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") close(false);
      // Keep the focus inside the sheet.
      if (e.key === "Tab") {
        e.preventDefault();
        (document.activeElement === yes ? edit : yes).focus();
      }
    };
    yes.addEventListener("click", () => close(true));
    edit.addEventListener("click", () => close(false));
    backdrop.addEventListener("click", (e) => e.target === backdrop && close(false));
    document.addEventListener("keydown", onKey);
    document.body.appendChild(backdrop);
    document.body.classList.add("has-sheet");
    yes.focus();
  });
}
