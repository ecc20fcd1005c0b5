import { sha256Hex } from "../../../../platform/crypto";
import { OutboundError, postJson } from "../../../../platform/outbound-http";
import { ChannelAccountError, ChannelUnavailableError } from "../channel.js";
import type { ChannelDeps } from "../channel-registry";
import { type ChannelTokenKeeper, createChannelTokenKeeper, type KeptToken } from "../channel-tokens";
import { isAccountCode, NUONUO, TOKEN_ERRORS, TOKEN_REFRESH_MARGIN_MS } from "./mapping";
import type { NuonuoSettings } from "./settings";
import { newNonce, newSenid, nuonuoSign } from "./signing";

/** A business answer: `{ code, describe, result }` (§1.4). */
export interface NuonuoAnswer {
  code: string;
  describe: string;
  result: unknown;
}

export interface NuonuoClientOptions extends ChannelDeps {
  /** Deadline of one call (the outcome is unknown after it: query, never resend). */
  timeoutMs?: number;
  /** Cap on an answer's size. */
  maxBytes?: number;
  /** Where tokens are kept (default: `channel_tokens` in `database`). */
  tokens?: ChannelTokenKeeper;
}

/**
 * The 诺诺 gateway as a client: the access token (kept sealed in `channel_tokens`, reused until near
 * its expiry; fetched at most once at a time per app across processes: channel-tokens.ts), and signed business calls
 * through the guarded outbound client. Transport failures become ChannelUnavailableError; token and
 * credential failures ChannelAccountError.
 */
