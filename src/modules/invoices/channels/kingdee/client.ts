/**
 * The 金蝶 transport: the token chain (getAppToken.do → login.do → access_token, 2 h) and the
 * `sim/openApi` envelope (CHANNELS.md §2.2, §2.3). Tokens are cached per account until shortly before
 * they expire and shared by concurrent calls (one login at a time), never fetched per request.
 */
import { type KingdeeCodec, KingdeeCodecError } from "./codec";
import { type JsonValue, writeJson } from "./json";
import { KINGDEE_MAPPING as M } from "./mapping";
import type { KingdeeSettings } from "./settings";
import type { KingdeeResult } from "./types";

export interface CachedKingdeeToken {
  accessToken: string;
  /** ms epoch. */
  expiresAt: number;
}

/** Where access tokens are kept between calls (and between channel objects of one account). */
export interface KingdeeTokenStore {
  get(key: string): CachedKingdeeToken | undefined | Promise<CachedKingdeeToken | undefined>;
  set(key: string, token: CachedKingdeeToken | undefined): void | Promise<void>;
}

/** The process-wide default: tokens survive the channel object, so a channel per request is fine. */
const processTokens = new Map<string, CachedKingdeeToken>();
export const memoryKingdeeTokenStore: KingdeeTokenStore = {
  get: (key) => processTokens.get(key),
  set: (key, token) => {
    if (token) processTokens.set(key, token);
    else processTokens.delete(key);
  },
};

/**
 * Tokens kept where every process sees them (the server's `channel_tokens`, channel-tokens.ts): a
 * new one is fetched at most once at a time per account across the cluster. When given, it replaces
 * `tokenStore` and the in-process sharing of logins.
 */
export interface SharedKingdeeTokens {
  /** The kept token if `usable` (and not `rejected`), else the one `fetch` gets, kept first. */
  obtain(
    key: string,
    fetch: () => Promise<CachedKingdeeToken>,
    options: { usable(token: CachedKingdeeToken): boolean; rejected?: string },
  ): Promise<string>;
}

/** Logins under way, per account: concurrent calls (even through different channel objects) share one. */
const loginsInFlight = new Map<string, Promise<string>>();

export interface KingdeeDeps {
  fetch?: typeof fetch;
  /** ms epoch; the token expiry is judged by it. */
  now?: () => number;
  /** Per HTTP call (default 15 s). A call that takes longer counts as lost: the result is then queried. */
  timeoutMs?: number;
  tokenStore?: KingdeeTokenStore;
  /** Tokens shared across processes (the server's); `tokenStore` is then not used. */
  sharedTokens?: SharedKingdeeTokens;
  /** Renew this long before the token's `expire_time` (default 5 min). */
  renewBeforeMs?: number;
  /** Three digits for the requestId; random by default. */
  requestIdSuffix?: () => string;
  /** Something unexpected but harmless (an unknown status, an unreadable field): for the operator's log. */
  warn?: (message: string, detail?: Record<string, unknown>) => void;
}

/** A call ends early with this result (transport failure, account problem). */
export class KingdeeStop extends Error {
  constructor(readonly result: Extract<KingdeeResult, { status: "account_problem" | "transient" }>) {
    super(result.status === "transient" ? result.reason : result.channelMessage);
    this.name = "KingdeeStop";
  }
}

export interface KingdeeAnswer {
  success: boolean;
  errorCode: string;
  message: string;
  /** `data` decoded (JSON when it decodes to JSON, else the text as sent, e.g. the plaintext serial). */
  data: unknown;
}

const OPERATOR = {
  bad_credentials:
    "金蝶发票云拒绝了应用凭据或用户：请核对 appId、appSecret、accountId、user 和 userType，然后点「测试连接」。",
  token_expired: "金蝶发票云一再拒绝刚取得的访问令牌：请检查该用户是否被停用，然后点「测试连接」。",
  logged_out: "该税号在电子税局的登录已失效：请在金蝶发票云重新登录电子税局，排队的发票随后自动开具。",
  face_auth: "电子税局要求实人认证：请用电子税务局 App 完成刷脸认证，排队的发票随后自动开具。",
  codec: "金蝶无法解读请求：加密方式（encryption）或 AES 密码与租户的加密策略不一致。",
  unknown_system: "业务系统编码（businessSystemCode）未在金蝶登记：请向金蝶实施人员确认。",
  base_url: "租户地址（baseUrl）不对：金蝶答复找不到接口。",
  private_url:
    "租户地址（baseUrl）指向本机或内网，已拒绝：请检查 baseUrl（部署方可设置 PIAOMA_ALLOW_PRIVATE_URLS=true 放开）。",
} as const;

