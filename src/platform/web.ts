import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import fastifyStatic from "@fastify/static";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { HttpServer } from "./http";
import { inlineScriptHashes, pagePolicy } from "./security-headers";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const webSourceDir = path.join(root, "web");
export const webBuildDir = path.join(root, "dist/web");
/** Where WeChat serves its JS-SDK (web/scan/wechat-title.ts loads it, inside WeChat only). */
export const WECHAT_JSSDK_ORIGIN = "https://res.wx.qq.com";

/**
 * Builds the console and the consumer page with Vite when the build is missing or older than its
 * sources, so `npm start` on a fresh clone (or after editing web/) serves current pages.
 */
export async function ensureWebBuilt(log: (msg: string) => void = () => {}): Promise<void> {
  if (!isBuildStale()) return;
  log("building the web pages (vite)…");
  // Vite and the pages' libraries are dev dependencies: an install with --omit=dev (the image)
  // must bring its pages built.
  const { build } = await import("vite").catch(() => {
    throw new Error(
      `the web pages are not built (${webBuildDir}) and Vite is not installed: run npm ci, or npm run build:web where it is`,
    );
  });
  // Always a production build: under a test runner NODE_ENV is "test", and Vite would then bundle
  // React's development build (about 1.4 MB of script on the console's first load instead of a
  // few hundred KB). NODE_ENV is the process's own, so it is put back afterwards.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ configFile: path.join(root, "vite.config.ts"), logLevel: "warn", mode: "production" });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

/** Whether dist/web was built for production (vite.config.ts writes build.json). */
export function isProductionBuild(): boolean {
  try {
    return JSON.parse(fs.readFileSync(path.join(webBuildDir, "build.json"), "utf8")).production === true;
  } catch {
    return false;
  }
}

function isBuildStale(): boolean {
  const built = mtimeOf(path.join(webBuildDir, "admin/index.html"));
  if (
    built === 0 ||
    mtimeOf(path.join(webBuildDir, "scan/index.html")) === 0 ||
    mtimeOf(path.join(webBuildDir, "my/index.html")) === 0
  )
    return true;
  // A container image ships the built pages without their sources: nothing to compare with.
  if (!fs.existsSync(webSourceDir)) return false;
  if (!isProductionBuild()) return true;
  return newestMtime(webSourceDir) > built || mtimeOf(path.join(root, "vite.config.ts")) > built;
}

function mtimeOf(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, mtimeOf(path.join(entry.parentPath, entry.name)));
  }
  return newest;
}

/** What the consumer page at /s/{token} is given with its HTML: the receipt, or the error page to show. */
export type ScanPageData =
  | { receipt: unknown }
  | { error: { code: string; status: number; message: string; details?: unknown } };

export interface WebOptions {
  /**
   * The receipt behind a token (counted as a scan), embedded in the consumer page's HTML, so the
   * form needs no request of its own. Without it the page asks `GET /api/scan/{token}` itself.
   */
  scanPageData?: (token: string, req: FastifyRequest) => Promise<{ status: number; data: ScanPageData }>;
}

/**
 * JSON placed inside a `<script type="application/json">`: `<` `>` `&` and the two JavaScript line
 * separators are escaped, so no text (a merchant's item name, a footer) can close the element or
 * start markup; `JSON.parse` reads the escapes back as the same characters.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Brotli when the browser offers it (all current ones do over HTTPS and on localhost), else gzip. */
function pickEncoding(req: FastifyRequest): "br" | "gzip" | null {
  const accepted = String(req.headers["accept-encoding"] ?? "");
  if (/\bbr\b/.test(accepted)) return "br";
  if (/\bgzip\b/.test(accepted)) return "gzip";
  return null;
}

/** A page's bytes in each encoding: the static pages are compressed once, at start. */
interface EncodedPage {
  identity: Buffer;
  br: Buffer;
  gzip: Buffer;
}

function encodePage(body: Buffer): EncodedPage {
  return {
    identity: body,
    br: zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }),
    gzip: zlib.gzipSync(body, { level: 9 }),
  };
}

