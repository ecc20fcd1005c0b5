/**
 * Text no field may store (the text gate, src/domain/text.ts), and dates PostgreSQL cannot or should
 * not hold, for tests that send them everywhere.
 */
export const BAD_TEXT: ReadonlyArray<{ name: string; text: string; lineBreak?: boolean }> = [
  { name: "NUL", text: "\u0000" },
  { name: "SOH", text: "\u0001" },
  { name: "ESC", text: "\u001b" },
  { name: "DEL", text: "\u007f" },
  { name: "NEL", text: "\u0085" },
  { name: "U+2028", text: "\u2028" },
  { name: "U+202E", text: "\u202e" },
  { name: "lone surrogate", text: "\ud800" },
  { name: "U+FFFF", text: "\uffff" },
  // Allowed in multi-line fields (a remark), refused in every other.
  { name: "CR", text: "\r", lineBreak: true },
  { name: "LF", text: "\n", lineBreak: true },
];

/** Years outside 1970–9999, put in place of a valid date's year. */
export const BAD_YEARS = ["0000", "0001", "10000"] as const;

/** `text` with `bad` in its middle, so the rest of a valid value stays as it was. */
export function insertInto(text: string, bad: string): string {
  const at = Math.ceil(text.length / 2);
  return `${text.slice(0, at)}${bad}${text.slice(at)}`;
}

/** The bytes a program would write for a text with lone surrogates (WTF-8): invalid UTF-8. */
export function wtf8(text: string): Buffer {
  const parts: Buffer[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      parts.push(Buffer.from([0xed, 0xa0 | ((cp >> 6) & 0x1f), 0x80 | (cp & 0x3f)]));
    } else parts.push(Buffer.from(ch, "utf8"));
  }
  return Buffer.concat(parts);
}

/** Percent-encoding that does not throw on a lone surrogate: it becomes its (invalid) WTF-8 bytes. */
export function urlEncode(text: string): string {
  let out = "";
  for (const byte of wtf8(text)) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.~-]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
