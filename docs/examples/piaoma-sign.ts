/**
 * 票码开放接口签名助手（TypeScript / Node 18+，只用 node:crypto）。
 * Signing helpers for the Piaoma open API. Copy this file into your project.
 *
 *   X-Signature = hex(HMAC-SHA256(appSecret, METHOD\nPATH_WITH_QUERY\nTIMESTAMP\nNONCE\nSHA256_HEX(BODY)))
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export function sha256Hex(body: string | Buffer): string {
  return createHash("sha256").update(body).digest("hex");
}

/** The string that is signed: five lines joined by "\n". */
export function stringToSign(
  method: string,
  pathWithQuery: string,
  timestamp: string,
  nonce: string,
  body: string | Buffer,
): string {
  return `${method.toUpperCase()}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${sha256Hex(body)}`;
}

export function sign(
  appSecret: string,
  method: string,
  pathWithQuery: string,
  timestamp: string,
  nonce: string,
  body: string | Buffer,
): string {
  return createHmac("sha256", appSecret)
    .update(stringToSign(method, pathWithQuery, timestamp, nonce, body))
    .digest("hex");
}

/** The four headers for a request to /open/v1 (a fresh timestamp and nonce each time). */
export function signedHeaders(
  appKey: string,
  appSecret: string,
  method: string,
  pathWithQuery: string,
  body: string,
): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString("hex");
  return {
    "X-App-Key": appKey,
    "X-Timestamp": timestamp,
    "X-Nonce": nonce,
    "X-Signature": sign(appSecret, method, pathWithQuery, timestamp, nonce, body),
  };
}

type Headers = Record<string, string | string[] | undefined>;

/**
 * A header's value whatever the case of its name: Node gives lower-case names, other code may keep
 * "X-Timestamp". Repeated headers are joined with ",".
 */
function header(headers: Headers, name: string): string {
  let value = headers[name];
  if (value === undefined) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : headers[key];
  }
  return Array.isArray(value) ? value.join(",") : (value ?? "");
}

/**
 * Checks a request Piaoma sent you (3.1.02 order query, webhook). Pass the raw body bytes and the
 * path with query exactly as received. Also refuse timestamps more than 300 s away and nonces you
 * have already seen.
 */
export function verify(
  appSecret: string,
  headers: Headers,
  method: string,
  pathWithQuery: string,
  rawBody: string | Buffer,
): boolean {
  const timestamp = header(headers, "x-timestamp");
  const nonce = header(headers, "x-nonce");
  const given = Buffer.from(header(headers, "x-signature"));
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = Buffer.from(sign(appSecret, method, pathWithQuery, timestamp, nonce, rawBody));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Checks a webhook from Piaoma with every secret you hold, by App Key — during a rotation both the
 * old and the new one. Piaoma signs each webhook with every active key of your organization and
 * lists the signatures in `X-Signatures: appKey=signature,appKey=signature…` (the newest key is
 * also in X-App-Key / X-Signature). Same rules as verify: raw body, path as received, ±300 s.
 */
export function verifyWithKeys(
  secrets: Record<string, string>,
  headers: Headers,
  method: string,
  pathWithQuery: string,
  rawBody: string | Buffer,
): boolean {
  const timestamp = header(headers, "x-timestamp");
  const nonce = header(headers, "x-nonce");
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const candidates: Array<[string, string]> = [
    [header(headers, "x-app-key"), header(headers, "x-signature")],
  ];
  for (const entry of header(headers, "x-signatures").split(",")) {
    const i = entry.indexOf("=");
    if (i > 0) candidates.push([entry.slice(0, i).trim(), entry.slice(i + 1).trim()]);
  }
  return candidates.some(([appKey, signature]) => {
    const secret = Object.hasOwn(secrets, appKey) ? secrets[appKey] : undefined;
    if (!secret) return false;
    const given = Buffer.from(signature);
    const expected = Buffer.from(sign(secret, method, pathWithQuery, timestamp, nonce, rawBody));
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** 3.1.01: sig over the other parameters sorted by name, k=v joined with &, values not URL-encoded. */
export function signLink(appSecret: string, params: Record<string, string | undefined>): string {
  const text = Object.keys(params)
    .filter((k) => k !== "sig" && params[k])
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join("&");
  return createHmac("sha256", appSecret).update(text).digest("hex");
}

/** A complete 3.1.01 link: https://host/q/{appKey}?o=…&a=…&t=…&d=…&sig=… */
export function buildLink(
  baseUrl: string,
  appKey: string,
  appSecret: string,
  params: { o: string; a: string; t: string; d?: string },
): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) query.set(k, v);
  query.set("sig", signLink(appSecret, params));
  return `${baseUrl.replace(/\/+$/, "")}/q/${encodeURIComponent(appKey)}?${query}`;
}
