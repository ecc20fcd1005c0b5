/**
 * The invoicing form as data: its state, which choices it offers, its field errors (from the same
 * rules engine the server runs, so the page and the server never disagree), and the request body it
 * sends. No DOM here, so all of it is unit-tested.
 */
import { isTaxIdRequired, normalizeEmail, normalizeMobile, validateBuyer } from "../../src/domain/buyer";
import { normalizeTaxId } from "../../src/domain/tax-id";
import type { BuyerType, InvoiceType, Receipt, SubmitBody } from "./api";
import { compareAmounts } from "./format";

export interface FormState {
  invoiceType: InvoiceType;
  buyerType: BuyerType;
  name: string;
  taxId: string;
  address: string;
  phone: string;
  bankName: string;
  bankAccount: string;
  email: string;
  mobile: string;
}

/** Where an error is shown: a field, the "at least one contact" group, or the form as a whole. */
export type FieldKey = keyof FormState | "contact" | "form";

export type FieldErrors = Partial<Record<FieldKey, string>>;

export const TEXT_FIELDS = [
  "name",
  "taxId",
  "address",
  "phone",
  "bankName",
  "bankAccount",
  "email",
  "mobile",
] as const;
export type TextField = (typeof TEXT_FIELDS)[number];

export interface TextFieldSpec {
  label: string;
  type?: string;
  inputmode?: string;
  autocomplete?: string;
  placeholder: string;
  maxlength: number;
  autocapitalize?: string;
}

/**
 * How each text field is labelled and bounded, for the submit form (form-view.ts) and 申请重开's
 * (correction-form.ts) alike. Placeholders stay short: the input cell of a 360 px screen holds about
 * 12 characters.
 */
export const TEXT_SPECS: Record<TextField, TextFieldSpec> = {
  name: { label: "抬头名称", placeholder: "请输入单位全称", autocomplete: "organization", maxlength: 100 },
  taxId: {
    label: "税号",
    placeholder: "请输入统一社会信用代码",
    autocomplete: "off",
    autocapitalize: "characters",
    // Room for spaces and full-width characters: a pasted code must never be cut short.
    maxlength: 40,
  },
  address: { label: "地址", placeholder: "选填", autocomplete: "street-address", maxlength: 100 },
  phone: { label: "电话", type: "tel", placeholder: "选填", autocomplete: "off", maxlength: 40 },
  bankName: { label: "开户银行", placeholder: "选填", autocomplete: "off", maxlength: 100 },
  bankAccount: {
    label: "银行账号",
    inputmode: "numeric",
    placeholder: "选填",
    autocomplete: "off",
    maxlength: 40,
  },
  email: {
    label: "电子邮箱",
    type: "email",
    inputmode: "email",
    placeholder: "用于接收电子发票",
    autocomplete: "email",
    maxlength: 254,
  },
  mobile: {
    label: "手机号码",
    type: "tel",
    inputmode: "numeric",
    placeholder: "用于接收发票短信",
    autocomplete: "tel-national",
    maxlength: 20,
  },
};

export const BUYER_TYPE_ORDER: readonly BuyerType[] = ["individual", "enterprise", "non_enterprise"];

/** A person cannot take a 专票 (DOMAIN.md §6): for 个人 the special type is not offered at all. */
export function invoiceTypesFor(allowed: readonly InvoiceType[], buyerType: BuyerType): InvoiceType[] {
  return allowed.filter((t) => !(buyerType === "individual" && t === "digital_special"));
}

/** 个人 is offered only when the receipt allows a normal invoice. */
export function isBuyerTypeOffered(allowed: readonly InvoiceType[], buyerType: BuyerType): boolean {
  return invoiceTypesFor(allowed, buyerType).length > 0;
}

/** Keeps the state consistent with the receipt after a choice: a buyer type that may take the invoice type. */
export function reconcile(
  state: FormState,
  allowed: readonly InvoiceType[],
  preferred?: InvoiceType,
): FormState {
  let buyerType = state.buyerType;
  if (!isBuyerTypeOffered(allowed, buyerType)) {
    buyerType =
      BUYER_TYPE_ORDER.find((t) => t !== "individual" && isBuyerTypeOffered(allowed, t)) ?? buyerType;
  }
  const types = invoiceTypesFor(allowed, buyerType);
  let invoiceType = state.invoiceType;
  if (!types.includes(invoiceType)) {
    invoiceType = preferred && types.includes(preferred) ? preferred : (types[0] ?? invoiceType);
  }
  return buyerType === state.buyerType && invoiceType === state.invoiceType
    ? state
    : { ...state, buyerType, invoiceType };
}

