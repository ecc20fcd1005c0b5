import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AppError } from "./errors";
import { createHttpServer, fieldPath } from "./http";
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
