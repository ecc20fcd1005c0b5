import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  buildSignedLink,
  isSignedWithKey,
  isTimestampInWindow,
  parseSignatures,
} from "../../platform/signing";

/**
 * `piaoma demo-merchant`: a tiny merchant system for trying the open API locally, with no database
 * of its own. It answers 3.1.02 order queries for the orders it made up, receives webhooks, checks
 * every request Piaoma sends the way a real merchant must (signature, time window, nonce), and hands
 * out signed 3.1.01 links. Demo only: its orders live in memory.
 */

export const DEMO_MERCHANT_PORT = 4100;

export interface DemoMerchantOptions {
  appKey: string;
  appSecret: string;
  /** Where Piaoma is reached by the phone (links are built on it). */
  piaomaUrl: string;
  port?: number;
  host?: string;
  log?: (line: string) => void;
}

export interface DemoMerchant {
  url: string;
  /** A fresh order and the signed link for it. */
  newLink(): { orderNo: string; link: string };
  close(): Promise<void>;
}

interface DemoOrder {
  orderNo: string;
  deviceNo: string;
  totalAmount: string;
  lines: object[];
}

export async function startDemoMerchant(options: DemoMerchantOptions): Promise<DemoMerchant> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const orders = new Map<string, DemoOrder>();
  const seenNonces = new Map<string, number>();
  let counter = 0;

  const newLink = () => {
    counter += 1;
    const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const orderNo = `DEMO-${stamp}-${counter}`;
    // Item codes of the demo organization (src/modules/demo/demo.data.ts); amounts tax-inclusive.
    const order: DemoOrder = {
      orderNo,
      deviceNo: "POS-01",
      totalAmount: "524.00",
      lines: [
        { itemCode: "ROOM-STD", quantity: "1", unitPrice: "388.00", amount: "388.00" },
        { itemCode: "BREAKFAST", quantity: "2", unitPrice: "68.00", amount: "136.00" },
      ],
    };
    orders.set(orderNo, order);
    const link = buildSignedLink(options.piaomaUrl, options.appKey, options.appSecret, {
      o: orderNo,
      a: order.totalAmount,
      t: String(Math.floor(Date.now() / 1000)),
      d: order.deviceNo,
    });
    return { orderNo, link };
  };

  /** What every merchant must do with Piaoma's requests: verify before trusting them. */
  const verified = (req: http.IncomingMessage, body: Buffer): string | null => {
    const h = (name: string) => String(req.headers[name] ?? "");
    // Webhooks list a signature per active key (X-Signatures): after a rotation in the console
    // this demo, started with the old key, still verifies until that key is revoked.
    if (h("x-app-key") !== options.appKey && !parseSignatures(h("x-signatures")).has(options.appKey))
      return "unknown X-App-Key";
    if (!isTimestampInWindow(h("x-timestamp"), Date.now())) return "timestamp out of window";
    const now = Date.now();
    for (const [n, at] of seenNonces) if (now - at > 600_000) seenNonces.delete(n);
    if (seenNonces.has(h("x-nonce"))) return "nonce reused";
    const ok = isSignedWithKey(
      options,
      { appKey: h("x-app-key"), signature: h("x-signature"), signatures: h("x-signatures") },
      {
        method: req.method ?? "",
        pathWithQuery: req.url ?? "",
        timestamp: h("x-timestamp"),
        nonce: h("x-nonce"),
        body,
      },
    );
    if (!ok) return "bad signature";
    seenNonces.set(h("x-nonce"), now);
    return null;
  };

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? "").split("?")[0];
      if (req.method === "GET" && path === "/new-link") {
        const { link } = newLink();
        res.writeHead(302, { location: link });
        return res.end();
      }
      if (req.method !== "POST" || (path !== "/order-query" && path !== "/webhooks"))
        return send(res, 404, {});
      const problem = verified(req, body);
      if (problem) {
        log(`[demo-merchant] refused ${path}: ${problem}`);
        return send(res, 401, { error: problem });
      }
      const json = JSON.parse(body.toString("utf8") || "{}");
      if (path === "/order-query") {
        const order = orders.get(json.orderNo);
        log(`[demo-merchant] 3.1.02 order query ${json.orderNo}: ${order ? "found" : "not found"}`);
        return order ? send(res, 200, order) : send(res, 404, { error: "no such order" });
      }
      log(`[demo-merchant] webhook ${json.type} ${json.data?.number ?? json.data?.id ?? ""} (${json.id})`);
      return send(res, 200, { received: true });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEMO_MERCHANT_PORT, options.host ?? "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${port}`,
    newLink,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
