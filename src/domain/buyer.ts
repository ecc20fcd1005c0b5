/**
 * The buyer (购买方) and where the invoice goes (DOMAIN.md §6): which buyer type may take which
 * invoice type, when a tax ID is needed and how it is checked, GBK length limits, e-mail and mobile.
 */
import { type DomainIssue, fail, issue, ok, type Result } from "./errors";
import { checkBytes, readText, TEXT_LIMITS } from "./gbk";
import { checkTaxId, isValidIdCard, isValidUscc, normalizeTaxId } from "./tax-id";
import { findTextProblem, foldWidth, textProblemMessage } from "./text";
import { BUYER_TYPES, type BuyerType, INVOICE_TYPES, type InvoiceType } from "./types";

export interface BuyerInput {
  type: BuyerType;
  name: string;
  taxId?: string | null;
  address?: string | null;
  phone?: string | null;
  bankName?: string | null;
  bankAccount?: string | null;
}

export interface BuyerSubmission {
  invoiceType: InvoiceType;
  buyer: BuyerInput;
  email?: string | null;
  mobile?: string | null;
}

export interface Buyer {
  type: BuyerType;
  name: string;
  /** Normalised (uppercase, no spaces); null when not given. */
  taxId: string | null;
  address: string | null;
  phone: string | null;
  bankName: string | null;
  bankAccount: string | null;
}

export interface ValidBuyerSubmission {
  invoiceType: InvoiceType;
  buyer: Buyer;
  email: string | null;
  mobile: string | null;
}

const EMAIL_LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const EMAIL_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * A normal Internet address: dot-atom local part (≤ 64), a domain of at least two labels, letters
 * in the last one, whole address ≤ 254. Quoted local parts, IP literals and non-ASCII addresses are
 * refused: they are legal but no mail system of a Chinese consumer needs them.
 */
export function isValidEmail(text: string): boolean {
  if (text.length > 254) return false;
  const at = text.lastIndexOf("@");
  if (at <= 0) return false;
  const local = text.slice(0, at);
  const labels = text.slice(at + 1).split(".");
  if (local.length > 64 || !EMAIL_LOCAL.test(local) || labels.length < 2) return false;
  if (!labels.every((label) => EMAIL_LABEL.test(label))) return false;
  return /^[A-Za-z]{2,}$/.test(labels[labels.length - 1] ?? "");
}

/** Mainland mobile number, 11 digits: `^1[3-9]\d{9}$` (after `normalizeMobile`). */
export function isValidMobile(text: string): boolean {
  return /^1[3-9]\d{9}$/.test(text);
}

/**
 * Full-width digits folded (NFKC), spaces and hyphens removed and a leading +86 / 0086 / 86 country
 * code dropped: "+86 138-0013-8000" and "１３８００１３８０００" → "13800138000".
 */
export function normalizeMobile(text: string): string {
  const compact = foldWidth(text).replace(/[\s-]+/gu, "");
  const withoutCountry = compact.replace(/^(\+86|0086|86)(?=1\d{10}$)/, "");
  return withoutCountry;
}

/** An e-mail address as typed: full-width characters folded (`＠` → `@`, NFKC) and trimmed. */
export function normalizeEmail(text: string): string {
  return foldWidth(text).trim();
}

/**
 * Whether the buyer is a natural person (自然人, DOMAIN.md §6) for the channel: a person (个人) who
 * gave no tax ID, or an ID-card number as one — the invoice then reaches the person's 个人票夹. A
 * person who gave a 统一社会信用代码 (a 个体工商户 that picked 个人) is not.
 */
export function isNaturalPerson(type: string, taxId: string | null | undefined): boolean {
  if (type !== "individual") return false;
  const id = normalizeTaxId(taxId ?? "");
  return id === "" || (isValidIdCard(id) && !isValidUscc(id));
}

function isBuyerType(value: unknown): value is BuyerType {
  return typeof value === "string" && (BUYER_TYPES as readonly string[]).includes(value);
}

function isInvoiceType(value: unknown): value is InvoiceType {
  return typeof value === "string" && (INVOICE_TYPES as readonly string[]).includes(value);
}

/**
 * Validates a consumer's submission. Collects every issue; on success returns the normalised buyer
 * (trimmed texts, absent ones null, tax ID uppercased without spaces) and contacts.
 */
export function validateBuyer(submission: BuyerSubmission): Result<ValidBuyerSubmission> {
  const issues: DomainIssue[] = [];
  const raw = (submission ?? {}) as unknown as Record<string, unknown>;
  const buyerRaw = (typeof raw.buyer === "object" && raw.buyer !== null ? raw.buyer : {}) as Record<
    string,
    unknown
  >;

  const invoiceType = raw.invoiceType;
  if (!isInvoiceType(invoiceType)) {
    issues.push(
      issue("INVOICE_TYPE_INVALID", "invoiceType", "发票类型应为 digital_normal 或 digital_special"),
    );
  }
  const type = buyerRaw.type;
  if (!isBuyerType(type)) {
    issues.push(
      issue("BUYER_TYPE_INVALID", "buyer.type", "购买方类型应为 individual、enterprise 或 non_enterprise"),
    );
  }
  if (type === "individual" && invoiceType === "digital_special") {
    issues.push(
      issue("INVOICE_TYPE_NOT_ALLOWED", "invoiceType", "个人不能开具增值税专用发票，请选择普通发票"),
    );
  }

  const text = (field: keyof BuyerInput, label: string, required: boolean, maxBytes?: number) =>
    readText(buyerRaw[field], { path: `buyer.${field}`, label, required, maxBytes }, issues);
  const name = text("name", "购买方名称", true, TEXT_LIMITS.partyName);
  const address = text("address", "购买方地址", false);
  // Digits typed in full width are folded like every identifier (DOMAIN.md §6).
  const phone = folded(text("phone", "购买方电话", false));
  const bankName = text("bankName", "购买方开户银行", false);
  const bankAccount = folded(text("bankAccount", "购买方银行账号", false));
  // The invoice prints 地址电话 and 开户行及账号 as one field each, so the limits apply to the pairs.
  checkBytes(
    `${address ?? ""}${phone ?? ""}`,
    TEXT_LIMITS.addressAndPhone,
    "buyer.address",
    "购买方地址和电话",
    issues,
  );
  checkBytes(
    `${bankName ?? ""}${bankAccount ?? ""}`,
    TEXT_LIMITS.bankAndAccount,
    "buyer.bankName",
    "购买方开户银行和账号",
    issues,
  );

  const taxId = readBuyerTaxId(buyerRaw.taxId, type, invoiceType, issues);
  const contacts = readContacts(raw.email, raw.mobile, issues);

  if (issues.length || !isInvoiceType(invoiceType) || !isBuyerType(type) || name === null)
    return fail(issues);
  return ok({
    invoiceType,
    buyer: { type, name, taxId, address, phone, bankName, bankAccount },
    email: contacts.email,
    mobile: contacts.mobile,
  });
}

