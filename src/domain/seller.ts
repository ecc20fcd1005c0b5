/**
 * The seller (销售方, the organization): what an invoice prints about it, checked once when the
 * organization is created or edited, by the same length rules as the buyer (DOMAIN.md §6).
 */
import { type DomainIssue, fail, issue, ok, type Result } from "./errors";
import { checkBytes, readText, TEXT_LIMITS } from "./gbk";
import { checkTaxId, normalizeTaxId, provinceCodeOf } from "./tax-id";
import { foldWidth } from "./text";

export interface SellerInput {
  name: string;
  taxId: string;
  address?: string | null;
  phone?: string | null;
  bankName?: string | null;
  bankAccount?: string | null;
}

export interface Seller {
  name: string;
  /** Normalised: uppercase, no spaces. */
  taxId: string;
  address: string | null;
  phone: string | null;
  bankName: string | null;
  bankAccount: string | null;
}

/**
 * Name and tax ID are required. The tax ID must be valid and must carry a province code, since the
 * sandbox numbers invoices by the seller's province (invoice-number.ts). Paths are the input's
 * field names (`taxId`), for a form or a command line of its own.
 */
export function validateSeller(input: SellerInput): Result<Seller> {
  const issues: DomainIssue[] = [];
  const raw = (input ?? {}) as unknown as Record<string, unknown>;
  const text = (field: keyof SellerInput, label: string, required: boolean, maxBytes?: number) =>
    readText(raw[field], { path: field, label, required, maxBytes }, issues);
  const name = text("name", "销售方名称", true, TEXT_LIMITS.partyName);
  const taxIdText = text("taxId", "销售方纳税人识别号", true);
  const address = text("address", "销售方地址", false);
  // Digits typed in full width are folded like every identifier (DOMAIN.md §6).
  const fold = (value: string | null) => (value === null ? null : foldWidth(value));
  const phone = fold(text("phone", "销售方电话", false));
  const bankName = text("bankName", "销售方开户银行", false);
  const bankAccount = fold(text("bankAccount", "销售方银行账号", false));
  checkBytes(
    `${address ?? ""}${phone ?? ""}`,
    TEXT_LIMITS.addressAndPhone,
    "address",
    "销售方地址和电话",
    issues,
  );
  checkBytes(
    `${bankName ?? ""}${bankAccount ?? ""}`,
    TEXT_LIMITS.bankAndAccount,
    "bankName",
    "销售方开户银行和账号",
    issues,
  );

  let taxId: string | null = null;
  if (taxIdText !== null) {
    const normalized = normalizeTaxId(taxIdText);
    const problem = checkTaxId(normalized);
    if (problem === "format") {
      issues.push(issue("TAX_ID_FORMAT_INVALID", "taxId", "纳税人识别号应为15、17、18或20位字母或数字"));
    } else if (problem === "check") {
      issues.push(issue("TAX_ID_CHECK_FAILED", "taxId", "统一社会信用代码校验失败，请检查"));
    } else if (provinceCodeOf(normalized) === null) {
      issues.push(issue("TAX_ID_FORMAT_INVALID", "taxId", "纳税人识别号中没有省级行政区划代码"));
    } else {
      taxId = normalized;
    }
  }
  if (issues.length || name === null || taxId === null) return fail(issues);
  return ok({ name, taxId, address, phone, bankName, bankAccount });
}
