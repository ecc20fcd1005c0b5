import { randomBytes } from "node:crypto";
import { StandinClock } from "../clock";
import {
  type RunningStandin,
  type StandinDefinition,
  type StandinRequest,
  type StandinResponse,
  startStandin,
} from "../server";
import { CARD_ENDPOINTS, type CardEndpoint, createCardEndpoints } from "./invoice-card";

/**
 * A local stand-in for the two WeChat calls a JS-SDK page needs (公众号 开发文档: 获取 Access token,
 * JS-SDK 附录1 获取 jsapi_ticket): `GET /cgi-bin/token?grant_type=client_credential&appid&secret` and
 * `GET /cgi-bin/ticket/getticket?access_token&type=jsapi`, both with WeChat's answer shapes and its
 * global codes (40013 invalid appid, 40125 invalid appsecret, 40001 invalid credential, 42001 access
 * token expired, 40002 invalid grant_type). It counts calls per endpoint and can fail on command:
 * `POST /__standin/fail {endpoint: "token" | "ticket", errcode, errmsg?, times?}`, or
 * `{endpoint, status: 503}` for an HTTP failure; `POST /__standin/revoke` invalidates every access
 * token issued so far (what WeChat does when another system fetches a new one). The 电子发票 卡包
 * calls (getauthurl, getauthdata, setpdf, insert, platform/updatestatus) are in invoice-card.ts, and
 * fail on command the same way (`{endpoint: "updatestatus", errcode}` or `{…, status: 503}`); the
 * user's authorisation is `POST /__standin/authorize {orderId, refuse?}`. The 开通卡包 setup calls
 * (seturl, setbizattr set_contact, platform/createcard) are there too and fail on command alike
 * (`{endpoint: "seturl" | "setbizattr" | "createcard", …}`).
 */
export interface WechatApp {
  appId: string;
  secret: string;
  /** With the 电子发票 plugin (卡包): its s_pappid (from seturl) and invoice card template. */
  sPappid?: string;
  cardId?: string;
  /** What set_contact saved (开通卡包). */
  contact?: { phone: string; timeOut: number };
}

export const DEFAULT_WECHAT_APP: WechatApp = {
  appId: "wx5f3a2b1c0d9e8f70",
  secret: "3f7c1a9e5b2d8c4f6a0e1b3d5c7f9a2e",
  sPappid: "d3g1ZjNhMmIxYzBkOWU4ZjcwX3BpYW9tYV9zdGFuZGlu",
  cardId: "pjZ8Yt1XGILfi-FUsewpnnolGgZk",
};

/** WeChat's lifetime of both, in seconds. */
const LIFETIME_S = 7200;

type FailEndpoint = "token" | "ticket" | CardEndpoint;

interface Failure {
  endpoint: FailEndpoint;
  errcode?: number;
  errmsg?: string;
  status?: number;
  times: number;
}

