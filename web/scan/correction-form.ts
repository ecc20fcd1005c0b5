/**
 * The form of 申请重开 (correction-view.ts), fetched when the consumer opens it: most people never
 * do, so its code stays out of the page's first load. The buyer's fields are the submit form's
 * (form-view.ts's TEXT_SPECS for labels and bounds, form.ts for the choices offered, the rules
 * engine and the request body), checked here first and again on the server.
 *
 * Which invoices: all of the purchase, not one picked. A purchase over the limit is split into
 * several invoices (拆票) but stays one sale to one buyer; correcting the title of one of them would
 * leave the same purchase invoiced to two buyers, which neither the merchant's books nor the tax
 * bureau's matching of a sale to its buyer can take. So the form lists every invoice the request
 * will reverse and issue again (number and amount) and sends that list; the server re-issues all of
 * them on approval and refuses the request if the purchase changed since the page was loaded
 * (corrections.service.ts). A receipt added to another's submit (合并开票) shows that submit's
 * invoices, and asks about those.
 */
import type { ApiError, BuyerType, Correction, InvoiceType, IssuedInvoice, Receipt, ScanApi } from "./api";
import { h } from "./dom";
import {
  BUYER_TYPE_ORDER,
  errorsFromServer,
  type FieldErrors,
  type FormState,
  invoiceTypesFor,
  isBuyerTypeOffered,
  TEXT_SPECS,
  toSubmitBody,
  validateForm,
} from "./form";

import { BUYER_TYPE_LABELS, formatMoney, INVOICE_TYPE_LABELS } from "./format";

const REASONS: Array<[string, string]> = [
  ["title", "抬头错误"],
  ["tax_id", "税号错误"],
  ["invoice_type", "票种错误"],
  ["other", "其他"],
];

