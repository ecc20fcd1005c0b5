import { hmacSha256Hex, safeEqual, sha256Hex } from "./crypto";

/**
 * The signing rules of API.md §1, shared by the server (verifying merchants' requests), the
 * order-query client and the webhook sender (signing Piaoma's own requests), and the tests that
 * check the merchant guide's worked example. Pure functions: no clock, no database.
 */

export const SIGNATURE_WINDOW_SECONDS = 300;
/** 16–64 visible ASCII characters (API.md); no spaces, so a header cannot be padded ambiguously. */
export const NONCE_PATTERN = /^[\x21-\x7E]{16,64}$/;

export interface SignedRequest {
  method: string;
  /** The path with its query string, exactly as sent on the request line (percent-encoded). */
  pathWithQuery: string;
  timestamp: string;
  nonce: string;
  body: Buffer | string;
}

/** `METHOD\nPATH_WITH_QUERY\nTIMESTAMP\nNONCE\nSHA256_HEX(BODY)` */
export function stringToSign(r: SignedRequest): string {
  return [r.method.toUpperCase(), r.pathWithQuery, r.timestamp, r.nonce, sha256Hex(r.body)].join("\n");
}

export function signRequest(appSecret: string, r: SignedRequest): string {
  return hmacSha256Hex(appSecret, stringToSign(r));
}

/** The four headers of a signed request. */
export function signedHeaders(
  appKey: string,
  appSecret: string,
  r: Omit<SignedRequest, "timestamp" | "nonce"> & { timestamp?: string; nonce?: string },
): Record<string, string> {
  const timestamp = r.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = r.nonce ?? randomNonce();
  return {
    "x-app-key": appKey,
    "x-timestamp": timestamp,
    "x-nonce": nonce,
    "x-signature": signRequest(appSecret, { ...r, timestamp, nonce }),
  };
}

/**
 * Piaoma's own webhook requests carry, besides the four headers (signed with the first key, the
 * newest), `X-Signatures: appKey=signature,appKey=signature…` — the same string to sign (same
 * timestamp and nonce) signed with each given key. During a key rotation the merchant verifies
 * with whichever of its secrets it still has. API.md's four headers are unchanged.
 */
export function signedHeadersForKeys(
  keys: ReadonlyArray<{ appKey: string; appSecret: string }>,
  r: Omit<SignedRequest, "timestamp" | "nonce"> & { timestamp?: string; nonce?: string },
): Record<string, string> {
  const [first] = keys;
  if (!first) throw new Error("no key to sign with");
  const headers = signedHeaders(first.appKey, first.appSecret, r);
  const signed = { ...r, timestamp: headers["x-timestamp"]!, nonce: headers["x-nonce"]! };
  headers["x-signatures"] = keys.map((k) => `${k.appKey}=${signRequest(k.appSecret, signed)}`).join(",");
  return headers;
}

/** `X-Signatures` as app key → signature; entries without `=` are ignored. */
export function parseSignatures(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of (header ?? "").split(",")) {
    const i = entry.indexOf("=");
    if (i > 0)
      out.set(
        entry.slice(0, i).trim(),
        entry
          .slice(i + 1)
          .trim()
          .toLowerCase(),
      );
  }
  return out;
}

/**
 * A receiver's check of a request Piaoma signed, holding one key: valid when X-App-Key is that key
 * and X-Signature matches, or when X-Signatures has a matching signature for it.
 */
export function isSignedWithKey(
  key: { appKey: string; appSecret: string },
  headers: { appKey?: string; signature?: string; signatures?: string },
  r: SignedRequest,
): boolean {
  if (headers.appKey === key.appKey && isSignatureValid(key.appSecret, r, headers.signature ?? ""))
    return true;
  const listed = parseSignatures(headers.signatures).get(key.appKey);
  return listed !== undefined && isSignatureValid(key.appSecret, r, listed);
}

export function randomNonce(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

export function isSignatureValid(appSecret: string, r: SignedRequest, signature: string): boolean {
  // Lowercase hex only: anything else can never match, and safeEqual stays constant-time on length.
  return safeEqual(signRequest(appSecret, r), signature);
}

/** |now − timestamp| ≤ 300 s; the timestamp must be whole Unix seconds. */
export function isTimestampInWindow(timestamp: string, nowMs: number): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  return Math.abs(nowMs / 1000 - Number(timestamp)) <= SIGNATURE_WINDOW_SECONDS;
}

/**
 * 3.1.01: the string a signed link's `sig` covers — every other parameter sorted by name, `k=v`
 * joined with `&`, values as they are before URL-encoding. Empty optional parameters are left out.
 */
export function linkStringToSign(params: Record<string, string | undefined>): string {
  return Object.keys(params)
    .filter((k) => k !== "sig" && params[k] !== undefined && params[k] !== "")
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join("&");
}

export function signLinkParams(appSecret: string, params: Record<string, string | undefined>): string {
  return hmacSha256Hex(appSecret, linkStringToSign(params));
}

/** A complete 3.1.01 link, as a merchant's POS would print it. */
export function buildSignedLink(
  baseUrl: string,
  appKey: string,
  appSecret: string,
  params: { o: string; a: string; t: string; d?: string },
): string {
  const sig = signLinkParams(appSecret, params);
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...params, sig })) if (v) query.set(k, v);
  return `${baseUrl.replace(/\/+$/, "")}/q/${encodeURIComponent(appKey)}?${query.toString()}`;
}