/** What of the receipt the form starts from: the types, and the organization's and merchant's defaults. */
type FormStart = Pick<Receipt, "invoiceTypes" | "defaultInvoiceType"> &
  Partial<Pick<Receipt, "defaultBuyerType" | "prefill">>;

export function emptyForm(receipt: FormStart): FormState {
  return reconcile(
    {
      invoiceType: receipt.defaultInvoiceType,
      // The organization chooses whether its consumers start as 个人 or 企业 (receipt-code config).
      buyerType: receipt.defaultBuyerType ?? "enterprise",
      name: "",
      taxId: "",
      address: "",
      phone: "",
      bankName: "",
      bankAccount: "",
      email: "",
      mobile: "",
    },
    receipt.invoiceTypes,
    receipt.defaultInvoiceType,
  );
}

/**
 * The form for a receipt, prefilled with what this phone remembered; the invoice type stays the
 * receipt's default. The contacts the merchant pushed with the order (`notify`) are this purchase's
 * own, so they win over the remembered ones.
 */
export function initialForm(receipt: FormStart, saved: Partial<FormState> | null): FormState {
  const base = emptyForm(receipt);
  const prefill = receipt.prefill;
  const merged: FormState = { ...base };
  if (!saved && !prefill) return base;
  if (!saved) return { ...merged, email: prefill?.email ?? "", mobile: prefill?.mobile ?? "" };
  if (saved.buyerType) merged.buyerType = saved.buyerType;
  for (const key of TEXT_FIELDS) {
    const value = saved[key];
    if (typeof value === "string") merged[key] = value;
  }
  if (prefill?.email || prefill?.mobile) {
    merged.email = prefill.email;
    merged.mobile = prefill.mobile;
  }
  return reconcile(merged, receipt.invoiceTypes, receipt.defaultInvoiceType);
}

/** Whether the tax ID must be filled for the current choices (drives the 必填/选填 mark). */
export function isTaxIdNeeded(state: Pick<FormState, "buyerType" | "invoiceType">): boolean {
  return isTaxIdRequired(state.buyerType, state.invoiceType);
}

/** What the page asks before sending a tax ID that is not 18 characters (DOMAIN.md §6). */
export const TAX_ID_CONFIRM_QUESTION = "这不是 18 位统一社会信用代码，确认无误吗？";

/**
 * The tax ID the consumer must confirm before submitting, or null. Nearly every organisation now
 * has an 18-character 统一社会信用代码, so a 15-, 17- or 20-character one — a legacy number, or a
 * code with a character lost — is asked about rather than taken silently: a typo there costs a 红冲.
 * The value is compared as it will be sent (NFKC-folded, no spaces, uppercase).
 */
export function taxIdToConfirm(state: Pick<FormState, "taxId">): string | null {
  const taxId = normalizeTaxId(state.taxId);
  return taxId !== "" && taxId.length !== 18 ? taxId : null;
}

/** The request body of `POST /api/scan/{token}/submit`: trimmed, tax ID, e-mail and mobile normalised. */
export function toSubmitBody(state: FormState): SubmitBody {
  const mobile = state.mobile.trim();
  return {
    invoiceType: state.invoiceType,
    buyer: {
      type: state.buyerType,
      name: state.name.trim(),
      taxId: normalizeTaxId(state.taxId),
      address: state.address.trim(),
      phone: state.phone.trim(),
      bankName: state.bankName.trim(),
      bankAccount: state.bankAccount.replace(/\s+/g, ""),
    },
    email: normalizeEmail(state.email),
    mobile: mobile ? normalizeMobile(mobile) : "",
  };
}

const PATH_TO_FIELD: Record<string, FieldKey> = {
  invoiceType: "invoiceType",
  "buyer.type": "buyerType",
  "buyer.name": "name",
  "buyer.taxId": "taxId",
  "buyer.address": "address",
  "buyer.phone": "phone",
  "buyer.bankName": "bankName",
  "buyer.bankAccount": "bankAccount",
  email: "email",
  mobile: "mobile",
};

