import net from "node:net";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import type { TrustProxy } from "../config";
import { createHttpServer, type HttpServer, type HttpTimeouts } from "./http";
import { createLogger } from "./logger";

const servers: HttpServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

function server(options: { trustProxy?: TrustProxy; timeouts?: HttpTimeouts } = {}): HttpServer {
  const app = createHttpServer({ logger: createLogger("silent"), version: "test", ...options });
  servers.push(app);
  app.get("/ip", async (req) => ({ ip: req.ip }));
  app.post("/echo", async (req) => ({ body: req.body }));
  return app;
}

/** Writes `data` on a raw connection, then stays silent; resolves with what the server sent until it closed. */
function stallAfter(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = "";
    const socket = net.connect(port, "127.0.0.1", () => socket.write(data));
    socket.on("data", (d) => {
      received += d;
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
  });
}

const short: HttpTimeouts = { requestMs: 1000, headersMs: 1000, idleMs: 10_000, keepAliveMs: 10_000 };

describe("slow requests", () => {
  it("answers 408 and closes a connection whose body stalls halfway", async () => {
    const app = server({ timeouts: short });
    const port = await listen(app);
    const answer = await stallAfter(
      port,
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  }, 15_000);

  it("closes a connection whose headers never end", async () => {
    const app = server({ timeouts: short });
    const port = await listen(app);
    const answer = await stallAfter(port, "GET /ip HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  }, 15_000);

  it("does not cut work that takes longer than the request timeout once the request has arrived", async () => {
    const app = server({ timeouts: short });
    app.post("/slow-work", async () => {
      await new Promise((r) => setTimeout(r, 2500));
      return { done: true };
    });
    app.get("/slow-download", async (_req, reply) => {
      async function* rows() {
        for (let i = 0; i < 5; i++) {
          await new Promise((r) => setTimeout(r, 500));
          yield `row ${i}\n`;
        }
      }
      return reply.type("text/csv").send(Readable.from(rows()));
    });
    const base = `http://127.0.0.1:${await listen(app)}`;
    const work = await fetch(`${base}/slow-work`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(await work.json()).toEqual({ done: true });
    const download = await fetch(`${base}/slow-download`);
    expect((await download.text()).split("\n").filter(Boolean)).toHaveLength(5);
  }, 20_000);
});

describe("PIAOMA_TRUST_PROXY", () => {
  const ipOf = async (app: HttpServer, remoteAddress: string, forwardedFor?: string) =>
    (
      await app.inject({
        method: "GET",
        url: "/ip",
        remoteAddress,
        headers: forwardedFor ? { "x-forwarded-for": forwardedFor } : {},
      })
    ).json().ip;

  it("ignores X-Forwarded-For when no proxy is trusted", async () => {
    expect(await ipOf(server(), "203.0.113.7", "6.6.6.6")).toBe("203.0.113.7");
  });

  it("with one hop takes the address the proxy saw, not one the client wrote before it", async () => {
    const app = server({ trustProxy: 1 });
    expect(await ipOf(app, "10.0.0.2", "6.6.6.6, 1.2.3.4")).toBe("1.2.3.4");
    expect(await ipOf(app, "10.0.0.2", "1.2.3.4")).toBe("1.2.3.4");
    expect(await ipOf(app, "10.0.0.2")).toBe("10.0.0.2");
  });

  it("with two hops takes the address the outer proxy saw", async () => {
    expect(await ipOf(server({ trustProxy: 2 }), "10.0.0.2", "6.6.6.6, 1.2.3.4, 10.0.0.9")).toBe("1.2.3.4");
  });

  it("with a list believes only those peers", async () => {
    const app = server({ trustProxy: ["10.0.0.0/8"] });
    expect(await ipOf(app, "10.0.0.2", "6.6.6.6, 1.2.3.4")).toBe("1.2.3.4");
    expect(await ipOf(app, "10.0.0.2", "6.6.6.6, 10.1.1.1")).toBe("6.6.6.6");
    // Not a listed proxy: its header is the client's own claim.
    expect(await ipOf(app, "198.51.100.4", "6.6.6.6, 1.2.3.4")).toBe("198.51.100.4");
  });
});

async function listen(app: HttpServer): Promise<number> {
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  return Number(new URL(address).port);
}
