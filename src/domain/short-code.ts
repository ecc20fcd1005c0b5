/**
 * 开票码: the short code printed under a receipt's QR, typed on `/s` when the QR cannot be scanned.
 * 6 characters from an alphabet without look-alikes: no 0, O, 1, I or L, and no S or Z (so 5 and 2
 * cannot be misread). What a consumer types is read leniently (case, spaces and dashes do not
 * matter). Drawing one is the server's (node:crypto, src/platform/ids.ts); the migration's SQL
 * function draws from the same alphabet.
 */
export const SHORT_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRTUVWXY";
export const SHORT_CODE_LENGTH = 6;
/** 29⁶ = 594,823,321 codes (README "开票码"). */
export const SHORT_CODE_SPACE = SHORT_CODE_ALPHABET.length ** SHORT_CODE_LENGTH;

const VALID = new RegExp(`^[${SHORT_CODE_ALPHABET}]{${SHORT_CODE_LENGTH}}$`);

/** The code as typed → its canonical form, or null when it cannot be a short code. */
export function normalizeShortCode(typed: string): string | null {
  const code = typed.replace(/[\s\-－—_]/g, "").toUpperCase();
  return VALID.test(code) ? code : null;
}

/** As printed and shown: two groups of three ("ABC 234"), easier to read aloud and type. */
export function formatShortCode(code: string): string {
  return `${code.slice(0, 3)} ${code.slice(3)}`;
}
