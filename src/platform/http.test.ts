import net from "node:net";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AppError } from "./errors";
import { createHttpServer, databaseDataError, fieldPath, parseQuery, toErrorResponse } from "./http";
import { oneLine } from "./input";
import { createLogger } from "./logger";

async function server() {
  const app = createHttpServer({ logger: createLogger("silent"), version: "test" });
  app.post(
    "/things",
    {
      schema: {
        body: z.object({
          name: z.string().min(1, "请填写名称"),
          buyer: z.object({ taxId: z.string().length(18, "纳税人识别号应为 18 位") }),
          lines: z.array(z.object({ amount: z.string().regex(/^\d+\.\d{2}$/, "金额格式不正确") })),
        }),
      },
    },
    async (req) => ({ ok: true, name: req.body.name }),
  );
  app.get("/app-error", async () => {
    throw new AppError("RECEIPT_CODE_EXPIRED", "该开票码已过期，请联系商家");
  });
  app.get("/crash", async () => {
    throw new Error("connection string postgres://secret@db leaked?");
  });
  await app.ready();
  return app;
}

const json = { "content-type": "application/json" };

describe("HTTP error handling", () => {
  it("answers an unknown route with the API error body", async () => {
    const app = await server();
    const res = await app.inject({ method: "GET", url: "/nope?x=1" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: { code: "NOT_FOUND", message: "请求的地址不存在", details: { method: "GET", path: "/nope" } },
    });
  });

  it("answers malformed JSON with 400 INVALID_JSON", async () => {
    const app = await server();
    const res = await app.inject({ method: "POST", url: "/things", headers: json, payload: '{"name": "x",' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("INVALID_JSON");
  });

  it("answers an empty JSON body and a wrong content type with their own codes", async () => {
    const app = await server();
    const empty = await app.inject({ method: "POST", url: "/things", headers: json, payload: "" });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.code).toBe("INVALID_JSON");
    const xml = await app.inject({
      method: "POST",
      url: "/things",
      headers: { "content-type": "application/xml" },
      payload: "<a/>",
    });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("answers a JSON body that is not valid UTF-8 with 400 INVALID_JSON, not U+FFFD", async () => {
    const app = await server();
    for (const bytes of [
      [0xff], // never in UTF-8
      [0xed, 0xa0, 0x80], // a lone surrogate's bytes
      [0xe4, 0xb8], // a character cut in half
      [0xc0, 0xaf], // an over-long "/"
    ]) {
      const payload = Buffer.concat([
        Buffer.from('{"name":"张'),
        Buffer.from(bytes),
        Buffer.from('","buyer":{"taxId":"91440300358768292H"},"lines":[]}'),
      ]);
      const res = await app.inject({ method: "POST", url: "/things", headers: json, payload });
      expect([res.statusCode, res.json().error.code], String(bytes)).toEqual([400, "INVALID_JSON"]);
    }
    // The same body in valid UTF-8 is read, and a __proto__ key is still refused.
    const fine = await app.inject({
      method: "POST",
      url: "/things",
      headers: json,
      payload: Buffer.from('{"name":"张三","buyer":{"taxId":"91440300358768292H"},"lines":[]}'),
    });
    expect(fine.json()).toEqual({ ok: true, name: "张三" });
    const proto = await app.inject({
      method: "POST",
      url: "/things",
      headers: json,
      payload: '{"name":"x","__proto__":{"admin":true}}',
    });
    expect([proto.statusCode, proto.json().error.code]).toEqual([400, "INVALID_JSON"]);
  });

  it("refuses a body over 1 MiB with 413", async () => {
    const app = await server();
    const res = await app.inject({
      method: "POST",
      url: "/things",
      headers: json,
      payload: JSON.stringify({ name: "x".repeat(1024 * 1024 + 10) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("lists every invalid field at once with API.md field paths", async () => {
    const app = await server();
    const res = await app.inject({
      method: "POST",
      url: "/things",
      headers: json,
      payload: { name: "", buyer: { taxId: "123" }, lines: [{ amount: "1.00" }, { amount: "1e3" }] },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      error: {
        code: "VALIDATION_FAILED",
        message: "提交的内容有误，请检查标出的字段",
        details: {
          fields: {
            name: "请填写名称",
            "buyer.taxId": "纳税人识别号应为 18 位",
            "lines[1].amount": "金额格式不正确",
          },
        },
      },
    });
  });

  it("maps an AppError to its status and code", async () => {
    const app = await server();
    const res = await app.inject({ method: "GET", url: "/app-error" });
    expect(res.statusCode).toBe(410);
    expect(res.json()).toEqual({
      error: { code: "RECEIPT_CODE_EXPIRED", message: "该开票码已过期，请联系商家" },
    });
  });

  it("hides internal details of an unexpected error behind a generic 500", async () => {
    const app = await server();
    const res = await app.inject({ method: "GET", url: "/crash" });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: "INTERNAL", message: "服务器内部错误，请稍后再试" } });
    expect(res.body).not.toContain("postgres");
  });

  it("echoes a sane incoming request id and makes one otherwise", async () => {
    const app = await server();
    const given = await app.inject({
      method: "GET",
      url: "/nope",
      headers: { "x-request-id": "abc123def456" },
    });
    expect(given.headers["x-request-id"]).toBe("abc123def456");
    const made = await app.inject({ method: "GET", url: "/nope", headers: { "x-request-id": "bad id\n" } });
    expect(made.headers["x-request-id"]).toMatch(/^[0-9a-f]{16}$/);
    // Made ones are cut from a pool of random bytes: all different, also past a refill (512 per pool).
    const ids = new Set<string>();
    for (let i = 0; i < 1100; i++) {
      const res = await app.inject({ method: "GET", url: "/nope" });
      ids.add(String(res.headers["x-request-id"]));
    }
    expect(ids.size).toBe(1100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("fieldPath", () => {
  it.each([
    ["/buyer/taxId", undefined, "buyer.taxId"],
    ["/lines/2/amount", undefined, "lines[2].amount"],
    ["", ["lines", 0, "discount"], "lines[0].discount"],
    ["", [], ""],
  ])("%s %j → %s", (instancePath, issuePath, expected) => {
    expect(fieldPath(instancePath, issuePath)).toBe(expected);
  });
});

describe("request logs", () => {
  /** A server logging at `level` into an array of parsed lines. */
  function logged(level: string) {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger(level, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const app = createHttpServer({ logger, version: "test" });
    app.get("/crash", async () => {
      throw new Error("broken");
    });
    app.get("/refused", async () => {
      throw new AppError("RECEIPT_CODE_EXPIRED");
    });
    app.get("/fine", async (req) => {
      req.log.child({ step: "inner" }).warn("inner step");
      return { ok: true };
    });
    return { app, lines };
  }

  it("carry each request's id, whether the request's logger was used or not before", async () => {
    const { app, lines } = logged("info");
    await app.ready();
    const crash = await app.inject({
      method: "GET",
      url: "/crash",
      headers: { "x-request-id": "req-crash-0001" },
    });
    const refused = await app.inject({ method: "GET", url: "/refused" });
    const fine = await app.inject({ method: "GET", url: "/fine" });
    const of = (id: unknown) => lines.filter((l) => l.reqId === id).map((l) => l.msg);
    expect(crash.headers["x-request-id"]).toBe("req-crash-0001");
    expect(of("req-crash-0001")).toContain("request failed");
    expect(of(refused.headers["x-request-id"])).toContain("request refused");
    expect(lines.find((l) => l.msg === "inner step")).toMatchObject({
      reqId: fine.headers["x-request-id"],
      step: "inner",
    });
  });

  it("write nothing below the configured level", async () => {
    const { app, lines } = logged("error");
    await app.ready();
    await app.inject({ method: "GET", url: "/refused" });
    await app.inject({ method: "GET", url: "/fine" });
    expect(lines).toEqual([]);
    await app.inject({ method: "GET", url: "/crash" });
    expect(lines.map((l) => [l.level, l.msg])).toEqual([[50, "request failed"]]);
  });
});

describe("router-level errors", () => {
  it("answers a malformed path and an over-long parameter with the API error body", async () => {
    const app = createHttpServer({ logger: createLogger("silent"), version: "test" });
    app.get("/items/:id", async () => ({ ok: true }));
    await app.ready();
    const bad = await app.inject({ method: "GET", url: "/items/%ED%A0%80" });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, "BAD_REQUEST"]);
    const long = await app.inject({ method: "GET", url: `/items/${"x".repeat(1000)}` });
    expect([long.statusCode, long.json().error.code]).toEqual([414, "URI_TOO_LONG"]);
  });
});

describe("query strings", () => {
  it("are decoded strictly: bytes that are not UTF-8 become a field error, not U+FFFD", async () => {
    const app = createHttpServer({ logger: createLogger("silent"), version: "test" });
    app.get("/search", { schema: { querystring: z.object({ q: oneLine().optional() }) } }, async (req) => ({
      q: req.query.q ?? null,
    }));
    await app.ready();
    const get = (query: string) => app.inject({ method: "GET", url: `/search?${query}` });
    expect((await get("q=%E5%8C%97%E4%BA%AC+1")).json()).toEqual({ q: "北京 1" });
    expect((await get("q=%EF%BF%BD")).json()).toEqual({ q: "\ufffd" });
    for (const bad of ["q=%FF", "q=a%ED%A0%80b", "q=%E4%B8", "q=a%00b", "q=a%0Ab"]) {
      const res = await get(bad);
      expect([res.statusCode, Object.keys(res.json().error.details.fields)], bad).toEqual([
        422,
        ["querystring.q"],
      ]);
    }
  });

  it.each([
    ["a=1&b=2&a=3", { a: ["1", "3"], b: "2" }],
    ["x&=v&&y=", { x: "", "": "v", y: "" }],
    ["q=a%2", { q: "a%2" }],
  ])("%s → %j", (text, expected) => {
    expect({ ...parseQuery(text) }).toEqual(expected);
  });

  it("keeps __proto__ a plain key of an object without a prototype", () => {
    const parsed = parseQuery("__proto__=1&constructor=2");
    expect(Object.getPrototypeOf(parsed)).toBeNull();
    expect(Object.entries(parsed)).toEqual([
      ["__proto__", "1"],
      ["constructor", "2"],
    ]);
  });
});

describe("PostgreSQL data errors (the backstop behind the input gate)", () => {
  it.each([
    ["22021", "包含无法保存的字符"],
    ["22P05", "包含无法保存的字符"],
    ["22008", "日期或时间超出范围"],
    ["22007", "日期或时间格式不正确"],
    ["22003", "数值超出范围"],
  ])("%s is 422 VALIDATION_FAILED, also wrapped by Drizzle, with the column when known", (code, message) => {
    const driver = Object.assign(new Error("db says no"), { code });
    const wrapped = Object.assign(new Error("Failed query: insert …"), { cause: driver });
    for (const error of [driver, wrapped]) {
      expect(toErrorResponse(error)).toEqual({
        status: 422,
        body: { error: { code: "VALIDATION_FAILED", message: `提交的内容有误：${message}` } },
      });
    }
    const withColumn = Object.assign(new Error("x"), { cause: { code, column: "limit_amount" } });
    expect(toErrorResponse(withColumn).body.error.details).toEqual({ fields: { limitAmount: message } });
    expect(databaseDataError(withColumn)).toEqual({ code, column: "limit_amount" });
  });

  it("leaves other database errors a 500", () => {
    const other = Object.assign(new Error("x"), { cause: { code: "23505" } });
    expect(toErrorResponse(other).status).toBe(500);
    expect(databaseDataError(other)).toBeNull();
  });
});

describe("client errors Node answers before Fastify", () => {
  async function rawRequest(port: number, request: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1", () => socket.write(request));
      const chunks: Buffer[] = [];
      socket.on("data", (c) => chunks.push(c));
      socket.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      socket.on("error", reject);
    });
  }

  it("a header over Node's limit is 431 with the API.md error body", async () => {
    const app = createHttpServer({ logger: createLogger("silent"), version: "test" });
    app.get("/", async () => ({ ok: true }));
    await app.listen({ port: 0, host: "127.0.0.1" });
    try {
      const { port } = app.server.address() as net.AddressInfo;
      const answer = await rawRequest(
        port,
        `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(32 * 1024)}\r\n\r\n`,
      );
      const [head, body] = answer.split("\r\n\r\n");
      expect(head).toMatch(/^HTTP\/1\.1 431 /);
      expect(head).toMatch(/content-type: application\/json; charset=utf-8/i);
      expect(head).toContain(`Content-Length: ${Buffer.byteLength(body ?? "")}`);
      expect(JSON.parse(body ?? "")).toEqual({ error: { code: "HEADERS_TOO_LARGE", message: "请求头过大" } });
      // A malformed request line is a 400 with the body too.
      const garbage = await rawRequest(port, "NOT HTTP AT ALL\r\n\r\n");
      expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(garbage.split("\r\n\r\n")[1] ?? "").error.code).toBe("BAD_REQUEST");
    } finally {
      await app.close();
    }
  });
});
