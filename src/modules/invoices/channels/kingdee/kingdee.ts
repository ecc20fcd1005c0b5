/**
 * The 金蝶发票云旗舰版 channel (CHANNELS.md §2): issue through ALLE.INVOICE.OPEN, learn the result
 * through ALLE.INVOICE.QUERY, reverse through ALLE.INVOICE.RED, check the account through
 * ALLE.ACCOUNT.CHECK, and turn a 2.1.02 callback into a query (a callback is never believed by
 * itself). Nothing here touches the database: the caller stores `channelOrderNo` before the first
 * call and acts on the result.
 *
 * Idempotency: the `serialNo` is ours; a repeat is answered 10127 and resolved by a query of that
 * same serial, and a lost answer is resolved by a query too. A new serial is never minted here.
 */
import { Dec } from "../../../../domain/money";
import {
  accountProblem,
  createKingdeeClient,
  type KingdeeAnswer,
  type KingdeeDeps,
  KingdeeStop,
} from "./client";
import { createKingdeeCodec, KingdeeCodecError } from "./codec";
import { localProblem, openInvoiceData, redInvoiceData } from "./invoice-data";
import { KINGDEE_CALLBACK_REPLY, KINGDEE_MAPPING as M } from "./mapping";
import { type KingdeeSettings, parseKingdeeSettings } from "./settings";
import type { KingdeeAccountCheck, KingdeeIssueRequest, KingdeeRedRequest, KingdeeResult } from "./types";

export type { KingdeeDeps } from "./client";

export interface KingdeeQuery {
  channelOrderNo: string;
  sellerTaxId: string;
}

export type KingdeeCallbackOutcome =
  | {
      accepted: true;
      /** The serial the callback named; `result` is what a query of it answered, not what the callback said. */
      channelOrderNo: string;
      result: KingdeeResult | null;
      reply: typeof KINGDEE_CALLBACK_REPLY;
    }
  | { accepted: false; reason: string; reply: { message: string; errorCode: string; success: false } };

export interface KingdeeChannel {
  readonly id: "kingdee";
  issue(request: KingdeeIssueRequest): Promise<KingdeeResult>;
  /** What became of a serial; null when Kingdee never saw it. */
  query(query: KingdeeQuery): Promise<KingdeeResult | null>;
  red(request: KingdeeRedRequest): Promise<KingdeeResult>;
  /** The console's 测试连接: credentials (token chain) and the 电子税局 account state. */
  testConnection(input: { sellerTaxId: string }): Promise<KingdeeAccountCheck>;
  /**
   * A 2.1.02 callback body → a query of the serial it names. `expectSellerTaxId`, when given, must
   * match the callback's seller (a callback for another account is refused).
   */
  handleCallback(body: unknown, options?: { expectSellerTaxId?: string }): Promise<KingdeeCallbackOutcome>;
}

const CONSUMER = {
  generic: "开票服务没有开出这张发票，商家已收到通知，会尽快处理。",
  risk: "税务系统暂时不能为这家商户开票，商家已收到通知，会尽快处理。",
  redRefused: "这张红字发票的确认单没有通过，商家已收到通知，会尽快处理。",
  local: "这张发票的信息还不完整，商家已收到通知，会尽快处理。",
};

const str = (v: unknown) => (v === undefined || v === null ? "" : String(v));

function refused(
  channelCode: string,
  channelMessage: string,
  consumerMessage = CONSUMER.generic,
): KingdeeResult {
  return { status: "refused", channelCode, channelMessage, consumerMessage };
}

/** A failed answer that is not a duplicate: account problem, rate limit, or a refusal. */
function failure(a: KingdeeAnswer): KingdeeResult {
  const codes = M.accountProblemCodes;
  const message = a.message || "金蝶未给出原因";
  if (a.errorCode === codes.loggedOut) return accountProblem("logged_out", a.errorCode, message);
  if (a.errorCode === codes.faceAuth) return accountProblem("face_auth", a.errorCode, message);
  if (a.errorCode === codes.codec) return accountProblem("codec", a.errorCode, message);
  if (a.errorCode === codes.unknownSystem) return accountProblem("unknown_system", a.errorCode, message);
  if (a.errorCode === M.rateLimitCode)
    return { status: "transient", reason: `金蝶限流：${message}`, retryAfterMs: 1000 };
  if (a.errorCode === M.riskControlCode) return refused(a.errorCode, message, CONSUMER.risk);
  return refused(a.errorCode || "UNKNOWN", message);
}

