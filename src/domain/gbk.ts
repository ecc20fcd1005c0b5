/**
 * Text lengths as the tax system counts them: GBK bytes. We do not carry a GBK table; instead every
 * ASCII character (U+0000–U+007F) counts 1 byte and every other character (one Unicode code point:
 * Chinese, full-width punctuation, and also characters GBK cannot encode such as emoji) counts 2.
 * For text GBK can encode this is exact; for the rest it is a stable, documented approximation.
 */
import { type DomainIssue, issue } from "./errors";
import { cleanText, textProblemMessage } from "./text";

export function gbkByteLength(text: string): number {
  let bytes = 0;
  for (const ch of text) bytes += (ch.codePointAt(0) ?? 0) < 0x80 ? 1 : 2;
  return bytes;
}

/** Length limits in GBK bytes (DOMAIN.md §6, our choice in line with common issuers). */
export const TEXT_LIMITS = {
  partyName: 100,
  addressAndPhone: 100,
  bankAndAccount: 100,
  itemName: 100,
  spec: 40,
  unit: 20,
  remark: 200,
  limit: 20,
} as const;

/**
 * Checks one optional or required text field through the text gate (text.ts: control characters,
 * line breaks outside multi-line fields, bidi controls, non-characters and lone surrogates refused).
 * Returns the NFC-normalised, trimmed text (or null when absent and optional) and pushes issues.
 * Non-string values are a type issue, not a crash.
 */
export function readText(
  value: unknown,
  opts: { path: string; label: string; required: boolean; maxBytes?: number; multiline?: boolean },
  issues: DomainIssue[],
): string | null {
  if (value === undefined || value === null) {
    if (opts.required) issues.push(issue("FIELD_REQUIRED", opts.path, `${opts.label}不能为空`));
    return null;
  }
  if (typeof value !== "string") {
    issues.push(issue("FIELD_TYPE_INVALID", opts.path, `${opts.label}应为文本`));
    return null;
  }
  const clean = cleanText(value, { multiline: opts.multiline });
  if (!clean.ok) {
    issues.push(issue("TEXT_INVALID_CHARACTER", opts.path, textProblemMessage(clean.problem, opts.label)));
    return null;
  }
  const text = clean.value;
  if (text === "") {
    if (opts.required) issues.push(issue("FIELD_REQUIRED", opts.path, `${opts.label}不能为空`));
    return null;
  }
  if (opts.maxBytes !== undefined) checkBytes(text, opts.maxBytes, opts.path, opts.label, issues);
  return text;
}

export function checkBytes(
  text: string,
  maxBytes: number,
  path: string,
  label: string,
  issues: DomainIssue[],
): void {
  const bytes = gbkByteLength(text);
  if (bytes > maxBytes) {
    issues.push(
      issue("TEXT_TOO_LONG", path, `${label}过长：${bytes} 字节，最多 ${maxBytes} 字节（汉字按2字节计）`, {
        bytes: String(bytes),
        maxBytes: String(maxBytes),
      }),
    );
  }
}

/** The 发票备注 (invoice remark): optional, ≤ 200 GBK bytes. Returns the trimmed text or null. */
export function validateRemark(
  remark: unknown,
  path = "remark",
): { ok: true; value: string | null } | { ok: false; issues: DomainIssue[] } {
  const issues: DomainIssue[] = [];
  const value = readText(
    remark,
    { path, label: "备注", required: false, maxBytes: TEXT_LIMITS.remark, multiline: true },
    issues,
  );
  return issues.length ? { ok: false, issues } : { ok: true, value };
}