export function accountProblem(
  problem: keyof typeof OPERATOR,
  channelCode: string,
  channelMessage: string,
): Extract<KingdeeResult, { status: "account_problem" }> {
  const kind =
    problem === "codec" || problem === "unknown_system" || problem === "base_url" || problem === "private_url"
      ? "misconfigured"
      : problem;
  return {
    status: "account_problem",
    problem: kind,
    channelCode,
    channelMessage,
    operatorMessage: OPERATOR[problem],
  };
}

function transient(reason: string, retryAfterMs?: number): KingdeeStop {
  return new KingdeeStop(
    retryAfterMs === undefined
      ? { status: "transient", reason }
      : { status: "transient", reason, retryAfterMs },
  );
}

const str = (v: unknown) => (v === undefined || v === null ? "" : String(v));

export function createKingdeeClient(settings: KingdeeSettings, codec: KingdeeCodec, deps: KingdeeDeps = {}) {
  const doFetch = deps.fetch ?? fetch;
  const now = deps.now ?? Date.now;
  const timeoutMs = deps.timeoutMs ?? 15_000;
  const store = deps.tokenStore ?? memoryKingdeeTokenStore;
  const renewBeforeMs = deps.renewBeforeMs ?? 5 * 60_000;
  const suffix = deps.requestIdSuffix ?? (() => String(Math.floor(Math.random() * 1000)).padStart(3, "0"));
  const tokenKey = [settings.baseUrl, settings.accountId, settings.appId, settings.user].join("|");

  async function post(
    url: string,
    body: string,
    headerToken?: string,
  ): Promise<{ status: number; text: string; retryAfter?: string }> {
    let response: Response;
    try {
      response = await doFetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json; charset=UTF-8",
          ...(headerToken ? { access_token: headerToken } : {}),
        },
        body,
        redirect: "error",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      if (e instanceof KingdeeStop) throw e;
      const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
      throw transient(timedOut ? "金蝶未在时限内答复" : `无法连接金蝶：${(e as Error).message}`);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (e) {
      throw transient(`金蝶答复中断：${(e as Error).message}`);
    }
    return { status: response.status, text, retryAfter: response.headers.get("retry-after") ?? undefined };
  }

  function readJson(text: string, what: string): Record<string, unknown> {
    try {
      const value = JSON.parse(text) as unknown;
      if (value && typeof value === "object" && !Array.isArray(value))
        return value as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw transient(`金蝶${what}的答复不是 JSON 对象`);
  }

  function httpProblem(status: number, retryAfter: string | undefined): void {
    if (status === 429) {
      const seconds = Number(retryAfter);
      throw transient(
        "金蝶限流（HTTP 429）",
        Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000,
      );
    }
    if (status === 404) throw new KingdeeStop(accountProblem("base_url", "HTTP 404", "接口不存在"));
    if (status >= 300) throw transient(`金蝶答复 HTTP ${status}`);
  }

  async function authCall(
    path: string,
    body: Record<string, unknown>,
    what: string,
  ): Promise<Record<string, unknown>> {
    const { status, text, retryAfter } = await post(`${settings.baseUrl}${path}`, JSON.stringify(body));
    httpProblem(status, retryAfter);
    const answer = readJson(text, what);
    const data = (answer.data ?? {}) as Record<string, unknown>;
    if (data.success === true && answer.status !== false) return data;
    throw new KingdeeStop(
      accountProblem(
        "bad_credentials",
        str(data.error_code) || str(answer.errorCode),
        str(data.error_desc) || str(answer.message) || `${what}失败`,
      ),
    );
  }

  /** The token chain: app token → login → access token (not kept: see login / accessToken). */
  async function fetchToken(): Promise<CachedKingdeeToken> {
    const tenant = settings.tenantId ? { tenantid: settings.tenantId } : {};
    const app = await authCall(
      "/api/getAppToken.do",
      { appId: settings.appId, appSecret: settings.appSecret, accountId: settings.accountId, ...tenant },
      "获取应用令牌",
    );
    const appToken = str(app.app_token);
    if (!appToken) throw transient("金蝶获取应用令牌的答复缺少 app_token");
    const user = await authCall(
      "/api/login.do",
      {
        user: settings.user,
        apptoken: appToken,
        accountId: settings.accountId,
        usertype: settings.userType,
        ...tenant,
      },
      "登录",
    );
    const accessToken = str(user.access_token);
    if (!accessToken) throw transient("金蝶登录的答复缺少 access_token");
    const expireTime = Number(user.expire_time);
    const expiresAt =
      Number.isFinite(expireTime) && expireTime > now() ? expireTime : now() + M.accessTokenTtlMs;
    return { accessToken, expiresAt };
  }

  /** A new access token, kept in the token store. */
  async function login(): Promise<string> {
    const token = await fetchToken();
    await store.set(tokenKey, token);
    return token.accessToken;
  }

  /**
   * The kept token while it has more than `renewBeforeMs` left; otherwise one shared login.
   * `rejected`: the token Kingdee just refused, never handed out again.
   */
  async function accessToken(rejected?: string): Promise<string> {
    if (deps.sharedTokens)
      return deps.sharedTokens.obtain(tokenKey, fetchToken, {
        usable: (t) => t.expiresAt - renewBeforeMs > now(),
        ...(rejected ? { rejected } : {}),
      });
    if (rejected) await dropToken(rejected);
    const cached = await store.get(tokenKey);
    if (cached && cached.expiresAt - renewBeforeMs > now()) return cached.accessToken;
    let pending = loginsInFlight.get(tokenKey);
    if (!pending) {
      pending = login().finally(() => loginsInFlight.delete(tokenKey));
      loginsInFlight.set(tokenKey, pending);
    }
    return pending;
  }

  async function dropToken(token: string): Promise<void> {
    const cached = await store.get(tokenKey);
    if (cached?.accessToken === token) await store.set(tokenKey, undefined);
  }

  function decodeData(data: unknown): unknown {
    if (typeof data !== "string" || data === "") return data;
    let text: string;
    try {
      text = codec.decode(data);
    } catch (e) {
      if (e instanceof KingdeeCodecError) return data; // plaintext, e.g. the serial the issue call echoes
      throw e;
    }
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  function isTokenError(a: KingdeeAnswer): boolean {
    if (M.tokenInvalidCodes.includes(a.errorCode)) return true;
    const known: readonly string[] = [
      ...Object.values(M.accountProblemCodes),
      M.duplicateSerialCode,
      M.riskControlCode,
    ];
    return !known.includes(a.errorCode) && M.tokenInvalidMessage.test(a.message);
  }

  async function send(
    interfaceCode: string,
    encoded: string,
    token: string,
  ): Promise<KingdeeAnswer | "token"> {
    const requestId = `${String(now()).padStart(13, "0").slice(-13)}${suffix()}`;
    const body = writeJson({
      requestId,
      businessSystemCode: settings.businessSystemCode,
      interfaceCode,
      data: encoded,
    });
    const inQuery = M.accessTokenPlacement === "query";
    const url = `${settings.baseUrl}/kapi/app/sim/openApi${inQuery ? `?access_token=${encodeURIComponent(token)}` : ""}`;
    const { status, text, retryAfter } = await post(url, body, inQuery ? undefined : token);
    if (status === 401) return "token";
    httpProblem(status, retryAfter);
    const raw = readJson(text, interfaceCode);
    const errorCode = str(raw.errorCode ?? raw.code);
    const answer: KingdeeAnswer = {
      success: raw.success === true && M.successCodes.includes(errorCode || "0"),
      errorCode,
      message: str(raw.message ?? raw.msg),
      data: raw.success === true ? decodeData(raw.data) : raw.data,
    };
    if (!answer.success && isTokenError(answer)) return "token";
    return answer;
  }

  /**
   * One business call. `data` is serialised and encoded once; a token refused mid-run costs one new
   * login and one re-send of the same data (never more).
   */
  async function call(interfaceCode: string, data: JsonValue): Promise<KingdeeAnswer> {
    const encoded = codec.encode(writeJson(data));
    const token = await accessToken();
    const first = await send(interfaceCode, encoded, token);
    if (first !== "token") return first;
    const second = await send(interfaceCode, encoded, await accessToken(token));
    if (second !== "token") return second;
    throw new KingdeeStop(accountProblem("token_expired", "token", "金蝶拒绝了新取得的访问令牌"));
  }

  return { call, accessToken, login, tokenKey };
}

export type KingdeeClient = ReturnType<typeof createKingdeeClient>;
