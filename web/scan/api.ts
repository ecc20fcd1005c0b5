/**
 * The consumer interface of API.md §2 as the page sees it: a small client (the shapes are the
 * server's, api-types.ts).
 * Every failure comes back as an `ApiError`: a server error keeps its stable code, HTTP status and
 * details; a request that never got an answer is `NETWORK` (status 0), so the page can offer a retry.
 */
import type { BuyerType, InvoiceType } from "../../src/domain/types";
import type {
  Correction,
  CorrectionBody,
  LookupResult,
  MergeResult,
  Receipt,
  ResendBody,
  ResendResult,
  SubmitBody,
  SubmitResult,
  TitlesResult,
  WechatCardResult,
} from "./api-types";

export type * from "./api-types";
export type { BuyerType, InvoiceType };

export class ApiError extends Error {
  // Declared, then assigned: lowered for old WebViews this needs no defineProperty helper chunk.
  /** Stable code from the server, or NETWORK / BAD_RESPONSE for failures on the way. */
  declare readonly code: string;
  /** HTTP status; 0 when no answer arrived. */
  declare readonly status: number;
  declare readonly details: { fields?: Record<string, string> } & Record<string, unknown>;

  constructor(code: string, status: number, message: string, details: ApiError["details"] = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.details = details;
  }

  get fields(): Record<string, string> {
    const fields = this.details.fields;
    return fields && typeof fields === "object" ? fields : {};
  }
}

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** A request that has not answered in this time is treated as a network failure. */
const REQUEST_TIMEOUT_MS = 20_000;

/** Reads a JSON body, turning an error body or a failure on the way into an `ApiError`. */
export async function requestJson<T>(
  fetcher: Fetch,
  url: string,
  init: { method?: string; body?: unknown; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T }> {
  const controller = typeof AbortController === "function" ? new AbortController() : null;
  const timer = controller ? setTimeout(() => controller.abort(), init.timeoutMs ?? REQUEST_TIMEOUT_MS) : 0;
  let response: Response;
  try {
    response = await fetcher(url, {
      method: init.method ?? "GET",
      headers: {
        accept: "application/json",
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: "same-origin",
      cache: "no-store",
      signal: controller?.signal,
    });
  } catch {
    throw new ApiError("NETWORK", 0, "网络连接失败，请检查网络后重试");
  } finally {
    if (timer) clearTimeout(timer);
  }
  let parsed: unknown = null;
  try {
    parsed = await response.json();
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)
      ?.error;
    const code = typeof error?.code === "string" ? error.code : response.status >= 500 ? "SERVER" : "HTTP";
    const message = typeof error?.message === "string" ? error.message : "服务暂时不可用，请稍后重试";
    const details =
      error?.details && typeof error.details === "object" ? (error.details as ApiError["details"]) : {};
    throw new ApiError(code, response.status, message, details);
  }
  if (parsed === null || typeof parsed !== "object") {
    throw new ApiError("BAD_RESPONSE", response.status, "服务返回了无法识别的内容，请稍后重试");
  }
  return { status: response.status, body: parsed as T };
}

/** The calls the page makes for one receipt code's token. */
export function scanApi(token: string, fetcher: Fetch = (input, init) => fetch(input, init)) {
  const base = `/api/scan/${encodeURIComponent(token)}`;
  return {
    load: async () => (await requestJson<Receipt>(fetcher, base)).body,
    /** The same read while waiting for an invoice; the header keeps it out of the code's scan count. */
    poll: async () => (await requestJson<Receipt>(fetcher, base, { headers: { "x-piaoma-poll": "1" } })).body,
    submit: async (body: SubmitBody) =>
      requestJson<SubmitResult>(fetcher, `${base}/submit`, { method: "POST", body }),
    /** Company lookup by name (the organization's registry service); only when `titleSources.lookup`. */
    titles: async (q: string) =>
      (await requestJson<TitlesResult>(fetcher, `${base}/titles?q=${encodeURIComponent(q)}`)).body.titles,
    resend: async (to: ResendBody) =>
      (await requestJson<ResendResult>(fetcher, `${base}/resend`, { method: "POST", body: to })).body,
    /** 加入微信卡包: the authorisation page to open (start), then the state once back (check). */
    wechatCard: async (invoiceId: string, step: "start" | "check") =>
      (
        await requestJson<WechatCardResult>(
          fetcher,
          `${base}/invoices/${encodeURIComponent(invoiceId)}/wechat-card${step === "check" ? "/check" : ""}`,
          { method: "POST", body: {} },
        )
      ).body,
    corrections: async () =>
      (await requestJson<{ items: Correction[] }>(fetcher, `${base}/corrections`)).body.items,
    applyCorrection: async (body: CorrectionBody) =>
      (await requestJson<Correction>(fetcher, `${base}/corrections`, { method: "POST", body })).body,
    /** 合并开票: the other receipts (开票码 or links) with this one, checked and added up by the server. */
    merge: async (codes: string[]) =>
      (await requestJson<MergeResult>(fetcher, `${base}/merge`, { method: "POST", body: { codes } })).body,
  };
}

/** 输入开票码: the typed code → the token of its page. */
export async function lookupShortCode(
  code: string,
  fetcher: Fetch = (input, init) => fetch(input, init),
): Promise<LookupResult> {
  return (await requestJson<LookupResult>(fetcher, "/api/scan/lookup", { method: "POST", body: { code } }))
    .body;
}

export type ScanApi = ReturnType<typeof scanApi>;

/**
 * The token from the page's own address, `/s/{token}` (a trailing slash does not matter); "" when
 * the address cannot hold a token (tokens are 8–64 URL-safe characters), so the page says "unknown
 * code" without asking the server.
 */
export function tokenFromPath(pathname: string): string {
  const match = /^\/s\/([A-Za-z0-9_-]{8,64})\/?$/.exec(pathname);
  return match?.[1] ?? "";
}
