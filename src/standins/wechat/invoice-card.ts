import { randomBytes } from "node:crypto";
import {
  CARD_SETUP,
  REIMBURSE_CANCEL,
  REIMBURSE_STATUSES,
  type ReimburseStatus,
  WECHAT_CARD,
} from "../../modules/wechat/card.mapping";
import type { StandinRequest, StandinResponse } from "../server";

/**
 * The 电子发票 卡包 calls of the WeChat stand-in (CHANNELS.md §5, 自建平台模式): getauthurl,
 * getauthdata, platform/setpdf, insert — each with the access token in the query, checked like
 * the real ones: the token is live, the s_pappid and card_id are the 公众号's, the wx_card ticket
 * is one it handed out, the PDF comes as multipart field `pdf` (another name: 47001), insert needs
 * the user's authorisation of that order (72038), a known s_pdf_media_id, a 20-digit 数电 number
 * with empty billing_code / check_code (72047), and refuses an order inserted already (72042).
 * platform/updatestatus (after 红冲: INVOICE_REIMBURSE_CANCEL voids the card) needs the 公众号's
 * card_id and the code an insert of this 公众号 answered with that card_id, and one of the four
 * reimburse_status values (72031); a card voided already refuses any further change, a second void
 * included — the codes of these refusals are guesses, [G] in modules/wechat/card.mapping.ts.
 * The user's tap on the authorisation page is a control: `authorize {orderId, refuse?}`.
 * The setup calls (开通微信卡包): seturl `{}` → invoice_url with the 公众号's s_pappid (one is
 * granted on the first call); setbizattr?action=set_contact `{contact: {phone, time_out}}`;
 * platform/createcard `{invoice_info: {base_info: {logo_url, title ≤ 9 chars}, payee, type}}` →
 * a new card_id, which becomes the 公众号's template (createcard before seturl: 72015). Refusal
 * codes of these are guesses, [G] in card.mapping.ts.
 */

export interface CardApp {
  appId: string;
  sPappid?: string;
  cardId?: string;
  /** What set_contact saved. */
  contact?: { phone: string; timeOut: number };
}

type Json = Record<string, unknown>;

interface Order {
  appId: string;
  orderId: string;
  money: number;
  status: "never auth" | "auth success" | "auth fail";
  authTime?: number;
  inserted?: {
    code: string;
    openid: string;
    billingNo: string;
    fee: number;
    title: string;
    cardId: string;
    /** The card's state in the user's 卡包 (updatestatus changes it; CANCEL is final). */
    reimburseStatus: ReimburseStatus;
  };
}

export interface CardEndpointsDeps {
  apps: Map<string, CardApp>;
  /** The app of a live access token, or the error answer (40001 / 42001). */
  appOfToken(token: string): { appId: string } | StandinResponse;
  /** Whether this app was handed this wx_card ticket. */
  hasCardTicket(appId: string, ticket: string): boolean;
  nowMs(): number;
  failure(endpoint: CardEndpoint): StandinResponse | null;
}

export const CARD_ENDPOINTS = [
  "getauthurl",
  "getauthdata",
  "setpdf",
  "insert",
  "updatestatus",
  "seturl",
  "setbizattr",
  "createcard",
] as const;
export type CardEndpoint = (typeof CARD_ENDPOINTS)[number];

