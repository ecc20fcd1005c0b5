/**
 * 纳税人识别号 / 统一社会信用代码 (GB 32100-2015) and 居民身份证号码 (GB 11643) checks.
 * Pure string functions; callers normalise with `normalizeTaxId` first.
 */
import { normalizeIdentifier } from "./text";

/**
 * As people type it (DOMAIN.md §6): full-width characters folded (NFKC), all white space removed
 * (the full-width space U+3000 too), uppercase.
 */
export function normalizeTaxId(text: string): string {
  return normalizeIdentifier(text);
}

const USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
/** 3^(i−1) mod 31 for positions 1–17. */
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;
const ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2] as const;
const ID_CARD_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const ID_CARD_CHECKS = "10X98765432";

/** The 18th character a 17-character USCC body needs, or null when the body has a foreign symbol. */
export function usccCheckCharacter(body: string): string | null {
  if (body.length !== 17) return null;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = USCC_ALPHABET.indexOf(body.charAt(i));
    if (value < 0) return null;
    sum += value * USCC_WEIGHTS[i]!;
  }
  return USCC_ALPHABET.charAt((31 - (sum % 31)) % 31);
}

/** Check character of an 8-character organization code body (GB 11714): digits 0–9, A=10 … Z=35. */
export function orgCodeCheckCharacter(body: string): string | null {
  if (!/^[0-9A-Z]{8}$/.test(body)) return null;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number.parseInt(body.charAt(i), 36) * ORG_CODE_WEIGHTS[i]!;
  const c = 11 - (sum % 11);
  return c === 10 ? "X" : c === 11 ? "0" : String(c);
}

/** A valid 统一社会信用代码: 18 symbols of the USCC alphabet, both check characters right. */
export function isValidUscc(text: string): boolean {
  if (!/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(text)) return false;
  if (usccCheckCharacter(text.slice(0, 17)) !== text.charAt(17)) return false;
  return orgCodeCheckCharacter(text.slice(8, 16)) === text.charAt(16);
}

/** An 18-character resident ID-card number: 17 digits and a check digit or X (uppercase). */
export function isValidIdCard(text: string): boolean {
  if (!/^\d{17}[\dX]$/.test(text)) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(text.charAt(i)) * ID_CARD_WEIGHTS[i]!;
  return ID_CARD_CHECKS.charAt(sum % 11) === text.charAt(17);
}

export type TaxIdProblem = "format" | "check";

/**
 * A tax ID after normalisation: uppercase letters and digits, length 15, 17, 18 or 20. Length 18
 * must be a valid USCC; other lengths (older 税号, 个体 numbers) are format-checked only.
 */
export function checkTaxId(normalized: string): TaxIdProblem | null {
  if (!/^[0-9A-Z]+$/.test(normalized) || ![15, 17, 18, 20].includes(normalized.length)) return "format";
  if (normalized.length === 18 && !isValidUscc(normalized)) return "check";
  return null;
}

export function isValidTaxId(text: string): boolean {
  return checkTaxId(normalizeTaxId(text)) === null;
}

/**
 * The two-digit province code a tax ID registers in: positions 3–4 of a USCC (its 登记管理机关行政区划码),
 * positions 1–2 of the other formats (which begin with a region code or an ID-card number).
 * Null when those positions are not digits.
 */
export function provinceCodeOf(taxId: string): string | null {
  const t = normalizeTaxId(taxId);
  const code = t.length === 18 ? t.slice(2, 4) : t.slice(0, 2);
  return /^\d{2}$/.test(code) ? code : null;
}
