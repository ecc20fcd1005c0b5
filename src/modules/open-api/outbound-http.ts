import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import net from "node:net";

/**
 * Piaoma's own calls to merchants (3.1.02 order query, webhooks): POST with a deadline and a cap on
 * the answer. Unless private targets are allowed, every address the host resolves to is checked at
 * connect time (in the socket's own lookup, so a DNS answer cannot change between check and
 * connect), and literal IPs before connecting: no loopback, private, link-local or other internal
 * ranges — a merchant-set URL must not reach into the server's own network. Redirects are not
 * followed (a redirect could point anywhere).
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

const internal = new net.BlockList();
for (const [net4, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  internal.addSubnet(net4, prefix, "ipv4");
for (const [net6, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["2001:db8::", 32],
  ["64:ff9b::", 96],
] as const)
  internal.addSubnet(net6, prefix, "ipv6");

/** True for addresses a merchant URL must not reach (IPv4-mapped IPv6 is checked as IPv4). */
export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return internal.check(mapped[1]!, "ipv4");
  const family = net.isIP(address);
  if (family === 0) return true;
  return internal.check(address, family === 4 ? "ipv4" : "ipv6");
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
    const bad = list.find((a) => isInternalAddress(a.address));
    if (bad || list.length === 0) {
      const e = new OutboundError("blocked", `${hostname} 解析到内网地址 ${bad?.address ?? "(无)"}，已拒绝`);
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
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new OutboundError("bad_url", `地址无效：${url}`);
  }
  if (target.protocol !== "http:" && target.protocol !== "https:")
    throw new OutboundError("bad_url", "只支持 http(s) 地址");
  const host = target.hostname.replace(/^\[|\]$/g, "");
  if (!options.allowPrivate && net.isIP(host) && isInternalAddress(host))
    throw new OutboundError("blocked", `${host} 是内网地址，已拒绝`);

  const client = target.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      target,
      {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "piaoma", ...headers },
        ...(options.allowPrivate ? {} : { lookup: guardedLookup as never }),
        signal: AbortSignal.timeout(options.timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) {
            req.destroy(new OutboundError("too_large", `应答超过 ${options.maxBytes} 字节`));
            return;
          }
          chunks.push(chunk);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on("error", (e) => reject(classify(e)));
      },
    );
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