export function createCardEndpoints(deps: CardEndpointsDeps) {
  let orders = new Map<string, Order>();
  let media = new Map<string, { appId: string; size: number }>();
  const noCalls = (): Record<CardEndpoint, number> => ({
    getauthurl: 0,
    getauthdata: 0,
    setpdf: 0,
    insert: 0,
    updatestatus: 0,
    seturl: 0,
    setbizattr: 0,
    createcard: 0,
  });
  let calls = noCalls();

  const error = (errcode: number, errmsg: string): StandinResponse => ({ json: { errcode, errmsg } });

  function authorised(req: StandinRequest): { appId: string } | StandinResponse {
    return deps.appOfToken(req.url.searchParams.get("access_token") ?? "");
  }

  function jsonBody(req: StandinRequest): Json | null {
    try {
      const v = JSON.parse(req.body.toString("utf8")) as unknown;
      return v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : null;
    } catch {
      return null;
    }
  }

  function getauthurl(req: StandinRequest): StandinResponse {
    const who = authorised(req);
    if (!("appId" in who)) return who;
    const body = jsonBody(req);
    if (!body) return error(47001, "data format error");
    const app = deps.apps.get(who.appId);
    if (!app?.sPappid || body.s_pappid !== app.sPappid) return error(72015, "unauthorized create invoice");
    if (typeof body.order_id !== "string" || !/^[\w-]{1,64}$/.test(body.order_id))
      return error(72031, "invalid params: order_id");
    if (!Number.isInteger(body.money) || (body.money as number) < 0)
      return error(72031, "invalid params: money");
    if (!Number.isInteger(body.timestamp)) return error(72031, "invalid params: timestamp");
    if (!["web", "app", "wxa", "wap"].includes(String(body.source)))
      return error(72031, "invalid params: source");
    if (![0, 1, 2].includes(body.type as number)) return error(72031, "invalid params: type");
    if (typeof body.ticket !== "string" || !deps.hasCardTicket(who.appId, body.ticket))
      return error(40097, "invalid args: ticket");
    const known = orders.get(body.order_id);
    if (known && known.appId !== who.appId) return error(72031, "invalid params: order_id");
    if (!known)
      orders.set(body.order_id, {
        appId: who.appId,
        orderId: body.order_id,
        money: body.money as number,
        status: "never auth",
      });
    const redirect = typeof body.redirect_url === "string" ? body.redirect_url : "";
    const authUrl = `https://mp.weixin.qq.com/bizmall/authinvoice?action=list&s_pappid=${encodeURIComponent(
      app.sPappid,
    )}&appid=${who.appId}&num=1&o1=${encodeURIComponent(body.order_id)}&m1=${body.money}&t1=${body.timestamp}&source=${body.source}&type=${body.type}&redirect_url=${encodeURIComponent(redirect)}`;
    return { json: { errcode: 0, errmsg: "ok", auth_url: authUrl, appid: who.appId } };
  }

  function getauthdata(req: StandinRequest): StandinResponse {
    const who = authorised(req);
    if (!("appId" in who)) return who;
    const body = jsonBody(req);
    if (!body) return error(47001, "data format error");
    const app = deps.apps.get(who.appId);
    if (!app?.sPappid || body.s_pappid !== app.sPappid) return error(72015, "unauthorized create invoice");
    const order = orders.get(String(body.order_id));
    if (!order || order.appId !== who.appId) return error(72038, "order not authorized");
    return {
      json: {
        errcode: 0,
        errmsg: "ok",
        invoice_status: order.status,
        auth_time: order.authTime ?? 0,
      },
    };
  }

  function setpdf(req: StandinRequest): StandinResponse {
    const who = authorised(req);
    if (!("appId" in who)) return who;
    const type = String(req.headers["content-type"] ?? "");
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (!/^multipart\/form-data/i.test(type) || !boundary) return error(47001, "data format error");
    const text = req.body.toString("latin1");
    const part = text
      .split(`--${boundary}`)
      .find((p) => /Content-Disposition:[^\r\n]*name="pdf"[^\r\n]*filename=/i.test(p));
    if (!part) return error(47001, "data format error");
    const content = part.slice(part.indexOf("\r\n\r\n") + 4).replace(/\r\n$/, "");
    if (!content.startsWith("%PDF-")) return error(47001, "data format error: not a pdf");
    const id = randomBytes(18).toString("base64url");
    media.set(id, { appId: who.appId, size: Buffer.byteLength(content, "latin1") });
    return { json: { errcode: 0, errmsg: "ok", s_media_id: id } };
  }

  function insert(req: StandinRequest): StandinResponse {
    const who = authorised(req);
    if (!("appId" in who)) return who;
    const body = jsonBody(req);
    if (!body) return error(47001, "data format error");
    const app = deps.apps.get(who.appId);
    if (!app?.cardId || body.card_id !== app.cardId) return error(40078, "invalid card status");
    if (body.appid !== who.appId) return error(72031, "invalid params: appid");
    const order = orders.get(String(body.order_id));
    if (!order || order.appId !== who.appId || order.status !== "auth success")
      return error(72038, "order not authorized");
    if (order.inserted) return error(72042, "invoice already inserted");
    const ext = body.card_ext as Json | undefined;
    const data = ((ext?.user_card as Json | undefined)?.invoice_user_data ?? null) as Json | null;
    if (!ext || typeof ext.nonce_str !== "string" || !data) return error(72031, "invalid params: card_ext");
    const billingNo = String(data.billing_no ?? "");
    if (!/^\d{20}$/.test(billingNo) || data.billing_code !== "" || data.check_code !== "")
      return error(72047, "invalid invoice code or number");
    const fee = data.fee;
    const without = data.fee_without_tax;
    const tax = data.tax;
    if (
      ![fee, without, tax].every((n) => Number.isInteger(n)) ||
      (without as number) + (tax as number) !== fee
    )
      return error(72031, "invalid params: fee");
    if (!Number.isInteger(data.billing_time) || String(data.billing_time).length !== 10)
      return error(72031, "invalid params: billing_time");
    if (typeof data.title !== "string" || !data.title) return error(72031, "invalid params: title");
    const m = media.get(String(data.s_pdf_media_id ?? ""));
    if (!m || m.appId !== who.appId) return error(72031, "invalid params: s_pdf_media_id");
    if (!Array.isArray(data.info) || data.info.length === 0) return error(72031, "invalid params: info");
    for (const other of orders.values())
      if (other.inserted?.billingNo === billingNo) return error(72042, "invoice already inserted");
    const inserted = {
      code: randomBytes(9).toString("hex"),
      openid: `oStandin${randomBytes(10).toString("base64url")}`,
      billingNo,
      fee: fee as number,
      title: data.title,
      cardId: app.cardId,
      reimburseStatus: "INVOICE_REIMBURSE_INIT" as ReimburseStatus,
    };
    order.inserted = inserted;
    return { json: { errcode: 0, errmsg: "ok", code: inserted.code, openid: inserted.openid } };
  }

  /** platform/updatestatus: `{card_id, code, reimburse_status}`; the 红冲 void is CANCEL. */
  function updatestatus(req: StandinRequest): StandinResponse {
    const who = authorised(req);
    if (!("appId" in who)) return who;
    const body = jsonBody(req);
    if (!body) return error(WECHAT_CARD.dataFormatError, "data format error");
    const app = deps.apps.get(who.appId);
    if (!app?.cardId || typeof body.card_id !== "string" || body.card_id !== app.cardId)
      return error(WECHAT_CARD.invalidCardId, "invalid card id");
    const status = body.reimburse_status;
    if (typeof status !== "string" || !(REIMBURSE_STATUSES as readonly string[]).includes(status))
      return error(WECHAT_CARD.invalidParams, "invalid params: reimburse_status");
    const card = [...orders.values()].find(
      (o) => o.appId === who.appId && o.inserted?.code === body.code && o.inserted?.cardId === body.card_id,
    )?.inserted;
    if (!card || typeof body.code !== "string") return error(WECHAT_CARD.invalidCode, "invalid serial code");
    if (card.reimburseStatus === REIMBURSE_CANCEL)
      return error(WECHAT_CARD.statusNotChangeable, "invoice status error");
    card.reimburseStatus = status as ReimburseStatus;
    return { json: { errcode: 0, errmsg: "ok" } };
  }

  /** seturl `{}` → invoice_url carrying the s_pappid (granted on the first call, then the same). */
  function seturl(req: StandinRequest): StandinResponse {
    const who = authorised(req);
    if (!("appId" in who)) return who;
    if (!jsonBody(req)) return error(WECHAT_CARD.dataFormatError, "data format error");
    const app = deps.apps.get(who.appId);
    if (!app) return error(CARD_SETUP.noPermission, "unauthorized create invoice");
    app.sPappid ??= Buffer.from(`${who.appId}_${randomBytes(6).toString("hex")}`).toString("base64url");
    return {
      json: {
        errcode: 0,
        errmsg: "ok",
        invoice_url: `https://mp.weixin.qq.com/bizmall/authinvoice?action=list&s_pappid=${encodeURIComponent(app.sPappid)}`,
      },
    };
  }

  /** setbizattr: only action=set_contact, `{contact: {phone, time_out}}`. */
  function setbizattr(req: StandinRequest): StandinResponse {
    const who = authorised(req);
    if (!("appId" in who)) return who;
    if (req.url.searchParams.get("action") !== "set_contact")
      return error(CARD_SETUP.invalidArgs, "invalid args: action");
    const body = jsonBody(req);
    if (!body) return error(WECHAT_CARD.dataFormatError, "data format error");
    const contact = body.contact as Json | undefined;
    if (!contact || typeof contact !== "object")
      return error(WECHAT_CARD.invalidParams, "invalid params: contact");
    if (typeof contact.phone !== "string" || !/^[0-9+\-\s()]{5,30}$/.test(contact.phone))
      return error(WECHAT_CARD.invalidParams, "invalid params: phone");
    if (!Number.isInteger(contact.time_out) || (contact.time_out as number) <= 0)
      return error(WECHAT_CARD.invalidParams, "invalid params: time_out");
    const app = deps.apps.get(who.appId);
    if (app) app.contact = { phone: contact.phone, timeOut: contact.time_out as number };
    return { json: { errcode: 0, errmsg: "ok" } };
  }

  /** platform/createcard → card_id; needs seturl first (the 公众号 is a 开票平台 only then). */
  function createcard(req: StandinRequest): StandinResponse {
    const who = authorised(req);
    if (!("appId" in who)) return who;
    const body = jsonBody(req);
    if (!body) return error(WECHAT_CARD.dataFormatError, "data format error");
    const app = deps.apps.get(who.appId);
    if (!app?.sPappid) return error(CARD_SETUP.noPermission, "unauthorized create invoice");
    const info = body.invoice_info as Json | undefined;
    const base = info?.base_info as Json | undefined;
    if (!info || !base) return error(WECHAT_CARD.invalidParams, "invalid params: invoice_info.base_info");
    const text = (v: unknown) => typeof v === "string" && v.trim() !== "";
    if (!text(base.logo_url) || !/^https?:\/\//.test(String(base.logo_url)))
      return error(WECHAT_CARD.invalidParams, "invalid params: logo_url");
    if (!text(base.title) || Array.from(String(base.title)).length > CARD_SETUP.titleMaxChars)
      return error(WECHAT_CARD.invalidParams, "invalid params: title");
    if (!text(info.payee)) return error(WECHAT_CARD.invalidParams, "invalid params: payee");
    if (!text(info.type)) return error(WECHAT_CARD.invalidParams, "invalid params: type");
    app.cardId = `p${randomBytes(20).toString("base64url")}`;
    return { json: { errcode: 0, errmsg: "ok", card_id: app.cardId } };
  }

  const handlers: Record<CardEndpoint, (req: StandinRequest) => StandinResponse> = {
    getauthurl,
    getauthdata,
    setpdf,
    insert,
    updatestatus,
    seturl,
    setbizattr,
    createcard,
  };
  const paths: Record<string, CardEndpoint> = {
    "/card/invoice/getauthurl": "getauthurl",
    "/card/invoice/getauthdata": "getauthdata",
    "/card/invoice/platform/setpdf": "setpdf",
    "/card/invoice/insert": "insert",
    "/card/invoice/platform/updatestatus": "updatestatus",
    "/card/invoice/seturl": "seturl",
    "/card/invoice/setbizattr": "setbizattr",
    "/card/invoice/platform/createcard": "createcard",
  };

  return {
    handle(req: StandinRequest): StandinResponse | null {
      const endpoint = paths[req.url.pathname];
      if (!endpoint || req.method !== "POST") return null;
      calls[endpoint] += 1;
      return deps.failure(endpoint) ?? handlers[endpoint](req);
    },
    /** The user's answer on the authorisation page. */
    authorize(orderId: string, refuse: boolean): Json {
      const order = orders.get(orderId);
      if (!order) throw new Error(`authorize: no order ${orderId}`);
      order.status = refuse ? "auth fail" : "auth success";
      order.authTime = Math.floor(deps.nowMs() / 1000);
      return { orderId, status: order.status };
    },
    state: () => ({
      cardCalls: calls,
      orders: [...orders.values()].map((o) => ({ ...o })),
      media: media.size,
    }),
    calls: () => ({ ...calls }),
    reset(): void {
      orders = new Map();
      media = new Map();
      calls = noCalls();
    },
  };
}