/** Where a server's `details.fields` path is shown; paths the form does not have go to the form. */
export function fieldForPath(path: string): FieldKey {
  return PATH_TO_FIELD[path] ?? "form";
}

/** Server field errors (`details.fields`) placed at the form's fields; the first message per field wins. */
export function errorsFromServer(fields: Record<string, string>): FieldErrors {
  const errors: FieldErrors = {};
  for (const [path, message] of Object.entries(fields)) {
    const key = fieldForPath(path);
    if (!errors[key]) errors[key] = message;
  }
  return errors;
}

/**
 * Every field error of the current state, by the rules engine. "At least one of e-mail and mobile"
 * is reported on the contact group, not on the e-mail field the engine names.
 */
export function validateForm(state: FormState): FieldErrors {
  const result = validateBuyer(toSubmitBody(state));
  const errors: FieldErrors = {};
  if (result.ok) return errors;
  for (const issue of result.issues) {
    const key = issue.code === "CONTACT_REQUIRED" ? "contact" : fieldForPath(issue.path);
    if (!errors[key]) errors[key] = issue.message;
  }
  return errors;
}

/**
 * The errors to show now: only for fields the consumer has left (or all of them after a submit),
 * so nobody is scolded for a field they have not reached yet.
 */
export function visibleErrors(
  all: FieldErrors,
  touched: ReadonlySet<FieldKey>,
  submitted: boolean,
): FieldErrors {
  if (submitted) return all;
  const shown: FieldErrors = {};
  for (const [key, message] of Object.entries(all) as [FieldKey, string][]) {
    const isContact = key === "contact" && touched.has("email") && touched.has("mobile");
    if (touched.has(key) || isContact) shown[key] = message;
  }
  return shown;
}

/** Field order on the page, for focusing the first error after a submit. */
export const FIELD_ORDER: readonly FieldKey[] = [
  "invoiceType",
  "buyerType",
  "name",
  "taxId",
  "address",
  "phone",
  "bankName",
  "bankAccount",
  "contact",
  "email",
  "mobile",
  "form",
];

export function firstErrorField(errors: FieldErrors): FieldKey | null {
  return FIELD_ORDER.find((key) => errors[key]) ?? null;
}

export type LimitNotice =
  | { kind: "split"; count: number; limit: string }
  | { kind: "reject"; limit: string; total: string }
  | null;

/** Above the limit the consumer learns before submitting how many invoices come, or why none can. */
export function limitNotice(receipt: Pick<Receipt, "limit" | "totals">): LimitNotice {
  const { limit, totals } = receipt;
  if (!limit) return null;
  if (limit.invoiceCount > 1) return { kind: "split", count: limit.invoiceCount, limit: limit.amount };
  if (limit.policy === "reject" && compareAmounts(totals.totalAmount, limit.amount) > 0) {
    return { kind: "reject", limit: limit.amount, total: totals.totalAmount };
  }
  return null;
}

/** Whether any of the optional 更多 fields has content, so the fold opens by itself. */
export function hasMoreDetails(state: FormState): boolean {
  return [state.address, state.phone, state.bankName, state.bankAccount].some((v) => v.trim() !== "");
}

/** A remembered title (storage.ts) as the form takes it. */
export interface TitleChoice {
  buyerType: BuyerType;
  invoiceType?: InvoiceType;
  name: string;
  taxId: string;
  address: string;
  phone: string;
  bankName: string;
  bankAccount: string;
}

/**
 * The form with a picked title: its buyer type and details, and the invoice type it was taken with
 * when this receipt allows it for that buyer (else the receipt's choice stands). Contacts stay.
 */
export function applyTitle(state: FormState, title: TitleChoice, allowed: readonly InvoiceType[]): FormState {
  const next: FormState = {
    ...state,
    buyerType: title.buyerType,
    name: title.name,
    taxId: title.taxId,
    address: title.address,
    phone: title.phone,
    bankName: title.bankName,
    bankAccount: title.bankAccount,
  };
  const types = invoiceTypesFor(allowed, next.buyerType);
  if (title.invoiceType && types.includes(title.invoiceType)) next.invoiceType = title.invoiceType;
  return reconcile(next, allowed, next.invoiceType);
}
