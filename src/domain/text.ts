/**
 * The one text gate (DOMAIN.md §6): what every text field accepts, on every interface — consumer,
 * merchant API, console, command line, import files. A text is NFC-normalised and trimmed; a
 * one-line field refuses C0/C1 control characters (NUL, tab, CR, LF, ESC, DEL, NEL…), the Unicode
 * line and paragraph separators, bidirectional controls (a U+202E can make `gpj.exe` read `exe.jpg`
 * in a mail subject or a list), non-characters (U+FFFE, U+FFFF, U+FDD0–U+FDEF and the last two of
 * every plane) and lone surrogates (half of an emoji, which no UTF-8 file can carry). A multi-line
 * field refuses the same except the line feed; CR LF and a lone CR become LF first.
 *
 * One regular expression per kind, built once: checking a field is one scan of the string.
 */

export type TextProblem = "control" | "line_break" | "bidi" | "noncharacter" | "surrogate";

export interface TextKind {
  /** Line feeds allowed (a remark, a receipt footer); everything else is one line. */
  multiline?: boolean;
}

// With the `u` flag a surrogate range matches only a surrogate that is not half of a pair.
const NONCHARACTERS =
  "\\uFDD0-\\uFDEF\\uFFFE\\uFFFF" +
  Array.from({ length: 16 }, (_, i) => {
    const plane = (i + 1).toString(16).toUpperCase();
    return `\\u{${plane}FFFE}\\u{${plane}FFFF}`;
  }).join("");
const BIDI = "\\u061C\\u200E\\u200F\\u202A-\\u202E\\u2066-\\u2069";
const SEPARATORS = "\\u2028\\u2029";
const SURROGATES = "\\uD800-\\uDFFF";
const C1_AND_DEL = "\\u007F-\\u009F";

const ONE_LINE_REFUSED = new RegExp(
  `[\\u0000-\\u001F${C1_AND_DEL}${SEPARATORS}${BIDI}${NONCHARACTERS}${SURROGATES}]`,
  "u",
);
const MULTI_LINE_REFUSED = new RegExp(
  `[\\u0000-\\u0009\\u000B-\\u001F${C1_AND_DEL}${SEPARATORS}${BIDI}${NONCHARACTERS}${SURROGATES}]`,
  "u",
);
/** Nothing NFC could change and nothing the gate refuses: printable ASCII only. */
const PLAIN_ASCII = /^[\x20-\x7E]*$/;

/** What a refused character is, for the message. */
function classify(ch: string): TextProblem {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp >= 0xd800 && cp <= 0xdfff) return "surrogate";
  if (cp === 0x0a || cp === 0x0d || cp === 0x85 || cp === 0x2028 || cp === 0x2029) return "line_break";
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return "control";
  if (cp === 0x061c || cp === 0x200e || cp === 0x200f || (cp >= 0x202a && cp <= 0x202e)) return "bidi";
  if (cp >= 0x2066 && cp <= 0x2069) return "bidi";
  return "noncharacter";
}

/** The first problem of a text (before normalisation), or null when the gate lets it through. */
export function findTextProblem(text: string, kind: TextKind = {}): TextProblem | null {
  if (PLAIN_ASCII.test(text)) return null;
  const refused = kind.multiline ? MULTI_LINE_REFUSED : ONE_LINE_REFUSED;
  const match = refused.exec(kind.multiline ? unifyLineBreaks(text) : text);
  return match ? classify(match[0]) : null;
}

/** The Chinese wording of a problem; `label` names the field (`购买方名称`), or is left out. */
export function textProblemMessage(problem: TextProblem, label = ""): string {
  switch (problem) {
    case "line_break":
      return `${label}不能换行（不能包含回车、换行或分行符）`;
    case "control":
      return `${label}不能包含控制字符（如 NUL、制表符、ESC、DEL）`;
    case "bidi":
      return `${label}不能包含文字方向控制字符（如 U+202E）`;
    case "noncharacter":
      return `${label}不能包含非字符码位（如 U+FFFF）`;
    case "surrogate":
      return `${label}包含无效的 Unicode 字符（不成对的代理项）`;
  }
}

function unifyLineBreaks(text: string): string {
  return text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
}

export type CleanText = { ok: true; value: string } | { ok: false; problem: TextProblem };

/**
 * The gate: refuses what the field may not hold, then NFC-normalises and trims. A multi-line
 * field's CR LF and lone CR become LF. Plain ASCII, the common case, costs one regex test.
 */
export function cleanText(text: string, kind: TextKind = {}): CleanText {
  if (PLAIN_ASCII.test(text)) return { ok: true, value: text.trim() };
  const unified = kind.multiline ? unifyLineBreaks(text) : text;
  const match = (kind.multiline ? MULTI_LINE_REFUSED : ONE_LINE_REFUSED).exec(unified);
  if (match) return { ok: false, problem: classify(match[0]) };
  return { ok: true, value: unified.normalize("NFC").trim() };
}

/**
 * Full-width forms folded to their ASCII ones (NFKC): what a Chinese IME types in full-width mode
 * — `１３８…`, `＠`, `Ｈ`, `－`, `（` — becomes `138…`, `@`, `H`, `-`, `(`. For every field that holds
 * an identifier or digits (DOMAIN.md §6): tax IDs, e-mail addresses, mobile and phone numbers, bank
 * accounts. Apply after the gate.
 */
export function foldWidth(text: string): string {
  return PLAIN_ASCII.test(text) ? text : text.normalize("NFKC");
}

/**
 * An identifier as people type it (tax IDs, DOMAIN.md §6): full-width characters from a Chinese
 * IME folded (NFKC: `９１４４…Ｈ` → `9144…H`), white space removed, uppercase. Apply after the gate.
 */
export function normalizeIdentifier(text: string): string {
  return foldWidth(text).replace(/\s+/gu, "").toUpperCase();
}
