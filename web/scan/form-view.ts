/**
 * The invoicing form. Built once and then updated in place (errors, which choices show, the 必填
 * mark), so typing never loses focus and nothing jumps. All decisions come from form.ts.
 */

import { normalizeTaxId } from "../../src/domain/tax-id";
import type { BuyerType, InvoiceType, Receipt } from "./api";
import { confirmSheet } from "./confirm-sheet";
import { h, mount } from "./dom";
import {
  applyTitle,
  BUYER_TYPE_ORDER,
  type FieldErrors,
  type FieldKey,
  type FormState,
  firstErrorField,
  hasMoreDetails,
  invoiceTypesFor,
  isBuyerTypeOffered,
  isTaxIdNeeded,
  limitNotice,
  reconcile,
  TAX_ID_CONFIRM_QUESTION,
  TEXT_SPECS,
  type TextField,
  type TitleChoice,
  taxIdToConfirm,
  validateForm,
  visibleErrors,
} from "./form";
import { BUYER_TYPE_LABELS, formatMoney, INVOICE_TYPE_NAMES, INVOICE_TYPE_SHORT } from "./format";
import { createTitleLookup, type TitleSuggestion } from "./title-lookup";

export interface FormCallbacks {
  onSubmit: (state: FormState, remember: boolean) => void;
}

/**
 * A way to fill the title without typing (微信抬头, a title QR): a button whose code is loaded only
 * when it is used. `run` gives the title, or null when the consumer cancelled; its error's message is
 * shown under the buttons.
 */
export interface TitleTool {
  id: string;
  label: string;
  run: () => Promise<TitleChoice | null>;
}

export interface FormView {
  element: HTMLElement;
  setBusy: (busy: boolean) => void;
  /** Errors the server found, placed at their fields (and the rest above the submit button). */
  showServerErrors: (errors: FieldErrors) => void;
}

