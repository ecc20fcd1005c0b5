import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { type Keyring, sha256Hex } from "../../platform/crypto";
import type { Database } from "../../platform/db/client";
import { wechatTokens } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { getJson, postBytes, postJson } from "../../platform/outbound-http";

/** Both live 7200 s; a kept one is renewed this long before it ends, so no page gets a dying ticket. */
export const WECHAT_RENEW_MARGIN_MS = 5 * 60_000;

/** WeChat's answers that mean the access token is no longer good (全局返回码说明). */
const STALE_TOKEN_CODES = new Set([40001, 40014, 42001]);

export interface WechatClientOptions {
  database: Database;
  keyring: Keyring;
  /** `https://api.weixin.qq.com`, or a stand-in's address. */
  apiUrl: string;
  now?: () => Date;
  timeoutMs?: number;
}

export interface WechatCredentials {
  appId: string;
  secret: string;
}

export interface WechatAnswer {
  errcode?: number;
  errmsg?: string;
  access_token?: string;
  ticket?: string;
  expires_in?: number;
  [key: string]: unknown;
}

/**
 * A 公众号's jsapi_ticket, obtained with its access token (`/cgi-bin/token`, then
 * `/cgi-bin/ticket/getticket?type=jsapi`). Both are kept sealed in `wechat_tokens` and reused by every
 * process until near expiry — WeChat limits how often they may be fetched — and fetched at most once
 * at a time per 公众号 in this process. A failure is `SERVICE_UNAVAILABLE` with WeChat's code.
 */
