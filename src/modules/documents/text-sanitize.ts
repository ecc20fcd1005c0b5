/**
 * Text from consumers and merchant systems can contain anything. XML 1.0 forbids most C0 control
 * characters, unpaired surrogates and U+FFFE/U+FFFF outright (a parser rejects the whole file), and
 * in a PDF they print as empty boxes. They never carry meaning on an invoice, so both renderers drop
 * them rather than refuse the document: an invoice that was validly issued must always be printable.
 */

// C0 controls except tab, line feed and carriage return; the two XML non-characters; lone surrogates.
const FORBIDDEN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this pattern's job.
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Removes characters that XML 1.0 cannot carry; keeps tab, line feed and carriage return. */
export function stripForbiddenChars(text: string): string {
  return text.replace(FORBIDDEN, "");
}

/** One printable line: forbidden characters dropped, any run of whitespace (line breaks too) made one space. */
export function singleLine(text: string | undefined): string {
  if (!text) return "";
  return stripForbiddenChars(text)
    .replace(/[\s\u0085\u2028\u2029]+/g, " ")
    .trim();
}

/** Printable paragraphs: line breaks kept (CR LF and CR become LF), other whitespace runs made one space. */
export function multiLine(text: string | undefined): string {
  if (!text) return "";
  return stripForbiddenChars(text)
    .replace(/\r\n?|[\u0085\u2028\u2029]/g, "\n")
    .replace(/[^\S\n]+/g, " ")
    .trim();
}