/** A JSON number or numeric text as 2-decimal money text (JSON numbers of ≤ 15 digits print exactly). */
function money(v: unknown): string | undefined {
  const text =
    typeof v === "number" && Number.isFinite(v) ? String(v) : typeof v === "string" ? v.trim() : "";
  return /^-?\d+(\.\d+)?$/.test(text) ? new Dec(text).toFixed(2) : undefined;
}

/** `invoiceDate` → instant. [G] format: see mapping.ts `invoiceDateZone`. */
function readDate(value: unknown, fallback: number): Date {
  const text = str(value).trim();
  if (/^\d{12,14}$/.test(text)) return new Date(Number(text));
  const local = /^(\d{4})-?(\d{2})-?(\d{2})[ T]?(\d{2}):?(\d{2}):?(\d{2})$/.exec(text);
  if (local) {
    const [, y, mo, d, h, mi, s] = local;
    return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${M.invoiceDateZone}`);
  }
  const parsed = text ? new Date(text) : null;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed : new Date(fallback);
}

export function createKingdeeChannel(
  rawSettings: KingdeeSettings | Record<string, unknown>,
  deps: KingdeeDeps = {},
): KingdeeChannel {
  const settings = parseKingdeeSettings(rawSettings);
  const codec =
    settings.encryption === "aes"
      ? createKingdeeCodec({ encryption: "aes", password: settings.aesPassword! })
      : createKingdeeCodec({ encryption: "base64" });
  const client = createKingdeeClient(settings, codec, deps);
  const now = deps.now ?? Date.now;
  const warn = deps.warn ?? (() => {});

  async function guarded<T>(run: () => Promise<T>): Promise<T | KingdeeResult> {
    try {
      return await run();
    } catch (e) {
      if (e instanceof KingdeeStop) return e.result;
      throw e;
    }
  }

  /** The decoded query data → a result. */
  function fromQueryData(serialNo: string, data: unknown): KingdeeResult {
    if (!data || typeof data !== "object" || Array.isArray(data)) {
      warn("金蝶查询答复的 data 无法解读，按开票中处理", { serialNo });
      return { status: "pending", note: "金蝶查询答复无法解读" };
    }
    const d = data as Record<string, unknown>;
    const confirm = str(d.redConfirmBillStatus);
    const entry = confirm ? M.redConfirmStatus[confirm] : undefined;
    const confirmation = confirm
      ? {
          ...(str(d.redInfoBillNo) ? { number: str(d.redInfoBillNo) } : {}),
          ...(entry ? { status: entry.ours } : {}),
        }
      : undefined;
    const withConfirmation = <R extends KingdeeResult>(r: R): R =>
      confirmation ? { ...r, confirmation } : r;
    if (confirm) {
      const state = entry?.state;
      if (state === "waiting_for_buyer" || state === "waiting_for_seller")
        return withConfirmation({ status: "confirmation_pending", confirmStatus: confirm });
      if (state === "refused" || state === "expired" || state === "revoked" || state === "void")
        return withConfirmation(
          refused(
            `RED_CONFIRM_${confirm}`,
            str(d.redConfirmBillMessage) || `红字确认单状态 ${confirm}`,
            CONSUMER.redRefused,
          ),
        );
      if (!state) warn("金蝶红字确认单状态未知，按开票中处理", { serialNo, redConfirmBillStatus: confirm });
    }
    const code = str(d.invoiceStatus);
    const state = M.invoiceStatus[code];
    const number = str(d.invoiceNum);
    if ((state === "issued" || state === "reversed" || state === "voided") && /^\d{20}$/.test(number)) {
      const files = {
        ...(d.invoiceFileUrl ? { pdf: str(d.invoiceFileUrl) } : {}),
        ...(d.ofdFileUrl ? { ofd: str(d.ofdFileUrl) } : {}),
        ...(d.xmlFileUrl ? { xml: str(d.xmlFileUrl) } : {}),
      };
      return withConfirmation({
        status: "issued",
        number,
        issuedAt: readDate(d.invoiceDate, now()),
        ...(money(d.totalAmount) ? { totalAmount: money(d.totalAmount)! } : {}),
        files,
        ...(state === "reversed" || state === "voided" ? { laterState: state } : {}),
      });
    }
    if (state === "issued")
      warn("金蝶答复已开具但发票号码不是 20 位，按开票中处理", { serialNo, invoiceNum: number });
    if (state === "seal_failed") return { status: "pending", note: "签章失败，金蝶重试中" };
    if (!state) warn("金蝶发票状态未知，按开票中处理", { serialNo, invoiceStatus: code });
    return { status: "pending" };
  }

  async function queryRaw(q: KingdeeQuery): Promise<KingdeeResult | null> {
    const a = await client.call("ALLE.INVOICE.QUERY", {
      serialNo: q.channelOrderNo,
      sellerTaxpayerId: q.sellerTaxId,
    });
    if (a.success) return fromQueryData(q.channelOrderNo, a.data);
    if (M.notFoundCodes.includes(a.errorCode)) return null;
    const f = failure(a);
    if (f.status !== "refused" || f.channelCode === M.riskControlCode) return f;
    if (M.issueFailedCodes.includes(a.errorCode) || M.issueFailedMessage.test(a.message)) return f;
    warn("金蝶查询失败，原因不明，按暂时失败处理", {
      serialNo: q.channelOrderNo,
      errorCode: a.errorCode,
      message: a.message,
    });
    return { status: "transient", reason: `金蝶查询失败：${a.errorCode} ${a.message}` };
  }

  async function query(q: KingdeeQuery): Promise<KingdeeResult | null> {
    return guarded(() => queryRaw(q));
  }

  /**
   * After an answer was lost (timeout, cut connection, 5xx): what the channel knows. A request it
   * never saw is transient (the caller re-sends the same serial later); nothing else is minted.
   */
  async function afterLostAnswer(q: KingdeeQuery, reason: string): Promise<KingdeeResult> {
    const found = await guarded(() => queryRaw(q));
    if (found === null) return { status: "transient", reason };
    if (found.status === "transient") return { status: "transient", reason: `${reason}；随后的查询也未成功` };
    return found;
  }

  /** OPEN and RED share this: send, and resolve duplicates and lost answers by querying the serial. */
  async function submit(
    interfaceCode: string,
    data: Parameters<typeof client.call>[1],
    q: KingdeeQuery,
  ): Promise<KingdeeResult> {
    let a: KingdeeAnswer;
    try {
      a = await client.call(interfaceCode, data);
    } catch (e) {
      if (e instanceof KingdeeStop) {
        if (e.result.status === "transient") return afterLostAnswer(q, e.result.reason);
        return e.result;
      }
      throw e;
    }
    if (a.errorCode === M.duplicateSerialCode) {
      const found = await query(q);
      return found ?? { status: "transient", reason: "金蝶答复单号重复，但查询不到该单号" };
    }
    if (!a.success) return failure(a);
    return { status: "pending" };
  }

  return {
    id: "kingdee",

    async issue(request) {
      const problem = localProblem(request);
      if (problem) return refused("LOCAL_VALIDATION", problem, CONSUMER.local);
      return submit("ALLE.INVOICE.OPEN", openInvoiceData(request), {
        channelOrderNo: request.channelOrderNo,
        sellerTaxId: request.seller.taxId,
      });
    },

    query,

    async red(request) {
      if (!/^\d{20}$/.test(request.blueNumber))
        return refused("LOCAL_VALIDATION", "蓝字发票号码应为 20 位数字", CONSUMER.local);
      const q = { channelOrderNo: request.channelOrderNo, sellerTaxId: request.sellerTaxId };
      const sent = await submit("ALLE.INVOICE.RED", redInvoiceData(request), q);
      if (sent.status !== "pending") return sent;
      // The red result (issued at once, or a 确认单 waiting) is known only through the query.
      return (await query(q)) ?? sent;
    },

    async testConnection({ sellerTaxId }) {
      const r = await guarded(async (): Promise<KingdeeAccountCheck> => {
        const a = await client.call("ALLE.ACCOUNT.CHECK", { taxno: sellerTaxId });
        if (!a.success) {
          const f = failure(a);
          return f as KingdeeAccountCheck;
        }
        const d = (a.data && typeof a.data === "object" ? a.data : {}) as Record<string, unknown>;
        const loggedIn = str(d.loginStatus) === M.accountCheck.loggedIn;
        const faceAuthDone = str(d.authStatus) === M.accountCheck.authDone;
        if (!loggedIn)
          return accountProblem("logged_out", "ACCOUNT.CHECK", str(d.message) || "电子税局未登录");
        if (!faceAuthDone)
          return accountProblem("face_auth", "ACCOUNT.CHECK", str(d.message) || "需要实人认证");
        return {
          status: "ok",
          loggedIn,
          faceAuthDone,
          ...(d.creditLimit !== undefined && d.creditLimit !== null
            ? { creditLimit: str(d.creditLimit) }
            : {}),
          raw: d,
        };
      });
      return r as KingdeeAccountCheck;
    },

    async handleCallback(body, options = {}) {
      const parsed = parseKingdeeCallback(body, (data) => codec.decode(data));
      if ("error" in parsed)
        return {
          accepted: false,
          reason: parsed.error,
          reply: { message: parsed.error, errorCode: "9999", success: false },
        };
      const sellerTaxId = options.expectSellerTaxId ?? parsed.sellerTaxId;
      if (options.expectSellerTaxId && parsed.sellerTaxId && parsed.sellerTaxId !== options.expectSellerTaxId)
        return {
          accepted: false,
          reason: "回调的销售方税号与账号不符",
          reply: { message: "销售方不符", errorCode: "9999", success: false },
        };
      if (!sellerTaxId)
        return {
          accepted: false,
          reason: "回调缺少销售方税号",
          reply: { message: "缺少销售方税号", errorCode: "9999", success: false },
        };
      const result = await query({ channelOrderNo: parsed.serialNo, sellerTaxId });
      return { accepted: true, channelOrderNo: parsed.serialNo, result, reply: KINGDEE_CALLBACK_REPLY };
    },
  };
}

export interface ParsedKingdeeCallback {
  interfaceCode: "INVOICE.OPEN" | "INVOICE.RED";
  returnCode: string;
  returnMsg: string;
  serialNo: string;
  sellerTaxId: string;
}

/**
 * Reads a 2.1.02 callback: the envelope's shape and the `data` decoded with the account's codec
 * (with AES, a forger without the password cannot produce it; with BASE64 anyone can, which is why
 * the callback only ever triggers a query). Only the serial and the seller are taken from it.
 */
export function parseKingdeeCallback(
  body: unknown,
  decode: (data: string) => string,
): ParsedKingdeeCallback | { error: string } {
  let envelope = body;
  if (typeof envelope === "string") {
    try {
      envelope = JSON.parse(envelope);
    } catch {
      return { error: "回调不是 JSON" };
    }
  }
  if (!envelope || typeof envelope !== "object" || Array.isArray(envelope))
    return { error: "回调不是 JSON 对象" };
  const e = envelope as Record<string, unknown>;
  const interfaceCode = str(e.interfaceCode);
  if (interfaceCode !== "INVOICE.OPEN" && interfaceCode !== "INVOICE.RED")
    return { error: "回调的 interfaceCode 不认识" };
  if (typeof e.data !== "string" || !e.data) return { error: "回调缺少 data" };
  let data: unknown;
  try {
    data = JSON.parse(decode(e.data));
  } catch (err) {
    return {
      error:
        err instanceof KingdeeCodecError ? `回调的 data 无法解码：${err.message}` : "回调的 data 不是 JSON",
    };
  }
  if (!data || typeof data !== "object") return { error: "回调的 data 不是 JSON 对象" };
  const d = data as Record<string, unknown>;
  const serialNo = str(d.serialNo);
  if (!/^[A-Za-z0-9_-]{1,50}$/.test(serialNo)) return { error: "回调缺少合规的 serialNo" };
  return {
    interfaceCode,
    returnCode: str(e.returnCode),
    returnMsg: str(e.returnMsg),
    serialNo,
    sellerTaxId: str(d.sellerTaxpayerId),
  };
}