export function createWechatClient(options: WechatClientOptions) {
  const { database, keyring } = options;
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 8_000;
  const fetching = new Map<string, Promise<string>>();

  const keyOf = (c: WechatCredentials) => `wechat:${sha256Hex(`${c.appId}\n${c.secret}`)}`;
  const fresh = (expiresAt: Date | null | undefined) =>
    !!expiresAt && expiresAt.getTime() - now().getTime() > WECHAT_RENEW_MARGIN_MS;

  async function call(path: string, query: Record<string, string>): Promise<WechatAnswer> {
    const url = `${options.apiUrl}${path}?${new URLSearchParams(query)}`;
    let res: { status: number; body: Buffer };
    try {
      res = await getJson(url, {}, { timeoutMs, maxBytes: 64 * 1024, allowPrivate: true });
    } catch (e) {
      throw unavailable(`微信接口无应答：${(e as Error).message}`);
    }
    try {
      return JSON.parse(res.body.toString("utf8")) as WechatAnswer;
    } catch {
      throw unavailable(`微信接口应答不是 JSON（HTTP ${res.status}）`);
    }
  }

  function parse(res: { status: number; body: Buffer }): WechatAnswer {
    try {
      return JSON.parse(res.body.toString("utf8")) as WechatAnswer;
    } catch {
      throw new WechatNoAnswerError(`微信接口应答不是 JSON（HTTP ${res.status}）`);
    }
  }

  /** A POST with the access token in the query: JSON, or the bytes of a multipart upload. */
  async function post(
    path: string,
    accessToken: string,
    body: { json: unknown } | { bytes: Buffer; contentType: string },
  ): Promise<WechatAnswer> {
    // A path may carry its own query (setbizattr?action=set_contact): the token joins it.
    const url = `${options.apiUrl}${path}${path.includes("?") ? "&" : "?"}${new URLSearchParams({ access_token: accessToken })}`;
    const limits = { timeoutMs, maxBytes: 64 * 1024, allowPrivate: true };
    try {
      const res =
        "json" in body
          ? await postJson(url, JSON.stringify(body.json), {}, limits)
          : await postBytes(url, body.bytes, { "content-type": body.contentType }, limits);
      return parse(res);
    } catch (e) {
      if (e instanceof AppError) throw e;
      throw new WechatNoAnswerError(`微信接口无应答：${(e as Error).message}`);
    }
  }

  /** The kept access token while fresh, else a new one (kept for every process). */
  async function accessToken(c: WechatCredentials, options: { renew?: boolean } = {}): Promise<string> {
    const key = keyOf(c);
    if (!options.renew) {
      const [row] = await database.db.select().from(wechatTokens).where(eq(wechatTokens.key, key));
      if (row && fresh(row.accessTokenExpiresAt)) return keyring.decrypt(row.accessTokenCiphertext);
    }
    const access = await fetchAccessToken(c);
    const values = {
      accessTokenCiphertext: keyring.encrypt(access.token),
      accessTokenExpiresAt: access.expiresAt,
      updatedAt: now(),
    };
    await database.db
      .insert(wechatTokens)
      .values({ key, ...values })
      .onConflictDoUpdate({ target: wechatTokens.key, set: values });
    return access.token;
  }

  /** wx_card tickets, kept in this process until near expiry (the card flow's getauthurl needs one). */
  const cardTickets = new Map<string, { ticket: string; expiresAt: Date }>();

  /** A call made with the 公众号's token, once more with a new token when WeChat says it went stale. */
  async function withToken(c: WechatCredentials, call: (token: string) => Promise<WechatAnswer>) {
    let answer = await call(await accessToken(c));
    if (STALE_TOKEN_CODES.has(Number(answer.errcode)))
      answer = await call(await accessToken(c, { renew: true }));
    return answer;
  }

  async function fetchAccessToken(c: WechatCredentials): Promise<{ token: string; expiresAt: Date }> {
    const answer = await call("/cgi-bin/token", {
      grant_type: "client_credential",
      appid: c.appId,
      secret: c.secret,
    });
    if (!answer.access_token) throw refused("获取 access_token", answer);
    return { token: answer.access_token, expiresAt: expiry(answer.expires_in) };
  }

  async function fetchTicket(c: WechatCredentials, key: string): Promise<string> {
    const [row] = await database.db.select().from(wechatTokens).where(eq(wechatTokens.key, key));
    let access =
      row && fresh(row.accessTokenExpiresAt)
        ? { token: keyring.decrypt(row.accessTokenCiphertext), expiresAt: row.accessTokenExpiresAt }
        : null;
    let renewed = false;
    if (!access) {
      access = await fetchAccessToken(c);
      renewed = true;
    }
    let answer = await call("/cgi-bin/ticket/getticket", { access_token: access.token, type: "jsapi" });
    if (!answer.ticket && !renewed && STALE_TOKEN_CODES.has(Number(answer.errcode))) {
      // The kept token was revoked early (another system fetched a new one for this 公众号): once more.
      access = await fetchAccessToken(c);
      answer = await call("/cgi-bin/ticket/getticket", { access_token: access.token, type: "jsapi" });
    }
    if (!answer.ticket) throw refused("获取 jsapi_ticket", answer);
    const values = {
      key,
      accessTokenCiphertext: keyring.encrypt(access.token),
      accessTokenExpiresAt: access.expiresAt,
      ticketCiphertext: keyring.encrypt(answer.ticket),
      ticketExpiresAt: expiry(answer.expires_in),
      updatedAt: now(),
    };
    await database.db
      .insert(wechatTokens)
      .values(values)
      .onConflictDoUpdate({ target: wechatTokens.key, set: values });
    return answer.ticket;
  }

  function expiry(seconds: unknown): Date {
    const s = Number(seconds);
    return new Date(now().getTime() + (Number.isFinite(s) && s > 0 ? s : 7200) * 1000);
  }

  return {
    /** A JSON POST to a WeChat API path with the 公众号's access token (renewed once if stale). */
    postJson: (c: WechatCredentials, path: string, json: unknown) =>
      withToken(c, (token) => post(path, token, { json })),
    /** A file uploaded as multipart form field `field` (卡包 setpdf: `pdf`). */
    upload: (
      c: WechatCredentials,
      path: string,
      file: { field: string; filename: string; bytes: Buffer },
    ) => {
      const boundary = `----piaoma${randomBytes(12).toString("hex")}`;
      const bytes = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\n` +
            "Content-Type: application/pdf\r\n\r\n",
        ),
        file.bytes,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      return withToken(c, (token) =>
        post(path, token, { bytes, contentType: `multipart/form-data; boundary=${boundary}` }),
      );
    },
    /** The 公众号's wx_card ticket (for getauthurl). */
    async cardTicket(c: WechatCredentials): Promise<string> {
      const key = keyOf(c);
      const kept = cardTickets.get(key);
      if (kept && fresh(kept.expiresAt)) return kept.ticket;
      const answer = await withToken(c, (token) =>
        call("/cgi-bin/ticket/getticket", { access_token: token, type: "wx_card" }),
      );
      if (!answer.ticket) throw refused("获取 wx_card ticket", answer);
      cardTickets.set(key, { ticket: answer.ticket, expiresAt: expiry(answer.expires_in) });
      return answer.ticket;
    },
    /** The 公众号's jsapi_ticket: the kept one while fresh, else a new one. */
    async jsapiTicket(c: WechatCredentials): Promise<string> {
      const key = keyOf(c);
      const [row] = await database.db.select().from(wechatTokens).where(eq(wechatTokens.key, key));
      if (row?.ticketCiphertext && fresh(row.ticketExpiresAt)) return keyring.decrypt(row.ticketCiphertext);
      let pending = fetching.get(key);
      if (!pending) {
        pending = fetchTicket(c, key).finally(() => fetching.delete(key));
        fetching.set(key, pending);
      }
      return pending;
    },
  };
}

export type WechatClient = ReturnType<typeof createWechatClient>;

/**
 * A business call (postJson / upload) sent with a good token got no usable answer: WeChat may have
 * acted on it (the 卡包 void reads a later "status not changeable" accordingly). A failure to get
 * the token is a plain SERVICE_UNAVAILABLE: nothing was asked of WeChat yet.
 */
export class WechatNoAnswerError extends AppError {
  constructor(message: string) {
    super("SERVICE_UNAVAILABLE", message);
  }
}

function unavailable(message: string): AppError {
  return new AppError("SERVICE_UNAVAILABLE", message);
}

function refused(step: string, answer: WechatAnswer): AppError {
  return new AppError(
    "SERVICE_UNAVAILABLE",
    `微信${step}失败：${answer.errcode ?? "?"} ${answer.errmsg ?? ""}`.trim(),
    {
      wechatErrcode: answer.errcode ?? null,
    },
  );
}