export function createFormView(
  receipt: Receipt,
  initial: FormState,
  remembered: boolean,
  callbacks: FormCallbacks,
  titles: TitleChoice[] = [],
  tools: TitleTool[] = [],
  /** The company lookup by name, when the organization has a registry service. */
  lookupTitles?: (q: string) => Promise<TitleSuggestion[]>,
): FormView {
  let state = initial;
  const touched = new Set<FieldKey>();
  let submitted = false;
  let serverErrors: FieldErrors = {};
  /** The tax ID the consumer confirmed although it is not 18 characters (form.ts, taxIdToConfirm). */
  let confirmedTaxId: string | null = null;
  const notice = limitNotice(receipt);
  const blocked = notice?.kind === "reject";

  const inputs = {} as Record<TextField, HTMLInputElement>;
  const errorNodes = new Map<FieldKey, HTMLElement>();
  const fieldNodes = new Map<FieldKey, HTMLElement>();

  const errorNode = (key: FieldKey) => {
    const node = h("p", { class: "field-error", id: `err-${key}`, hidden: true });
    errorNodes.set(key, node);
    return node;
  };

  // ---- choice groups (radio inputs styled as segments: native, so keyboards and readers know them)
  const segment = <T extends string>(
    name: string,
    value: T,
    label: string,
    sub: string | null,
    onPick: (v: T) => void,
  ) => {
    const input = h("input", { type: "radio", name, value, class: "segment-input" });
    input.addEventListener("change", () => input.checked && onPick(value));
    return h(
      "label",
      { class: "segment", "data-value": value },
      input,
      h("span", { class: "segment-label" }, label, sub ? h("small", null, sub) : null),
    );
  };

  const invoiceTypeGroup = h(
    "div",
    { class: "segments", role: "radiogroup", "aria-labelledby": "lbl-invoiceType" },
    receipt.invoiceTypes.map((t) =>
      segment("invoiceType", t, INVOICE_TYPE_NAMES[t], INVOICE_TYPE_SHORT[t], pickInvoiceType),
    ),
  );
  const invoiceTypeHint = h("p", { class: "field-hint", hidden: true }, "个人抬头不能开具增值税专用发票");
  const buyerTypeGroup = h(
    "div",
    { class: "segments segments--3", role: "radiogroup", "aria-labelledby": "lbl-buyerType" },
    BUYER_TYPE_ORDER.map((t) => segment("buyerType", t, BUYER_TYPE_LABELS[t], null, pickBuyerType)),
  );

  function pickInvoiceType(value: InvoiceType) {
    setState({ ...state, invoiceType: value });
  }
  function pickBuyerType(value: BuyerType) {
    setState(reconcile({ ...state, buyerType: value }, receipt.invoiceTypes, state.invoiceType));
  }

  const choiceField = (
    key: "invoiceType" | "buyerType",
    label: string,
    control: HTMLElement,
    extra?: Node,
  ) => {
    const node = h(
      "div",
      { class: "field field--stacked", "data-field": key },
      h("span", { class: "field-label", id: `lbl-${key}` }, label),
      control,
      extra,
      errorNode(key),
    );
    fieldNodes.set(key, node);
    return node;
  };

  // ---- text fields
  const textField = (key: TextField) => {
    const spec = TEXT_SPECS[key];
    const input = h("input", {
      id: `f-${key}`,
      name: key,
      type: spec.type ?? "text",
      inputmode: spec.inputmode,
      autocomplete: spec.autocomplete,
      autocapitalize: spec.autocapitalize ?? "off",
      spellcheck: "false",
      placeholder: spec.placeholder,
      maxlength: spec.maxlength,
      class: "input",
      "aria-describedby": `err-${key}`,
    });
    input.value = state[key];
    input.addEventListener("input", () => {
      state = { ...state, [key]: input.value };
      if (key === "taxId") taxIdConfirm.hidden = true;
      delete serverErrors[key];
      if (key === "email" || key === "mobile") delete serverErrors.contact;
      refreshErrors();
    });
    input.addEventListener("blur", () => {
      if (key === "taxId") {
        // Show the tax ID the way it will be sent: full width folded, uppercase, no spaces.
        const normal = normalizeTaxId(input.value);
        if (normal !== input.value) {
          input.value = normal;
          state = { ...state, taxId: normal };
        }
      }
      touched.add(key);
      refreshErrors();
    });
    inputs[key] = input;
    const label = h(
      "label",
      { class: "field-label", for: `f-${key}`, id: `lbl-${key}` },
      spec.label,
      key === "taxId" ? h("span", { class: "mark", id: "taxid-mark" }) : null,
    );
    const node = h(
      "div",
      { class: "field", "data-field": key },
      label,
      h("div", { class: "field-control" }, input),
      errorNode(key),
    );
    fieldNodes.set(key, node);
    return node;
  };

  // ---- the question before a tax ID that is not 18 characters is sent (no dialog: two buttons in place)
  const confirmYes = h(
    "button",
    { type: "button", class: "button button--primary", "data-testid": "taxid-confirm-yes" },
    "确认无误，提交",
  );
  const confirmEdit = h(
    "button",
    { type: "button", class: "button button--ghost", "data-testid": "taxid-confirm-edit" },
    "返回修改",
  );
  const taxIdConfirm = h(
    "div",
    { class: "confirm", id: "taxid-confirm", "data-testid": "taxid-confirm", hidden: true },
    h("p", { class: "confirm-text", role: "alert" }, TAX_ID_CONFIRM_QUESTION),
    h("div", { class: "confirm-actions" }, confirmEdit, confirmYes),
  );
  confirmYes.addEventListener("click", () => {
    confirmedTaxId = taxIdToConfirm(state);
    taxIdConfirm.hidden = true;
    form.requestSubmit();
  });
  confirmEdit.addEventListener("click", () => {
    taxIdConfirm.hidden = true;
    inputs.taxId.focus();
  });

  // ---- titles this phone invoiced to before: one tap fills type, title, tax ID and the rest
  const titleChip = (t: TitleChoice) =>
    h(
      "button",
      {
        type: "button",
        class: "title-chip",
        "data-testid": "saved-title",
        onclick: () => {
          setState(applyTitle(state, t, receipt.invoiceTypes));
          if (hasMoreDetails(state)) more.open = true;
        },
      },
      h("span", { class: "title-chip-name" }, t.name),
      h(
        "small",
        { class: "title-chip-kind" },
        BUYER_TYPE_LABELS[t.buyerType],
        t.invoiceType ? ` · ${INVOICE_TYPE_SHORT[t.invoiceType]}` : "",
      ),
    );
  const savedTitles = titles.length
    ? h(
        "div",
        { class: "field field--stacked saved-titles", "data-testid": "saved-titles" },
        h("span", { class: "field-label", id: "lbl-titles" }, "常用抬头"),
        h(
          "div",
          { class: "title-chips", role: "group", "aria-labelledby": "lbl-titles" },
          titles.map(titleChip),
        ),
      )
    : null;

  // ---- 快速填写: each tool fills the whole title, as a remembered one does
  const toolError = h("p", {
    class: "field-error",
    role: "alert",
    hidden: true,
    "data-testid": "title-tool-error",
  });
  const toolButton = (tool: TitleTool) => {
    const button = h(
      "button",
      { type: "button", class: "button button--ghost title-tool", "data-testid": `title-tool-${tool.id}` },
      tool.label,
    );
    button.addEventListener("click", () => {
      if (button.disabled) return;
      button.disabled = true;
      button.classList.add("is-busy");
      toolError.hidden = true;
      tool
        .run()
        .then((title) => {
          if (!title) return;
          setState(applyTitle(state, title, receipt.invoiceTypes));
          if (hasMoreDetails(state)) more.open = true;
        })
        .catch((error: unknown) => {
          toolError.textContent = error instanceof Error ? error.message : String(error);
          toolError.hidden = false;
        })
        .finally(() => {
          button.disabled = false;
          button.classList.remove("is-busy");
        });
    });
    return button;
  };
  const titleTools = tools.length
    ? h(
        "div",
        { class: "field field--stacked title-tools", "data-testid": "title-tools" },
        h("span", { class: "field-label", id: "lbl-tools" }, "快速填写抬头"),
        h(
          "div",
          { class: "title-tool-row", role: "group", "aria-labelledby": "lbl-tools" },
          tools.map(toolButton),
        ),
        toolError,
      )
    : null;

  // ---- layout
  const nameField = textField("name");
  if (lookupTitles) bindLookup(lookupTitles);
  const taxIdField = textField("taxId");
  const taxIdHint = h("p", { class: "field-hint", id: "taxid-hint" }, "个人可不填；填写身份证号码时会校验");
  taxIdField.insertBefore(taxIdHint, errorNodes.get("taxId") ?? null);
  taxIdField.appendChild(taxIdConfirm);

  const more = h(
    "details",
    { class: "more", open: hasMoreDetails(state) },
    h(
      "summary",
      { class: "more-summary" },
      "更多信息",
      h("small", { class: "more-note" }, "地址、电话、开户银行及账号（选填）"),
    ),
    textField("address"),
    textField("phone"),
    textField("bankName"),
    textField("bankAccount"),
  );

  const contactError = errorNode("contact");
  contactError.classList.add("field-error--group");
  const remember = h("input", { type: "checkbox", class: "check-input", id: "f-remember" });
  remember.checked = remembered;

  const formError = h("div", { class: "notice notice--error", role: "alert", hidden: true, id: "err-form" });
  const submitButton = h(
    "button",
    { type: "submit", class: "button button--primary button--block", "data-testid": "submit" },
    blocked ? "无法在线开具" : "提交开票",
  );
  if (blocked) submitButton.disabled = true;

  const countNote = notice?.kind === "split" ? ` · 共 ${notice.count} 张` : "";
  const form = h(
    "form",
    { class: "invoice-form", novalidate: true, "aria-label": "开票信息" },
    h(
      "section",
      { class: "card", "aria-labelledby": "title-card" },
      h("h2", { class: "card-title", id: "title-card" }, "发票信息"),
      choiceField("invoiceType", "发票类型", invoiceTypeGroup, invoiceTypeHint),
      savedTitles,
      titleTools,
      choiceField("buyerType", "抬头类型", buyerTypeGroup),
      nameField,
      taxIdField,
      more,
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "contact-card" },
      h("h2", { class: "card-title", id: "contact-card" }, "接收方式", h("small", null, "至少填写一项")),
      textField("email"),
      textField("mobile"),
      contactError,
      h(
        "label",
        { class: "check", for: "f-remember" },
        remember,
        h("span", null, "在本机记住开票信息，下次自动填写"),
      ),
    ),
    formError,
    h(
      "div",
      { class: "submit-bar" },
      h(
        "div",
        { class: "submit-total" },
        h(
          "span",
          { class: "submit-total-label", "data-testid": "submit-total-label" },
          `价税合计${countNote}`,
        ),
        // A 门店码 has no purchase yet (store-view.ts): no total to show.
        receipt.totals.totalAmount
          ? h(
              "strong",
              { class: "num", "data-testid": "submit-total" },
              formatMoney(receipt.totals.totalAmount),
            )
          : null,
      ),
      submitButton,
    ),
  );

  // With the keyboard up the screen is short: the bar stops floating over the field being typed in.
  // It keeps its place in the flow while sticky, so switching it off moves nothing else.
  const isTextInput = (el: EventTarget | null) =>
    el instanceof HTMLInputElement && el.type !== "radio" && el.type !== "checkbox";
  form.addEventListener("focusin", (e) => {
    if (isTextInput(e.target)) form.classList.add("is-typing");
  });
  form.addEventListener("focusout", () => {
    setTimeout(() => {
      const el = document.activeElement;
      if (!(isTextInput(el) && form.contains(el))) form.classList.remove("is-typing");
    }, 0);
  });

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (blocked || submitButton.disabled) return;
    submitted = true;
    serverErrors = {};
    const errors = refreshErrors();
    const first = firstErrorField(errors);
    if (first) return focusField(first);
    const toConfirm = taxIdToConfirm(state);
    if (toConfirm !== null && toConfirm !== confirmedTaxId) {
      taxIdConfirm.hidden = false;
      taxIdConfirm.scrollIntoView({ block: "center" });
      confirmYes.focus();
      return;
    }
    // The last look before issuing; 返回修改 leaves everything as typed.
    const sent = state;
    void confirmSheet(receipt, sent).then((confirmed) => {
      if (confirmed) callbacks.onSubmit(sent, remember.checked);
    });
  });

  /** Suggestions under 抬头名称 as the consumer types a company's name; a tap fills the whole title. */
  function bindLookup(search: (q: string) => Promise<TitleSuggestion[]>) {
    const input = inputs.name;
    const list = h("ul", {
      class: "suggestions",
      role: "listbox",
      id: "name-suggestions",
      hidden: true,
      "data-testid": "suggestions",
    });
    input.setAttribute("aria-controls", "name-suggestions");
    input.setAttribute("aria-autocomplete", "list");
    const hide = () => {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
    };
    const lookup = createTitleLookup({
      // Persons are not in a company registry: no lookup for 个人.
      search: (q) => (state.buyerType === "individual" ? Promise.resolve([]) : search(q)),
      show: (found) => {
        mount(
          list,
          found.map((t) =>
            h(
              "li",
              { role: "option" },
              h(
                "button",
                {
                  type: "button",
                  class: "suggestion",
                  "data-testid": "suggestion",
                  // Keeps the focus in the field, so picking does not count as leaving it first.
                  onmousedown: (e: Event) => e.preventDefault(),
                  onclick: () => pick(t),
                },
                h("span", { class: "suggestion-name" }, t.name),
                t.taxId ? h("small", { class: "suggestion-id" }, t.taxId) : null,
              ),
            ),
          ),
        );
        list.hidden = found.length === 0 || document.activeElement !== input;
        input.setAttribute("aria-expanded", String(!list.hidden));
      },
    });
    const pick = (t: TitleSuggestion) => {
      lookup.close();
      hide();
      setState(
        applyTitle(
          state,
          {
            buyerType: state.buyerType === "individual" ? "enterprise" : state.buyerType,
            name: t.name,
            taxId: t.taxId,
            address: t.address ?? state.address,
            phone: t.phone ?? state.phone,
            bankName: t.bankName ?? state.bankName,
            bankAccount: t.bankAccount ?? state.bankAccount,
          },
          receipt.invoiceTypes,
        ),
      );
      if (hasMoreDetails(state)) more.open = true;
    };
    input.addEventListener("input", () => lookup.input(input.value));
    input.addEventListener("compositionstart", () => lookup.compositionStart());
    input.addEventListener("compositionend", () => lookup.compositionEnd(input.value));
    input.addEventListener("blur", () => {
      lookup.close();
      hide();
    });
    nameField.querySelector(".field-control")?.appendChild(list);
  }

  function focusField(key: FieldKey) {
    if (key === "form") return formError.scrollIntoView({ block: "center" });
    if (["address", "phone", "bankName", "bankAccount"].includes(key)) more.open = true;
    const target =
      key === "contact"
        ? inputs.email
        : key in inputs
          ? inputs[key as TextField]
          : fieldNodes.get(key)?.querySelector<HTMLInputElement>("input:checked, input");
    target?.focus();
    (fieldNodes.get(key) ?? target)?.scrollIntoView({ block: "center" });
  }

  function setState(next: FormState) {
    state = next;
    for (const key of Object.keys(inputs) as TextField[]) {
      if (inputs[key].value !== state[key]) inputs[key].value = state[key];
    }
    renderChoices();
    refreshErrors();
  }

  function renderChoices() {
    const types = invoiceTypesFor(receipt.invoiceTypes, state.buyerType);
    for (const label of Array.from(invoiceTypeGroup.children) as HTMLElement[]) {
      const value = label.dataset.value as InvoiceType;
      const input = label.querySelector("input")!;
      label.hidden = !types.includes(value);
      input.checked = value === state.invoiceType;
    }
    invoiceTypeHint.hidden = !(
      state.buyerType === "individual" && receipt.invoiceTypes.includes("digital_special")
    );
    for (const label of Array.from(buyerTypeGroup.children) as HTMLElement[]) {
      const value = label.dataset.value as BuyerType;
      const input = label.querySelector("input")!;
      input.disabled = !isBuyerTypeOffered(receipt.invoiceTypes, value);
      label.classList.toggle("segment--disabled", input.disabled);
      input.checked = value === state.buyerType;
    }
    const needed = isTaxIdNeeded(state);
    const mark = form.querySelector("#taxid-mark");
    if (mark) {
      mark.textContent = needed ? "必填" : "选填";
      mark.className = needed ? "mark mark--required" : "mark";
    }
    inputs.taxId.required = needed;
    inputs.taxId.placeholder =
      state.buyerType === "individual" ? "选填，可填身份证号码" : needed ? "请输入统一社会信用代码" : "选填";
    inputs.name.placeholder = state.buyerType === "individual" ? "请输入姓名" : "请输入单位全称";
    inputs.name.required = true;
    taxIdHint.hidden = state.buyerType !== "individual";
  }

  function refreshErrors(): FieldErrors {
    const all = { ...validateForm(state), ...serverErrors };
    const shownKeys = new Set<FieldKey>([...touched, ...(Object.keys(serverErrors) as FieldKey[])]);
    const shown = visibleErrors(all, shownKeys, submitted);
    for (const [key, node] of errorNodes) {
      const message = shown[key];
      node.hidden = !message;
      node.textContent = message ?? "";
      const input = key in inputs ? inputs[key as TextField] : null;
      input?.setAttribute("aria-invalid", message ? "true" : "false");
      fieldNodes.get(key)?.classList.toggle("field--invalid", Boolean(message));
    }
    const contactMessage = shown.contact;
    for (const key of ["email", "mobile"] as const) {
      if (contactMessage && !shown[key]) {
        inputs[key].setAttribute("aria-invalid", "true");
        inputs[key].setAttribute("aria-describedby", `err-${key} err-contact`);
      } else inputs[key].setAttribute("aria-describedby", `err-${key}`);
    }
    const formMessage = shown.form;
    formError.hidden = !formMessage;
    formError.textContent = formMessage ?? "";
    return submitted ? all : shown;
  }

  renderChoices();
  refreshErrors();
  // Remembered details that spill into 更多 open it by themselves.
  if (hasMoreDetails(state)) more.open = true;

  return {
    element: form,
    setBusy(busy) {
      submitButton.disabled = busy || blocked;
      submitButton.classList.toggle("is-busy", busy);
      submitButton.textContent = busy ? "正在提交…" : blocked ? "无法在线开具" : "提交开票";
      form.setAttribute("aria-busy", String(busy));
    },
    showServerErrors(errors) {
      serverErrors = { ...errors };
      submitted = true;
      for (const key of Object.keys(errors) as FieldKey[]) touched.add(key);
      refreshErrors();
      const first = firstErrorField(errors);
      if (first) focusField(first);
    },
  };
}
