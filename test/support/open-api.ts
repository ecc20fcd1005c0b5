import http from "node:http";
import type { AddressInfo } from "node:net";
import { systemActor } from "../../src/context";
import { createCredentials } from "../../src/modules/credentials/credentials.service";
import { signedHeaders } from "../../src/platform/signing";
import type { TestApp } from "./app";

export interface AppKeys {
  appKey: string;
  appSecret: string;
}

export async function makeCredentials(app: TestApp, orgId: string): Promise<AppKeys> {
  const c = await createCredentials(app.ctx, { actor: systemActor("test"), org: orgId });
  return { appKey: c.appKey, appSecret: c.appSecret };
}

/**
 * A request to /open/v1 signed as a merchant would sign it. `tamper` changes what is sent after
 * signing (or the headers), to check that each refusal has its own code.
 */
export function openRequest(
  app: TestApp,
  keys: AppKeys,
  request: { method: "GET" | "POST"; url: string; body?: unknown },
  tamper: {
    body?: string;
    url?: string;
    timestamp?: string;
    nonce?: string;
    appKey?: string;
    signature?: string;
  } = {},
) {
  const body = request.body === undefined ? "" : JSON.stringify(request.body);
  const headers = signedHeaders(keys.appKey, keys.appSecret, {
    method: request.method,
    pathWithQuery: request.url,
    body,
    timestamp: tamper.timestamp,
    nonce: tamper.nonce,
  });
  if (tamper.appKey) headers["x-app-key"] = tamper.appKey;
  if (tamper.signature) headers["x-signature"] = tamper.signature;
  const payload = tamper.body ?? body;
  return app.http.inject({
    method: request.method,
    url: tamper.url ?? request.url,
    headers: { ...headers, ...(payload ? { "content-type": "application/json" } : {}) },
    ...(payload ? { payload } : {}),
  });
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface MerchantServer {
  url: string;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on loopback standing in for a merchant's system (order query, webhook
 * receiver). The handler answers each request; everything received is kept for assertions.
 */
export async function startMerchant(
  handler: (req: ReceivedRequest, res: http.ServerResponse, index: number) => unknown,
): Promise<MerchantServer> {
  const received: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      received.push(r);
      Promise.resolve(handler(r, res, received.length - 1)).catch(() => {
        res.statusCode = 500;
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