/** The buyer's fields of the submit form this form has (contacts stay the invoice's). */
const BUYER_FIELDS = ["name", "taxId", "address", "phone", "bankName", "bankAccount"] as const;
type BuyerField = (typeof BUYER_FIELDS)[number];
const MORE_FIELDS: readonly BuyerField[] = ["address", "phone", "bankName", "bankAccount"];
/** taxId → tax-id: the fields' ids and test ids. */
const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function correctionForm(
  receipt: Receipt,
  correctable: IssuedInvoice[],
  api: ScanApi,
  setStatus: (text: string, tone: "" | "ok" | "error") => void,
  onSent: (done: Correction) => void,
): { form: HTMLFormElement; focus: () => void } {
  const current = correctable[0];

  const select = (id: string) => h("select", { class: "input", id, "data-testid": id });
  const reason = select("correction-reason");
  for (const [value, label] of REASONS) reason.append(h("option", { value }, label));
  const buyerType = select("correction-buyer-type");
  for (const t of BUYER_TYPE_ORDER) {
    if (isBuyerTypeOffered(receipt.invoiceTypes, t))
      buyerType.append(h("option", { value: t }, BUYER_TYPE_LABELS[t]));
  }
  const invoiceType = select("correction-invoice-type");
  // 个人 cannot take a 专票: the types follow the buyer type, as on the submit form.
  const fillInvoiceTypes = () => {
    const chosen = invoiceType.value;
    const types = invoiceTypesFor(receipt.invoiceTypes, buyerType.value as BuyerType);
    invoiceType.replaceChildren(...types.map((t) => h("option", { value: t }, INVOICE_TYPE_LABELS[t] ?? t)));
    if (types.includes(chosen as InvoiceType)) invoiceType.value = chosen;
  };
  if (current && isBuyerTypeOffered(receipt.invoiceTypes, current.buyer.type))
    buyerType.value = current.buyer.type;
  fillInvoiceTypes();
  if (current) invoiceType.value = current.invoiceType;
  buyerType.addEventListener("change", fillInvoiceTypes);

  const inputs = {} as Record<BuyerField, HTMLInputElement>;
  const errors = new Map<BuyerField | "invoiceType" | "buyerType", HTMLElement>();
  const errorNode = (key: BuyerField | "invoiceType" | "buyerType") => {
    const node = h("p", { class: "field-error", id: `correction-err-${kebab(key)}`, hidden: true });
    errors.set(key, node);
    return node;
  };
  const field = (label: string, id: string, control: HTMLElement, error?: HTMLElement) =>
    h(
      "div",
      { class: "field" },
      h("label", { class: "field-label", for: id }, label),
      h("div", { class: "field-control" }, control),
      error ?? null,
    );
  const textField = (key: BuyerField) => {
    const spec = TEXT_SPECS[key];
    const id = `correction-${kebab(key)}`;
    const input = h("input", {
      id,
      class: "input",
      type: spec.type ?? "text",
      inputmode: spec.inputmode,
      autocomplete: spec.autocomplete,
      autocapitalize: spec.autocapitalize ?? "off",
      spellcheck: "false",
      maxlength: spec.maxlength,
      placeholder: key === "name" ? "正确的发票抬头" : spec.placeholder,
      "data-testid": id,
      "aria-describedby": `correction-err-${kebab(key)}`,
    });
    inputs[key] = input;
    return field(spec.label, id, input, errorNode(key));
  };
  const note = h("input", {
    class: "input",
    id: "correction-note",
    maxlength: 200,
    placeholder: "选填，如：少写了“有限”二字",
    "data-testid": "correction-note",
  });

  /** The invoices the request reverses and issues again: all of the purchase (see above). */
  const list = correctable.length
    ? h(
        "div",
        { class: "field field--stacked", "data-testid": "correction-invoices" },
        h(
          "span",
          { class: "field-label" },
          correctable.length > 1 ? `将重开的发票（共 ${correctable.length} 张）` : "将重开的发票",
        ),
        h(
          "ul",
          { class: "correction-invoices" },
          correctable.map((i) =>
            h(
              "li",
              { "data-testid": "correction-invoice" },
              h("span", { class: "num" }, i.number ?? "开具中"),
              " ",
              h("strong", { class: "num" }, formatMoney(i.totals.totalAmount)),
            ),
          ),
        ),
        correctable.length > 1
          ? h(
              "p",
              { class: "field-hint" },
              "这笔消费超过单张限额，分开具了多张发票；同一笔消费须使用同一抬头，因此全部红冲后按更正的信息重新开具。",
            )
          : null,
      )
    : null;

  const button = h(
    "button",
    { type: "submit", class: "button button--primary", "data-testid": "correction-submit" },
    "提交重开申请",
  );
  const form = h(
    "form",
    { class: "resend", novalidate: true },
    list,
    field("重开原因", "correction-reason", reason),
    field("备注", "correction-note", note),
    field("抬头类型", "correction-buyer-type", buyerType, errorNode("buyerType")),
    field("票种", "correction-invoice-type", invoiceType, errorNode("invoiceType")),
    textField("name"),
    textField("taxId"),
    h(
      "details",
      { class: "more" },
      h(
        "summary",
        { class: "more-summary", "data-testid": "correction-more" },
        "更多信息",
        h("small", { class: "more-note" }, "地址、电话、开户银行及账号（选填）"),
      ),
      MORE_FIELDS.map(textField),
    ),
    button,
  );
  if (current) inputs.name.value = current.buyer.name;

  const showErrors = (found: FieldErrors) => {
    for (const [key, node] of errors) {
      const message = found[key];
      node.hidden = !message;
      node.textContent = message ?? "";
      if (key in inputs) inputs[key as BuyerField].setAttribute("aria-invalid", message ? "true" : "false");
    }
    if (MORE_FIELDS.some((k) => found[k])) form.querySelector("details")!.open = true;
  };

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const state: FormState = {
      invoiceType: invoiceType.value as InvoiceType,
      buyerType: buyerType.value as BuyerType,
      ...(Object.fromEntries(BUYER_FIELDS.map((k) => [k, inputs[k].value])) as Record<BuyerField, string>),
      email: "",
      mobile: "",
    };
    // The submit's rules, here first; contacts stay the invoice's (checked on the server).
    const found = validateForm(state);
    for (const k of ["contact", "email", "mobile", "form"] as const) delete found[k];
    showErrors(found);
    const messages = Object.values(found);
    if (messages.length > 0) return setStatus(messages.join("；"), "error");
    const { invoiceType: type, buyer } = toSubmitBody(state);
    button.disabled = true;
    try {
      const done = await api.applyCorrection({
        invoiceIds: correctable.map((i) => i.id),
        reason: reason.value as "title",
        note: note.value.trim() || undefined,
        invoiceType: type,
        buyer,
      });
      form.hidden = true;
      onSent(done);
    } catch (error) {
      const fields = (error as ApiError).details?.fields;
      if (fields) showErrors(errorsFromServer(fields));
      setStatus((error as ApiError).message || "提交失败，请稍后重试", "error");
    } finally {
      button.disabled = false;
    }
  });
  return { form, focus: () => inputs.name.focus() };
}
