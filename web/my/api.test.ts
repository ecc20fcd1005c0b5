import { describe, expect, it } from "vitest";
import { ApiError } from "../scan/api";
import { myApi } from "./api";

type Call = { url: string; init?: RequestInit };

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

function fakeFetch(respond: (call: Call) => Response) {
  const calls: Call[] = [];
  const fetcher = async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    return respond({ url, init });
  };
  return { calls, fetcher };
}

describe("我的发票 API client", () => {
  it("asks the /api/my paths, the filters in the query and the invoice id encoded", async () => {
    const list = { items: [], total: 0, page: 1, pageSize: 20, sellers: [] };
    const { calls, fetcher } = fakeFetch((c) =>
      c.url.startsWith("/api/my/invoices?") ? json(200, list) : json(200, {}),
    );
    const api = myApi(fetcher);
    await api.list({ page: 1 });
    await api.list({ seller: "org_1", month: "2026-03", page: 2 });
    await api.invoice("inv/1");
    await api.resend("inv_1", { email: "a@example.com" });
    await api.sendCode({ mobile: "13800138000" });
    await api.login({ email: "a@example.com" }, "123456");
    expect(calls.map((c) => [c.init?.method, c.url])).toEqual([
      ["GET", "/api/my/invoices"],
      ["GET", "/api/my/invoices?seller=org_1&month=2026-03&page=2"],
      ["GET", "/api/my/invoices/inv%2F1"],
      ["POST", "/api/my/invoices/inv_1/resend"],
      ["POST", "/api/my/code"],
      ["POST", "/api/my/session"],
    ]);
    expect(JSON.parse(String(calls[5]?.init?.body))).toEqual({ email: "a@example.com", code: "123456" });
  });

  it("turns a 401 into an ApiError the page reads as 'log in'", async () => {
    const { fetcher } = fakeFetch(() =>
      json(401, { error: { code: "UNAUTHENTICATED", message: "请先登录" } }),
    );
    const error = await myApi(fetcher)
      .session()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
  });
});
