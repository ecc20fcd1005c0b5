import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/app";

/** Settings of the whole application that protect it from its clients (issue 13). */

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe("slow clients", () => {
  it("gets 408 from the application when its body stalls (PIAOMA_TUNING http timeouts)", async () => {
    app = await createTestApp("pglite", {
      startJobs: false,
      tuning: { httpRequestTimeoutSeconds: 1, httpHeadersTimeoutSeconds: 1 },
    });
    const address = await app.http.listen({ port: 0, host: "127.0.0.1" });
    const answer = await new Promise<string>((resolve, reject) => {
      let received = "";
      const socket = net.connect(Number(new URL(address).port), "127.0.0.1", () =>
        socket.write(
          "POST /api/console/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
            'Content-Length: 200\r\n\r\n{"username":',
        ),
      );
      socket.on("data", (d) => {
        received += d;
      });
      socket.on("error", reject);
      socket.on("close", () => resolve(received));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  }, 30_000);
});

describe("PIAOMA_TRUST_PROXY=1", () => {
  it("does not let a client escape the per-address token-guessing limit by writing X-Forwarded-For", async () => {
    app = await createTestApp("pglite", { startJobs: false, env: { PIAOMA_TRUST_PROXY: "1" } });
    const guess = (i: number) =>
      app!.http.inject({
        method: "GET",
        url: `/api/scan/guess${String(i).padStart(20, "0")}`,
        remoteAddress: "10.0.0.2",
        // The client's own invention first, then what the proxy appended: the address it saw.
        headers: { "x-forwarded-for": `6.6.6.${i}, 203.0.113.9` },
      });
    for (let i = 0; i < 30; i++) expect((await guess(i)).statusCode).toBe(404);
    const blocked = await guess(99);
    expect([blocked.statusCode, blocked.json().error.code]).toEqual([429, "RATE_LIMITED"]);
    const someoneElse = await app.http.inject({
      method: "GET",
      url: `/api/scan/guess${"9".repeat(20)}`,
      remoteAddress: "10.0.0.2",
      headers: { "x-forwarded-for": "198.51.100.7" },
    });
    expect(someoneElse.statusCode).toBe(404);
  });
});
