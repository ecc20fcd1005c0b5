import net from "node:net";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { users } from "../../src/platform/db/schema";
import { createHttpServer } from "../../src/platform/http";
import { createLogger } from "../../src/platform/logger";
import { createTestApp, type TestApp } from "../support/app";
import { makeUser } from "../support/console";
import { describeEachDatabase } from "../support/db";
import { makeOrganization, makeReceiptCode } from "../support/factories";

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

/** A logger at info level whose lines are kept in memory. */
function capturedLog() {
  const lines: string[] = [];
  const logger = createLogger("info", { write: (line: string) => void lines.push(line) });
  return { logger, text: () => lines.join("") };
}

describeEachDatabase("the log", (kind) => {
  it("records a failed query's SQL and PostgreSQL code, never its parameters or the row's values", async () => {
    const log = capturedLog();
    app = await createTestApp(kind, { startJobs: false, logger: log.logger });
    const { db } = app.ctx.database;
    const org = await makeOrganization(app.ctx.database);
    const taken = await makeUser(app.ctx.database, { orgIds: [org.id] });
    const marker = "MARKER-scrypt$secret-hash";
    const duplicate = () =>
      db.insert(users).values({
        id: "usr_marker",
        username: taken.username.toUpperCase(),
        displayName: "marker-person@example.com",
        passwordHash: marker,
      });

    // Logged by application code (a sweep, a job) …
    const failure = await duplicate().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(Error);
    app.ctx.log.error({ err: failure }, "insert failed");
    // … by the HTTP error handler (a 500) …
    const http = createHttpServer({ logger: log.logger, version: "test" });
    http.post("/boom", async () => {
      await duplicate();
      return {};
    });
    const res = await http.inject({ method: "POST", url: "/boom" });
    expect(res.statusCode).toBe(500);
    // … and a data exception, whose PostgreSQL message quotes the value itself.
    const cast = await db.execute(sql`select ${`${marker}-cast`}::integer`).then(
      () => undefined,
      (e: unknown) => e,
    );
    app.ctx.log.error({ err: cast }, "cast failed");
    await http.close();

    const text = log.text();
    expect(text).not.toContain("MARKER");
    expect(text).not.toContain("marker-person@example.com");
    expect(text).not.toContain(taken.username.toUpperCase());
    const lines = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { msg: string; err?: Record<string, unknown> });
    const logged = lines.filter((l) => l.msg === "insert failed" || l.msg === "request failed");
    expect(logged).toHaveLength(2);
    for (const line of logged) {
      expect(line.err?.query).toMatch(/^insert into "users" \(.*\) values \(\$1, \$2/);
      expect(line.err?.cause).toMatchObject({ code: "23505", constraint: "users_username_key" });
    }
    const castLine = lines.find((l) => l.msg === "cast failed");
    expect(JSON.stringify(castLine?.err)).toContain('"code":"22P02"');
    expect(JSON.stringify(castLine?.err)).toContain("invalid input syntax for type integer: [redacted]");
  });

  it("writes request lines without the receipt-code token or a link's signature", async () => {
    const log = capturedLog();
    app = await createTestApp(kind, { startJobs: false, logger: log.logger });
    const org = await makeOrganization(app.ctx.database);
    const code = await makeReceiptCode(app.ctx, org.id);
    const requests = [
      { method: "GET" as const, url: `/s/${code.token}` },
      { method: "GET" as const, url: `/api/scan/${code.token}` },
      { method: "GET" as const, url: `/api/scan/${code.token}/titles?q=abc` },
      { method: "GET" as const, url: `/api/scan/${code.token}/invoices/inv_x.pdf` },
      { method: "GET" as const, url: "/files/invoices/inv_x.pdf?e=1999999999&s=SIGNATURE-MARKER" },
      { method: "GET" as const, url: "/q/pk_x?o=A1&a=1.00&t=1&sig=SIGNATURE-MARKER" },
    ];
    for (const r of requests) await app.http.inject(r);
    const text = log.text();
    expect(text).not.toContain(code.token);
    expect(text).not.toContain("SIGNATURE-MARKER");
    const urls = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { req?: { url: string } })
      .flatMap((l) => (l.req ? [l.req.url] : []));
    expect(urls).toEqual([
      "/s/[redacted]",
      "/api/scan/[redacted]",
      "/api/scan/[redacted]/titles?q=abc",
      "/api/scan/[redacted]/invoices/inv_x.pdf",
      "/files/invoices/inv_x.pdf?e=1999999999&s=[redacted]",
      "/q/pk_x?o=A1&a=1.00&t=1&sig=[redacted]",
    ]);
  });
});

describe("security headers", () => {
  it("sends CSP, nosniff and no-referrer on the console, the consumer page, /docs and API answers", async () => {
    app = await createTestApp("pglite", { startJobs: false });
    const org = await makeOrganization(app.ctx.database);
    const code = await makeReceiptCode(app.ctx, org.id);
    const get = (url: string) => app!.http.inject({ method: "GET", url });
    for (const url of ["/admin/", "/admin/receipt-codes", `/s/${code.token}`, "/docs/"]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-type"], url).toMatch(/^text\/html/);
      const csp = String(res.headers["content-security-policy"]);
      expect(csp, url).toContain("default-src 'self'");
      expect(csp, url).toContain("frame-ancestors 'none'");
      // The consumer page may add WeChat's JS-SDK origin (loaded inside WeChat only, for 微信抬头).
      expect(csp, url).toMatch(
        /script-src 'self'( https:\/\/res\.wx\.qq\.com)?( 'sha256-[A-Za-z0-9+/=]+')*;/,
      );
      expect(csp, url).not.toContain("'unsafe-eval'");
      expect(res.headers["x-content-type-options"], url).toBe("nosniff");
      expect(res.headers["referrer-policy"], url).toBe("no-referrer");
      expect(res.headers["x-frame-options"], url).toBe("DENY");
    }
    // The consumer page's one inline script (the notice for browsers without modules) is allowed by its hash.
    const scan = await get(`/s/${code.token}`);
    expect(scan.body).toContain("<script nomodule>");
    expect(String(scan.headers["content-security-policy"])).toMatch(
      /script-src 'self' https:\/\/res\.wx\.qq\.com 'sha256-/,
    );

    for (const url of [
      `/api/scan/${code.token}`,
      "/api/scan/nope-nope-nope-nope-nope",
      "/health",
      "/no/such/page",
    ]) {
      const res = await get(url);
      expect(res.headers["content-security-policy"], url).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers["x-content-type-options"], url).toBe("nosniff");
      expect(res.headers["referrer-policy"], url).toBe("no-referrer");
    }
    const login = await app.http.inject({
      method: "POST",
      url: "/api/console/session",
      payload: { username: "nobody", password: "nothing" },
    });
    expect(login.headers["x-content-type-options"]).toBe("nosniff");
    expect(login.headers["content-security-policy"]).toBe("default-src 'none'; frame-ancestors 'none'");
  });
});
