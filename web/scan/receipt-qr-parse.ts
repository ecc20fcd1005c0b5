/**
 * 合并开票's 扫一扫: what a scanned QR says. A receipt's QR holds the link to its page on this
 * installation (`{publicUrl}/s/{token}`); anything else — another site's link, a title QR, plain
 * text — is said to be not one, in words a consumer understands.
 */

/** A receipt page's token, as the server reads it from a pasted link (scan.merge.ts readAddedCode). */
const RECEIPT_PATH = /^\/s\/([A-Za-z0-9_-]{8,64})\/?$/;

export const NOT_A_RECEIPT = "这不是小票二维码，请扫描小票上的开票二维码";
export const OTHER_SITE = "这张小票不是本平台开具的，不能合并";

/** The decoded text → the link to add (as if pasted), or why it cannot be added; `host` is this page's. */
export function readReceiptQr(text: string, host: string): { value: string } | { message: string } {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return { message: NOT_A_RECEIPT };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { message: NOT_A_RECEIPT };
  if (!RECEIPT_PATH.test(url.pathname)) return { message: NOT_A_RECEIPT };
  if (url.host.toLowerCase() !== host.toLowerCase()) return { message: OTHER_SITE };
  return { value: url.href };
}
