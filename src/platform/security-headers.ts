import { createHash } from "node:crypto";
import type { HttpServer } from "./http";

/**
 * The policy of every HTML page (the console, the consumer page, /docs, the signed link's error
 * page): scripts only from our own files (plus the hashes of a page's own inline scripts), nothing
 * framed by another site. Styles allow 'unsafe-inline' because antd (CSS-in-JS) and Swagger UI insert
 * <style> elements at run time; an injected style cannot run code. `blob:` frames are the console's
 * invoice preview (a PDF fetched with the session and shown in an iframe). `scriptOrigins`: the
 * consumer page may load WeChat's JS-SDK (only inside WeChat, for an organization with a 公众号).
 */
export function pagePolicy(scriptHashes: string[] = [], scriptOrigins: string[] = []): string {
  return [
    "default-src 'self'",
    `script-src 'self'${scriptOrigins.map((o) => ` ${o}`).join("")}${scriptHashes.map((h) => ` '${h}'`).join("")}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "frame-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Anything that is not a page (JSON, XML, CSV): nothing may load or run even if a browser renders it. */
const NON_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'";

/** `sha256-…` of each inline <script> of a page, for its script-src. */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (/\bsrc\s*=/i.test(m[1] ?? "")) continue;
    hashes.push(
      `sha256-${createHash("sha256")
        .update(m[2] ?? "", "utf8")
        .digest("base64")}`,
    );
  }
  return hashes;
}

/**
 * Headers on every answer: no MIME sniffing, no Referer (the consumer page's URL carries the
 * receipt-code token, and so would the Referer of any request it makes), and a Content-Security-
 * Policy unless the route set its own. PDFs get none: Chrome's PDF viewer runs inside the
 * document's policy.
 */
export function registerSecurityHeaders(app: HttpServer): void {
  // A plain callback, not an async function: no promise per request.
  app.addHook("onSend", (_req, reply, payload, done) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    const type = String(reply.getHeader("content-type") ?? "");
    if (type.startsWith("text/html")) {
      reply.header("x-frame-options", "DENY");
      if (!reply.hasHeader("content-security-policy")) reply.header("content-security-policy", pagePolicy());
    } else if (!type.startsWith("application/pdf") && !reply.hasHeader("content-security-policy")) {
      reply.header("content-security-policy", NON_PAGE_POLICY);
    }
    done(null, payload);
  });
}