export function createNuonuoClient(options: NuonuoClientOptions) {
  const { database, keyring } = options;
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  const tokens = options.tokens ?? createChannelTokenKeeper({ database, keyring, now });

  const tokenKey = (s: NuonuoSettings) => `nuonuo:${sha256Hex(`${s.tokenUrl}\n${s.appKey}`)}`;

  async function post(url: string, body: string, headers: Record<string, string>) {
    try {
      return await postJson(url, body, headers, {
        timeoutMs,
        maxBytes,
        allowPrivate: options.allowPrivateUrls,
      });
    } catch (e) {
      if (e instanceof OutboundError && (e.kind === "blocked" || e.kind === "bad_url"))
        throw new ChannelAccountError(
          "misconfigured",
          "URL_REFUSED",
          e.message,
          "诺诺接口地址指向本机或内网，已拒绝：请检查 apiUrl / tokenUrl",
        );
      throw new ChannelUnavailableError(`诺诺无应答：${(e as Error).message}`);
    }
  }

  /** A new token from 诺诺's token URL (one of the 50 per 30 days). */
  async function fetchToken(s: NuonuoSettings): Promise<KeptToken> {
    const form = new URLSearchParams({
      client_id: s.appKey,
      client_secret: s.appSecret,
      grant_type: "client_credentials",
    }).toString();
    const res = await post(s.tokenUrl, form, {
      "content-type": "application/x-www-form-urlencoded;charset=UTF-8",
    });
    if (res.status >= 500 || res.status === 429)
      throw new ChannelUnavailableError(`诺诺令牌接口 HTTP ${res.status}`);
    let answer: {
      access_token?: unknown;
      expires_in?: unknown;
      error?: unknown;
      error_description?: unknown;
    };
    try {
      answer = JSON.parse(res.body.toString("utf8"));
    } catch {
      throw new ChannelUnavailableError(`诺诺令牌接口应答不是 JSON（HTTP ${res.status}）`);
    }
    if (typeof answer.access_token !== "string" || answer.access_token === "") {
      const code = String(answer.error ?? `HTTP_${res.status}`);
      const known = TOKEN_ERRORS[code];
      throw new ChannelAccountError(
        known?.problem ?? "bad_credentials",
        code,
        `诺诺令牌获取失败：${code} ${String(answer.error_description ?? "")}`.trim(),
        known?.action ?? "请核对诺诺应用的 appKey / appSecret",
      );
    }
    const seconds = Number(answer.expires_in);
    // [G] (mapping.ts) no usable expires_in: a permanent token.
    const expiresAt =
      Number.isFinite(seconds) && seconds > 0 ? new Date(now().getTime() + seconds * 1000) : null;
    return { token: answer.access_token, expiresAt };
  }

  /**
   * The token to call with: the pasted one, the kept one while fresh, or a new one — fetched once
   * at a time per app across every process (the quota is 50 per 30 days). `rejected`: the token the
   * gateway just refused, never handed out again.
   */
  async function token(s: NuonuoSettings, options: { rejected?: string } = {}): Promise<string> {
    if (s.accessToken) return s.accessToken;
    return tokens.obtain(tokenKey(s), "nuonuo", () => fetchToken(s), {
      usable: (t) => !t.expiresAt || t.expiresAt.getTime() - now().getTime() > TOKEN_REFRESH_MARGIN_MS,
      ...(options.rejected ? { rejected: options.rejected } : {}),
    });
  }

  async function send(
    s: NuonuoSettings,
    method: string,
    body: string,
    accessToken: string,
    userTax: string,
  ): Promise<NuonuoAnswer> {
    const senid = newSenid();
    const nonce = newNonce();
    const timestamp = String(Math.floor(Date.now() / 1000));
    const url = new URL(s.apiUrl);
    const sign = nuonuoSign({
      path: url.pathname,
      appKey: s.appKey,
      appSecret: s.appSecret,
      senid,
      nonce,
      timestamp,
      body,
    });
    url.search = new URLSearchParams({ senid, nonce, timestamp, appkey: s.appKey }).toString();
    const res = await post(url.toString(), body, {
      "content-type": "application/json;charset=utf-8",
      "X-Nuonuo-Sign": sign,
      accessToken,
      userTax,
      method,
      sdkVer: "1.0.1",
    });
    if (res.status === 429) throw new ChannelUnavailableError("诺诺限流（HTTP 429），稍后重试");
    if (res.status < 200 || res.status >= 300)
      throw new ChannelUnavailableError(`诺诺应答 HTTP ${res.status}，结果未知`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body.toString("utf8"));
    } catch {
      throw new ChannelUnavailableError("诺诺应答不是 JSON，结果未知");
    }
    const answer = parsed as Partial<NuonuoAnswer> | null;
    if (!answer || typeof answer !== "object" || typeof answer.code !== "string")
      throw new ChannelUnavailableError("诺诺应答缺少 code，结果未知");
    if (answer.code === NUONUO.rateLimited) throw new ChannelUnavailableError("诺诺限流，稍后重试");
    return { code: answer.code, describe: String(answer.describe ?? ""), result: answer.result };
  }

  /**
   * One business call: the body serialised once, signed and sent as signed. A token refused by the
   * gateway is renewed once (it may have expired early); a pasted token or a second refusal is an
   * account problem.
   */
  async function call(
    s: NuonuoSettings,
    method: string,
    payload: unknown,
    userTax = "",
  ): Promise<NuonuoAnswer> {
    const body = JSON.stringify(payload);
    const first = await token(s);
    let answer = await send(s, method, body, first, userTax);
    if (answer.code === NUONUO.badToken && !s.accessToken)
      answer = await send(s, method, body, await token(s, { rejected: first }), userTax);
    if (isAccountCode(answer.code)) {
      const signature = answer.code === NUONUO.badSignature;
      throw new ChannelAccountError(
        "bad_credentials",
        answer.code,
        `诺诺拒绝了账号凭据：${answer.code} ${answer.describe}`.trim(),
        signature
          ? "签名不匹配：请核对 appSecret"
          : s.accessToken
            ? "粘贴的令牌无效或已过期：请在诺诺开放平台重新获取令牌后粘贴，或清空令牌由票码自动获取"
            : "诺诺不接受令牌：请核对 appKey / appSecret",
      );
    }
    return answer;
  }

  return { call, token };
}

export type NuonuoClient = ReturnType<typeof createNuonuoClient>;
