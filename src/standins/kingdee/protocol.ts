/**
 * What the 金蝶 stand-in plays: the codec and the answer codes of 金蝶发票云旗舰版 (CHANNELS.md §2,
 * §7.5). It is written apart from the adapter on purpose (a shared mistake would pass both sides);
 * the codec is checked against the published vector in standin.test.ts.
 *
 * Codes Kingdee does not publish are the SAME guesses as the adapter's table
 * (src/modules/invoices/channels/kingdee/mapping.ts); when a real tenant shows a code, correct both.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

export const CODES = {
  ok: "0",
  /** Sourced: a serialNo seen before. */
  duplicate: "10127",
  /** Sourced as a label: 风控. */
  risk: "30001",
  /** [G] envelope errors (bad JSON, requestId, unknown interfaceCode). */
  badRequest: "10001",
  /** [G] an unknown or expired access_token. */
  tokenInvalid: "401",
  /** [G] `data` not decodable with the tenant's 加密策略. */
  codec: "10010",
  /** [G] businessSystemCode not registered. */
  unknownSystem: "10011",
  /** [G] invoice fields refused (validation). */
  invalidInvoice: "10100",
  /** [G] ALLE.INVOICE.QUERY of an unknown serial. */
  notFound: "10404",
  /** [G] rate limited (when the scenario answers with a code rather than HTTP 429). */
  rateLimited: "10429",
  /** [G] the 电子税局 session is logged out / 实人认证 is due. */
  loggedOut: "20001",
  faceAuth: "20002",
  /** [G] red: the blue invoice is unknown, or already reversed / has a red in progress. */
  blueNotFound: "10201",
  blueTaken: "10202",
  /** [G] an issue that failed at the bureau, as the query reports it. */
  issueFailed: "30002",
} as const;

/** [G] invoiceStatus values (the 税控 callback's: 0 正常, 2 待开, 3 红冲, 6 作废); "4" = 签章失败 is a guess. */
export const INVOICE_STATUS = {
  issued: "0",
  pending: "2",
  reversed: "3",
  sealFailed: "4",
  voided: "6",
} as const;

export type Encryption = "base64" | "aes";

export function keyOf(password: string): Buffer {
  return createHash("sha1")
    .update(createHash("sha1").update(Buffer.from(password, "utf8")).digest())
    .digest()
    .subarray(0, 16);
}

export function encodeData(
  text: string,
  encryption: Encryption,
  password: string,
  iv = randomBytes(12),
): string {
  if (encryption === "base64") return Buffer.from(text, "utf8").toString("base64");
  const cipher = createCipheriv("aes-128-gcm", keyOf(password), iv);
  const sealed = Buffer.concat([cipher.update(Buffer.from(text, "utf8")), cipher.final()]);
  return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString("base64");
}

/** null when the data is not valid for the tenant's codec. */
export function decodeData(data: unknown, encryption: Encryption, password: string): string | null {
  if (typeof data !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) return null;
  const bytes = Buffer.from(data, "base64");
  try {
    if (encryption === "base64") return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    if (bytes.length < 28) return null;
    const decipher = createDecipheriv("aes-128-gcm", keyOf(password), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const plain = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
    return new TextDecoder("utf-8", { fatal: true }).decode(plain);
  } catch {
    return null;
  }
}

/** GBK byte length as the bureau counts it: ASCII 1 byte, anything else 2. */
export function gbkBytes(text: string): number {
  let n = 0;
  for (const ch of text) n += (ch.codePointAt(0) ?? 0) < 0x80 ? 1 : 2;
  return n;
}