function sendEncoded(req: FastifyRequest, reply: FastifyReply, page: EncodedPage) {
  const encoding = pickEncoding(req);
  reply.header("vary", "accept-encoding");
  if (encoding) reply.header("content-encoding", encoding);
  return reply.send(encoding ? page[encoding] : page.identity);
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/** Serves the built pages: the console under /admin, the consumer page at /s/{token}, 我的发票 at /my. */
export async function registerWeb(app: HttpServer, options: WebOptions = {}): Promise<void> {
  if (!fs.existsSync(path.join(webBuildDir, "admin/index.html"))) {
    throw new Error(`web pages are not built (${webBuildDir}); run npm run build:web`);
  }
  const adminHtml = fs.readFileSync(path.join(webBuildDir, "admin/index.html"));
  const scanHtml = fs.readFileSync(path.join(webBuildDir, "scan/index.html"), "utf8");
  const myHtml = fs.readFileSync(path.join(webBuildDir, "my/index.html"));

  await app.register(fastifyStatic, {
    root: path.join(webBuildDir, "assets"),
    prefix: "/assets/",
    // File names carry a content hash: cache them forever.
    immutable: true,
    maxAge: "365d",
    index: false,
    wildcard: true,
    // The build wrote .br and .gz copies (vite.config.ts); the one the browser accepts is sent.
    preCompressed: true,
  });

  // Each page's policy allows exactly its own inline scripts (the consumer page's nomodule notice);
  // the consumer page's embedded data is a JSON block, which is never run, so it needs no hash.
  const htmlHeaders = (reply: FastifyReply, policy: string) =>
    reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-cache")
      .header("content-security-policy", policy);
  const adminPage = encodePage(adminHtml);
  const adminPolicy = pagePolicy(inlineScriptHashes(adminHtml.toString("utf8")));
  const sendAdmin = async (req: FastifyRequest, reply: FastifyReply) =>
    sendEncoded(req, htmlHeaders(reply, adminPolicy), adminPage);

  // 我的发票: a static page (the session is a cookie only its API reads).
  const myPage = encodePage(myHtml);
  const myPolicy = pagePolicy(inlineScriptHashes(myHtml.toString("utf8")));
  const sendMy = async (req: FastifyRequest, reply: FastifyReply) =>
    sendEncoded(req, htmlHeaders(reply, myPolicy), myPage);

  const scanPolicy = pagePolicy(inlineScriptHashes(scanHtml), [WECHAT_JSSDK_ORIGIN]);
  // The data goes right after the page's <main>, before the module script reads it.
  const at = scanHtml.indexOf("</main>") + "</main>".length;
  const [scanHead, scanTail] = at > 6 ? [scanHtml.slice(0, at), scanHtml.slice(at)] : [scanHtml, ""];
  const bareScanPage = encodePage(Buffer.from(scanHtml));
  const sendScan = async (req: FastifyRequest<{ Params: { token?: string } }>, reply: FastifyReply) => {
    htmlHeaders(reply, scanPolicy);
    const token = req.params.token ?? "";
    // Without a token the page itself says what to do; a token of the wrong shape is never looked up.
    if (!options.scanPageData || !TOKEN_PATTERN.test(token)) return sendEncoded(req, reply, bareScanPage);
    const { status, data } = await options.scanPageData(token, req);
    const body = Buffer.from(
      `${scanHead}\n<script type="application/json" id="scan-data">${embedJson(data)}</script>${scanTail}`,
    );
    // Per request, so only the encoding asked for, at a fast brotli level: a few kilobytes take
    // well under a millisecond.
    const encoding = pickEncoding(req);
    reply.status(status).header("vary", "accept-encoding");
    if (!encoding) return reply.send(body);
    reply.header("content-encoding", encoding);
    return reply.send(
      encoding === "br"
        ? zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } })
        : zlib.gzipSync(body, { level: 6 }),
    );
  };

  const hidden = { schema: { hide: true } };
  app.get("/", hidden, async (_req, reply) => reply.redirect("/admin/"));
  app.get("/admin", hidden, sendAdmin);
  app.get("/admin/*", hidden, sendAdmin);
  app.get("/s", hidden, sendScan);
  app.get("/s/:token", hidden, sendScan);
  // 门店码 (`/m/{storeToken}`) and a submission waiting there (`/m/p/{token}`): the same page, its own data.
  const sendBareScan = async (req: FastifyRequest, reply: FastifyReply) =>
    sendEncoded(req, htmlHeaders(reply, scanPolicy), bareScanPage);
  app.get("/m/:token", hidden, sendBareScan);
  app.get("/m/p/:token", hidden, sendBareScan);
  app.get("/my", hidden, sendMy);
  app.get("/my/*", hidden, sendMy);
}

/** The consumer page of a receipt code: what its QR carries (`PUBLIC_URL/s/{token}`). */
export function consumerUrl(ctx: { config: { publicUrl: string } }, token: string): string {
  return `${ctx.config.publicUrl}/s/${token}`;
}
