import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { isGlobalUnicast } from "./ip-address";

/**
 * Piaoma's own calls to merchants (3.1.02 order query, webhooks): POST with a deadline and a cap on
 * the answer. Unless private targets are allowed, every address the host resolves to is checked at
 * connect time (in the socket's own lookup, so a DNS answer cannot change between check and
 * connect), and literal IPs before connecting: only global unicast addresses pass
 * (src/platform/ip-address.ts) — a merchant-set URL must not reach into the server's own network,
 * whatever spelling it uses. Redirects are not followed (a redirect could point anywhere).
 */

export class OutboundError extends Error {
  constructor(
    readonly kind: "blocked" | "timeout" | "network" | "too_large" | "bad_url",
    message: string,
  ) {
    super(message);
    this.name = "OutboundError";
  }
}

export interface OutboundResponse {
  status: number;
  body: Buffer;
}

/** Why an address is refused, for people; used at connect time and when a URL is saved. */
const notPublic = (what: string) => `${what} 是本机、内网或保留地址，已拒绝`;

/**
 * The check run when a merchant URL is saved (console, `org:create`): an IP literal must be global
 * unicast (src/platform/ip-address.ts), and a hostname must resolve, every one of its addresses global
 * unicast. The same check runs again at connect time, so a name that later resolves elsewhere (DNS
 * rebinding) is still refused. Returns the reason in Chinese, or null when the URL may be saved.
 */
export async function checkMerchantUrl(
  url: string,
  options: { allowPrivate: boolean; resolveTimeoutMs?: number },
): Promise<string | null> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return "地址无效";
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") return "只支持 http(s) 地址";
  if (options.allowPrivate) return null;
  const allowHint = "（可由部署方设置 PIAOMA_ALLOW_PRIVATE_URLS=true 放开）";
  const host = target.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (net.isIP(host))
    return isGlobalUnicast(host) ? null : `不能指向本机或内网地址：${notPublic(host)}${allowHint}`;
  if (host === "localhost" || host.endsWith(".localhost")) return `不能指向本机或内网地址${allowHint}`;
  let addresses: dns.LookupAddress[];
  try {
    addresses = await withTimeout(
      dns.promises.lookup(host, { all: true, verbatim: true }),
      options.resolveTimeoutMs ?? 5000,
    );
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return `无法解析域名 ${host}${code ? `（${code}）` : ""}，请确认地址`;
  }
  const bad = addresses.find((a) => !isGlobalUnicast(a.address));
  if (bad || addresses.length === 0)
    return `不能指向本机或内网地址：${host} 解析到 ${bad?.address ?? "(无)"}${allowHint}`;
  return null;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error("timeout"), { code: "ETIMEOUT" })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function guardedLookup(
  hostname: string,
  options: dns.LookupOptions,
  callback: (
    err: NodeJS.ErrnoException | null,
    address: string | dns.LookupAddress[],
    family?: number,
  ) => void,
): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, "");
    const list = addresses as dns.LookupAddress[];
    const bad = list.find((a) => !isGlobalUnicast(a.address));
    if (bad || list.length === 0) {
      const e = new OutboundError("blocked", `${hostname} 解析到 ${notPublic(bad?.address ?? "(无)")}`);
      return callback(e as NodeJS.ErrnoException, "");
    }
    if (options.all) return callback(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
}

export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; maxBytes: number; allowPrivate: boolean },
): Promise<OutboundResponse> {
  return send("POST", url, body, { "content-type": "application/json", ...headers }, options);
}

/** A POST of bytes with their content type (a multipart upload) under the same guards. */
export async function postBytes(
  url: string,
  body: Buffer,
  headers: Record<string, string>,
  options: { timeoutMs: number; maxBytes: number; allowPrivate: boolean },
): Promise<OutboundResponse> {
  return send("POST", url, body, { "content-length": String(body.length), ...headers }, options);
}

/**
 * A GET under the same guards (deadline, size cap, addresses checked at connect time, redirects
 * not followed: a 3xx comes back as it is, for the caller to refuse).
 */
export async function getBytes(
  url: string,
  options: { timeoutMs: number; maxBytes: number; allowPrivate: boolean },
): Promise<OutboundResponse> {
  return send("GET", url, undefined, {}, options);
}

/** A GET under the same rules (deadline, size cap, address checks): WeChat's token and ticket calls. */
export async function getJson(
  url: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; maxBytes: number; allowPrivate: boolean },
): Promise<OutboundResponse> {
  return send("GET", url, undefined, { accept: "application/json", ...headers }, options);
}

async function send(
  method: "GET" | "POST",
  url: string,
  body: string | Buffer | undefined,
  headers: Record<string, string>,
  options: { timeoutMs: number; maxBytes: number; allowPrivate: boolean },
): Promise<OutboundResponse> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new OutboundError("bad_url", `地址无效：${url}`);
  }
  if (target.protocol !== "http:" && target.protocol !== "https:")
    throw new OutboundError("bad_url", "只支持 http(s) 地址");
  const host = target.hostname.replace(/^\[|\]$/g, "");
  if (!options.allowPrivate && net.isIP(host) && !isGlobalUnicast(host))
    throw new OutboundError("blocked", notPublic(host));

  const client = target.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      target,
      {
        method,
        headers: { "user-agent": "piaoma", ...headers },
        ...(options.allowPrivate ? {} : { lookup: guardedLookup as never }),
        signal: AbortSignal.timeout(options.timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          if (tooLarge) return;
          size += chunk.length;
          if (size > options.maxBytes) {
            // Refused as too large, never answered as a cut-off body.
            tooLarge = true;
            reject(new OutboundError("too_large", `应答超过 ${options.maxBytes} 字节`));
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on("end", () => {
          if (!tooLarge) resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) });
        });
        res.on("error", (e) => reject(classify(e)));
      },
    );
    let tooLarge = false;
    req.on("error", (e) => reject(classify(e)));
    req.end(body);
  });
}

function classify(e: unknown): OutboundError {
  if (e instanceof OutboundError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err.name === "TimeoutError" || err.name === "AbortError" || err.code === "ABORT_ERR")
    return new OutboundError("timeout", "对方在时限内没有应答");
  const inner = (err as { cause?: unknown }).cause;
  if (inner instanceof OutboundError) return inner;
  return new OutboundError("network", `连接失败：${err.code ?? err.message}`);
}