export function createWechatStandin(
  options: { apps?: WechatApp[]; clock?: StandinClock; port?: number; host?: string } = {},
) {
  const clock = options.clock ?? new StandinClock("manual");
  // Copies: seturl / createcard grant an app its s_pappid / card_id, never in the caller's objects.
  const apps = new Map((options.apps ?? [DEFAULT_WECHAT_APP]).map((a) => [a.appId, { ...a }]));
  let tokens = new Map<string, { appId: string; expiresAt: number }>();
  let tickets: Array<{ appId: string; ticket: string; type: string }> = [];
  let calls = { token: 0, ticket: 0 };
  let failures: Failure[] = [];

  const json = (body: Record<string, unknown>): StandinResponse => ({ json: body });
  const error = (errcode: number, errmsg: string) => json({ errcode, errmsg });

  function failure(endpoint: FailEndpoint): StandinResponse | null {
    const f = failures.find((x) => x.endpoint === endpoint);
    if (!f) return null;
    f.times -= 1;
    if (f.times <= 0) failures = failures.filter((x) => x !== f);
    if (f.status) return { status: f.status, text: "Service Unavailable" };
    return error(f.errcode ?? -1, f.errmsg ?? "system error");
  }

  function token(req: StandinRequest): StandinResponse {
    calls.token += 1;
    const q = req.url.searchParams;
    const failed = failure("token");
    if (failed) return failed;
    if (q.get("grant_type") !== "client_credential") return error(40002, "invalid grant_type");
    const app = apps.get(q.get("appid") ?? "");
    if (!app) return error(40013, "invalid appid");
    if (q.get("secret") !== app.secret) return error(40125, "invalid appsecret");
    const value = randomBytes(24).toString("base64url");
    tokens.set(value, { appId: app.appId, expiresAt: clock.ms() + LIFETIME_S * 1000 });
    return json({ access_token: value, expires_in: LIFETIME_S });
  }

  function ticket(req: StandinRequest): StandinResponse {
    calls.ticket += 1;
    const q = req.url.searchParams;
    const failed = failure("ticket");
    if (failed) return failed;
    const held = tokens.get(q.get("access_token") ?? "");
    if (!held) return error(40001, "invalid credential, access_token is invalid or not latest");
    if (held.expiresAt <= clock.ms()) return error(42001, "access_token expired");
    const type = q.get("type") ?? "";
    if (type !== "jsapi" && type !== "wx_card") return error(40097, "invalid args");
    const value = randomBytes(32).toString("base64url");
    tickets.push({ appId: held.appId, ticket: value, type });
    return json({ errcode: 0, errmsg: "ok", ticket: value, expires_in: LIFETIME_S });
  }

  const cards = createCardEndpoints({
    apps,
    appOfToken(value) {
      const held = tokens.get(value);
      if (!held) return error(40001, "invalid credential, access_token is invalid or not latest");
      if (held.expiresAt <= clock.ms()) return error(42001, "access_token expired");
      return { appId: held.appId };
    },
    hasCardTicket: (appId, value) =>
      tickets.some((t) => t.appId === appId && t.ticket === value && t.type === "wx_card"),
    nowMs: () => clock.ms(),
    failure,
  });

  function reset(): void {
    tokens = new Map();
    tickets = [];
    calls = { token: 0, ticket: 0 };
    failures = [];
    cards.reset();
  }

  const definition: StandinDefinition = {
    name: "wechat",
    handle(req) {
      if (req.method === "GET" && req.url.pathname === "/cgi-bin/token") return token(req);
      if (req.method === "GET" && req.url.pathname === "/cgi-bin/ticket/getticket") return ticket(req);
      const card = cards.handle(req);
      if (card) return card;
      return { status: 404, json: { errcode: 404, errmsg: "not found" } };
    },
    control(action, body) {
      switch (action) {
        case "tick":
          return {};
        case "fail": {
          const endpoint = body.endpoint as FailEndpoint;
          if (
            endpoint !== "token" &&
            endpoint !== "ticket" &&
            !CARD_ENDPOINTS.includes(endpoint as CardEndpoint)
          )
            throw new Error(`fail: endpoint is one of token, ticket, ${CARD_ENDPOINTS.join(", ")}`);
          const times = typeof body.times === "number" && body.times > 0 ? body.times : 1;
          failures.push({
            endpoint,
            times,
            errcode: typeof body.errcode === "number" ? body.errcode : undefined,
            errmsg: typeof body.errmsg === "string" ? body.errmsg : undefined,
            status: typeof body.status === "number" ? body.status : undefined,
          });
          return { failing: failures.length };
        }
        case "authorize":
          return cards.authorize(String(body.orderId ?? ""), body.refuse === true);
        case "revoke":
          tokens = new Map();
          return { revoked: true };
        default:
          throw new Error(`unknown control ${action}`);
      }
    },
    state: () => ({ now: clock.now().toISOString(), calls, tokens: tokens.size, tickets, ...cards.state() }),
    reset,
  };

  return {
    definition,
    clock,
    /** The tickets handed out, newest last: tests recompute a page's signature with them. */
    tickets: () => tickets.map((t) => t.ticket),
    calls: () => ({ ...calls }),
    cardCalls: () => cards.calls(),
    /** The user taps 授权 (or refuses) on the authorisation page of this order. */
    authorize: (orderId: string, refuse = false) => cards.authorize(orderId, refuse),
    /** The orders authorised through getauthurl, with their insert. */
    orders: () => cards.state().orders,
    /** An app as the stand-in holds it now (its s_pappid, card_id, contact after setup). */
    app: (appId: string) => {
      const a = apps.get(appId);
      return a ? { ...a } : undefined;
    },
    start: (): Promise<RunningStandin> =>
      startStandin(definition, clock, { port: options.port, host: options.host }),
  };
}
