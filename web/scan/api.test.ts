import { describe, expect, it } from "vitest";
import { ApiError, requestJson, scanApi, tokenFromPath } from "./api";

type Call = { url: string; init?: RequestInit };

function fakeFetch(respond: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetcher = async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    return respond({ url, init });
  };
  return { calls, fetcher };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

describe("scan API client", () => {
  it("calls the contract's paths with the token encoded", async () => {
    const { calls, fetcher } = fakeFetch(() => json(202, { status: "issuing", invoices: [] }));
    const api = scanApi("tok_en-123", fetcher);
    const submitted = await api.submit({
      invoiceType: "digital_normal",
      buyer: {
        type: "individual",
        name: "张三",
        taxId: "",
        address: "",
        phone: "",
        bankName: "",
        bankAccount: "",
      },
      email: "",
      mobile: "13800138000",
    });
    await api.resend({ mobile: "13800138000" });
    await api.poll().catch(() => {});
    expect(submitted).toEqual({ status: 202, body: { status: "issuing", invoices: [] } });
    expect(calls.map((c) => [c.init?.method, c.url])).toEqual([
      ["POST", "/api/scan/tok_en-123/submit"],
      ["POST", "/api/scan/tok_en-123/resend"],
      ["GET", "/api/scan/tok_en-123"],
    ]);
    // Waiting for the invoice is not a scan: the server leaves it out of the scan count.
    expect(calls[2]!.init!.headers).toMatchObject({ "x-piaoma-poll": "1" });
    expect(JSON.parse(String(calls[0]?.init?.body)).buyer.name).toBe("张三");
    expect(calls[0]!.init!.headers).toMatchObject({ "content-type": "application/json" });
  });

  it("turns an error body into an ApiError with code, status and field details", async () => {
    const { fetcher } = fakeFetch(() =>
      json(422, {
        error: {
          code: "VALIDATION_FAILED",
          message: "提交的内容有误",
          details: { fields: { "buyer.taxId": "校验失败" } },
        },
      }),
    );
    const failure = await requestJson(fetcher, "/x").catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ code: "VALIDATION_FAILED", status: 422, message: "提交的内容有误" });
    expect((failure as ApiError).fields).toEqual({ "buyer.taxId": "校验失败" });
  });

  it("calls a failure on the way NETWORK, and an unreadable answer what it is", async () => {
    const offline = await requestJson(async () => {
      throw new TypeError("Failed to fetch");
    }, "/x").catch((e: unknown) => e);
    expect(offline).toMatchObject({ code: "NETWORK", status: 0 });

    const proxyPage = await requestJson(
      async () => new Response("<html>502</html>", { status: 502 }),
      "/x",
    ).catch((e: unknown) => e);
    expect(proxyPage).toMatchObject({ code: "SERVER", status: 502 });

    const notJson = await requestJson(async () => new Response("ok", { status: 200 }), "/x").catch(
      (e: unknown) => e,
    );
    expect(notJson).toMatchObject({ code: "BAD_RESPONSE" });
  });

  it("treats a request that never answers as a network failure", async () => {
    const hanging = (_url: string, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      });
    const failure = await requestJson(hanging, "/x", { timeoutMs: 10 }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: "NETWORK" });
  });
});

describe("token from the address", () => {
  it.each([
    ["/s/abcDEF_123-x", "abcDEF_123-x"],
    ["/s/abcdefgh/", "abcdefgh"],
    ["/s/short", ""],
    ["/s/a%2Fbcdefghij", ""],
    ["/s/", ""],
    ["/admin/abcdefghij", ""],
    ["/s/abcdefgh/def", ""],
    [`/s/${"x".repeat(65)}`, ""],
  ])("%s → %s", (path, token) => {
    expect(tokenFromPath(path)).toBe(token);
  });
});
