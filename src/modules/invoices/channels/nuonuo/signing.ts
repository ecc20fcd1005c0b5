import { createHmac, randomInt, randomUUID } from "node:crypto";

/**
 * 诺诺 open-platform request signing (CHANNELS.md §1.4): the URL path `/open/v1/services` split
 * into p / l / a, then `a=…&l=…&p=…&k={appKey}&i={senid}&n={nonce}&t={timestamp}&f={body}` with the
 * body exactly as sent, HMAC-SHA1 keyed by the appSecret, Base64. The body must be serialised once
 * and those same bytes sent.
 */
export interface SignInput {
  /** The gateway path, e.g. `/open/v1/services`. */
  path: string;
  appKey: string;
  appSecret: string;
  senid: string;
  nonce: string;
  /** Seconds since the epoch, as sent in the query string. */
  timestamp: string;
  /** The exact request body. */
  body: string;
}

export function signedText(input: Omit<SignInput, "appSecret">): string {
  const [p = "", l = "", a = ""] = input.path.split("/").filter(Boolean);
  return `a=${a}&l=${l}&p=${p}&k=${input.appKey}&i=${input.senid}&n=${input.nonce}&t=${input.timestamp}&f=${input.body}`;
}

export function nuonuoSign(input: SignInput): string {
  return createHmac("sha1", Buffer.from(input.appSecret, "utf8"))
    .update(Buffer.from(signedText(input), "utf8"))
    .digest("base64");
}

/**
 * A 32-character transport id (not a business key): a UUID without its dashes, as 诺诺's own SDKs
 * make it — and randomUUID draws from a cached pool, where a randomBytes call per request did not.
 */
export function newSenid(): string {
  return randomUUID().replaceAll("-", "");
}

/** An 8-digit positive integer, as the docs ask ("8位随机正整数"). */
export function newNonce(): string {
  return String(randomInt(10_000_000, 100_000_000));
}