/** Whether a tax ID is required for this buyer type and invoice type (DOMAIN.md §6 table). */
export function isTaxIdRequired(type: BuyerType, invoiceType: InvoiceType): boolean {
  return type === "enterprise" || (type === "non_enterprise" && invoiceType === "digital_special");
}

function readBuyerTaxId(
  value: unknown,
  type: unknown,
  invoiceType: unknown,
  issues: DomainIssue[],
): string | null {
  const path = "buyer.taxId";
  if (value !== undefined && value !== null && typeof value !== "string") {
    issues.push(issue("FIELD_TYPE_INVALID", path, "纳税人识别号应为文本"));
    return null;
  }
  // The gate before normalising: removing white space would otherwise hide a line break.
  if (gateRefuses(value, path, "纳税人识别号", issues)) return null;
  const normalized = normalizeTaxId(value ?? "");
  if (normalized === "") {
    if (isBuyerType(type) && isInvoiceType(invoiceType) && isTaxIdRequired(type, invoiceType)) {
      issues.push(issue("FIELD_REQUIRED", path, "请填写购买方纳税人识别号（统一社会信用代码）"));
    }
    return null;
  }
  // A person may give an ID-card number instead; an all-digit 18-character value is read as one,
  // but a valid 统一社会信用代码 (e.g. a 个体工商户's) is accepted as well.
  if (type === "individual" && /^\d{17}[\dX]$/.test(normalized)) {
    if (isValidIdCard(normalized) || isValidUscc(normalized)) return normalized;
    issues.push(issue("ID_CARD_INVALID", path, "身份证号码校验失败，请检查"));
    return null;
  }
  const problem = checkTaxId(normalized);
  if (problem === "format") {
    issues.push(issue("TAX_ID_FORMAT_INVALID", path, "纳税人识别号应为15、17、18或20位字母或数字"));
    return null;
  }
  if (problem === "check") {
    issues.push(issue("TAX_ID_CHECK_FAILED", path, "纳税人识别号（统一社会信用代码）校验失败，请检查"));
    return null;
  }
  return normalized;
}

function readContacts(
  emailValue: unknown,
  mobileValue: unknown,
  issues: DomainIssue[],
): { email: string | null; mobile: string | null } {
  let email: string | null = null;
  let mobile: string | null = null;
  const emailRefused = gateRefuses(emailValue, "email", "电子邮箱", issues);
  const mobileRefused = gateRefuses(mobileValue, "mobile", "手机号码", issues);
  if (emailRefused || mobileRefused) return { email: null, mobile: null };
  if (typeof emailValue === "string" && emailValue.trim() !== "") {
    email = normalizeEmail(emailValue);
    if (!isValidEmail(email)) issues.push(issue("EMAIL_INVALID", "email", "电子邮箱格式不正确"));
  } else if (
    emailValue !== undefined &&
    emailValue !== null &&
    emailValue !== "" &&
    typeof emailValue !== "string"
  ) {
    issues.push(issue("FIELD_TYPE_INVALID", "email", "电子邮箱应为文本"));
  }
  if (typeof mobileValue === "string" && mobileValue.trim() !== "") {
    mobile = normalizeMobile(mobileValue);
    if (!isValidMobile(mobile))
      issues.push(issue("MOBILE_INVALID", "mobile", "手机号码应为11位中国大陆手机号"));
  } else if (
    mobileValue !== undefined &&
    mobileValue !== null &&
    mobileValue !== "" &&
    typeof mobileValue !== "string"
  ) {
    issues.push(issue("FIELD_TYPE_INVALID", "mobile", "手机号码应为文本"));
  }
  if (email === null && mobile === null) {
    issues.push(issue("CONTACT_REQUIRED", "email", "请至少填写电子邮箱或手机号码中的一项，用于接收发票"));
  }
  return { email, mobile };
}

function folded(text: string | null): string | null {
  return text === null ? null : foldWidth(text);
}

/** The text gate (text.ts) for a field read without `readText`: true when it pushed an issue. */
function gateRefuses(value: unknown, path: string, label: string, issues: DomainIssue[]): boolean {
  const problem = typeof value === "string" ? findTextProblem(value) : null;
  if (problem) issues.push(issue("TEXT_INVALID_CHARACTER", path, textProblemMessage(problem, label)));
  return problem !== null;
}
