import { createHash, randomBytes } from "node:crypto";

/**
 * The JS-SDK's config signature, as WeChat documents it (JS-SDK 说明文档, 附录1 签名算法): the fields
 * `noncestr`, `jsapi_ticket`, `timestamp` and `url` (the page's address without its `#` part) as
 * `key=value`, sorted by key in ASCII order, joined by `&`, and SHA-1 of that in lowercase hex.
 */
export function jsapiSignature(input: {
  ticket: string;
  nonceStr: string;
  timestamp: number | string;
  url: string;
}): string {
  const fields: Record<string, string> = {
    jsapi_ticket: input.ticket,
    noncestr: input.nonceStr,
    timestamp: String(input.timestamp),
    url: withoutFragment(input.url),
  };
  const text = Object.keys(fields)
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join("&");
  return createHash("sha1").update(text, "utf8").digest("hex");
}

export function withoutFragment(url: string): string {
  const hash = url.indexOf("#");
  return hash < 0 ? url : url.slice(0, hash);
}

/** 16 letters and digits: WeChat's own examples use this shape. */
export function newNonceStr(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(randomBytes(16), (b) => alphabet[b % alphabet.length]).join("");
}

/** What the page hands to `wx.config`. */
export interface JssdkConfig {
  appId: string;
  timestamp: number;
  nonceStr: string;
  signature: string;
  jsApiList: string[];
}
