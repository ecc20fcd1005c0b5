/**
 * Every fact about 金蝶发票云旗舰版 that the public sources do not state (CHANNELS.md marks them [G]),
 * in one table, so the first real tenant corrects them here and nowhere else. Each entry says what
 * is known, what is guessed and why. Facts that ARE sourced sit here too when the adapter needs them
 * beside the guesses; they are marked "sourced".
 *
 * The stand-in (src/standins/kingdee/protocol.ts) plays the same guesses on purpose, as its own
 * constants: a real Kingdee does not read this file, so when a tenant shows a different code, change
 * it here AND in the stand-in (its tests then show what the adapter does with the real value).
 */
import type { InvoiceType, LineKind, RedConfirmationStatus, ZeroRateKind } from "../../../../domain";

export const KINGDEE_MAPPING = {
  /**
   * [G] Which `errorCode`s mean success. The issuing APIs use "0" (jellyfrank asserts it; the 2.1.02
   * callback reply uses it); receipt-side APIs in the same export document "0000". Both are accepted,
   * and only together with `success: true`.
   */
  successCodes: ["0", "0000"] as readonly string[],

  /** Sourced (jellyfrank README "重复号 10127"): a `serialNo` seen before. Resolved by a query. */
  duplicateSerialCode: "10127",

  /** Sourced as a label only (jellyfrank tests: 30001 风控): the tax bureau's risk control refused. */
  riskControlCode: "30001",

  /**
   * [G] The code of an expired or unknown `access_token` on a business call is not public. One Java
   * client's own mock uses "401"; we also treat a failure whose message names the access token
   * (access_token, accessToken, 令牌) as such — but not "未登录", which is how the 电子税局 session
   * problem reads. Either way the adapter logs in again once and re-sends (safe: a request refused for its
   * token was not accepted; a repeat of an accepted one is answered by 10127).
   */
  tokenInvalidCodes: ["401"] as readonly string[],
  tokenInvalidMessage: /access_?token|令牌/i,

  /**
   * [G] Codes of account-level problems, which are not the invoice's fault and not an outage: the
   * account turns 需重新认证 / 离线 and its invoices wait. None of these codes is public.
   *   loggedOut   — the 电子税局 session of the tax number is logged out;
   *   faceAuth    — the bureau wants 实人认证 (face) before issuing;
   *   codec       — `data` could not be decoded: the account's 加密策略 or AES password is wrong;
   *   unknownSystem — `businessSystemCode` not registered for the tenant.
   */
  accountProblemCodes: {
    loggedOut: "20001",
    faceAuth: "20002",
    codec: "10010",
    unknownSystem: "10011",
  } as const,

  /** [G] Rate limiting: the real answer is unknown; HTTP 429 and this errorCode are both understood. */
  rateLimitCode: "10429",

  /** [G] `ALLE.INVOICE.QUERY` for a serial Kingdee never saw: not public. Read as "never seen" (null). */
  notFoundCodes: ["10404"] as readonly string[],

  /**
   * [G] `invoiceStatus` of `ALLE.INVOICE.QUERY` for 数电 direct issuing is not public. These are the
   * 税控 callback's values (5.1.03: 0 正常, 2 待开, 3 红冲, 6 作废), assumed to hold. Any other value is
   * read as still pending and reported through `deps.warn` (never as issued, never as refused).
   * [G] A seal failure (签章失败) has no known value either; "4" is assumed, read as pending.
   */
  invoiceStatus: {
    "0": "issued",
    "2": "pending",
    "3": "reversed",
    "4": "seal_failed",
    "6": "voided",
  } as Record<string, "issued" | "pending" | "reversed" | "voided" | "seal_failed">,

  /**
   * [G] A query of an invoice that failed to issue answers `success: false` with the failure as
   * `message` (CHANNELS.md §7.5). Only these codes, or a message that says 开票失败, are read as
   * the invoice's refusal; any other failed query is read as transient and reported through
   * `deps.warn` — calling an invoice failed that Kingdee may still issue could make the consumer
   * issue it twice.
   */
  issueFailedCodes: ["30002"] as readonly string[],
  issueFailedMessage: /开票失败/,

  /**
   * [G] The 确认单 state of a red invoice, read from the query's (and the 2.1.02 callback's)
   * `redConfirmBillStatus`, with the 确认单 number from `redInfoBillNo`. The values 01–10 are the
   * bureau's (the callback doc: "发票云版本5.0.024 支持"); that the query carries them too is assumed.
   * `state`: what the adapter does (waiting_* → confirmation_pending; refused / expired / revoked /
   * void → the red invoice is refused; no_confirmation_needed / confirmed → issued once numbered).
   * `ours`: the same state in Piaoma's 确认单 words (src/domain/red-confirmation.ts); [G] revoked
   * and void have none of their own and read as refused. An unknown value reads as pending.
   */
  redConfirmStatus: {
    "01": { state: "no_confirmation_needed", ours: "no_confirmation_needed" },
    "02": { state: "waiting_for_buyer", ours: "pending" },
    "03": { state: "waiting_for_seller", ours: "pending" },
    "04": { state: "confirmed", ours: "confirmed" },
    "05": { state: "refused", ours: "refused" },
    "06": { state: "refused", ours: "refused" },
    "07": { state: "expired", ours: "expired" },
    "08": { state: "revoked", ours: "refused" },
    "09": { state: "revoked", ours: "refused" },
    "10": { state: "void", ours: "refused" },
  } as Record<
    string,
    {
      state:
        | "no_confirmation_needed"
        | "waiting_for_buyer"
        | "waiting_for_seller"
        | "confirmed"
        | "refused"
        | "expired"
        | "revoked"
        | "void";
      ours: Exclude<RedConfirmationStatus, "requested" | "failed">;
    }
  >,

  /** Sourced (bureau 冲红原因 chyydm; CHANNELS.md §2.4 `redReason:"01"`). Unknown reasons send 01. */
  redReasonCodes: { 开票有误: "01", 销货退回: "02", 服务中止: "03", 销售折让: "04" } as Record<
    string,
    string
  >,

  /** Sourced (DOMAIN.md §10: 乐企 / Kingdee 旗舰 codes). */
  invoiceTypeCodes: { digital_special: "01", digital_normal: "02" } as Record<InvoiceType, string>,

  /** Sourced (§2.5 `lineProperty`: 0 normal, 1 discount, 2 discounted). */
  lineKindCodes: { normal: "0", discount: "1", discounted: "2" } as Record<LineKind, string>,

  /**
   * [G] Zero rates. §2.5 says `privilegeType` is the same 01…18 list as 诺诺's 数电 codes, where 03 is
   * 免税 and 04 不征税 (DOMAIN.md §10 gives 乐企 yhzcbs 03 / 04 too). 普通零税率 and 出口零税率 have
   * no 优惠政策 code: they are sent as `taxRate "0"` without `privilegeType`. A tenant that needs a
   * separate zero-rate flag for them shows it here.
   */
  zeroRatePrivilegeType: { exempt: "03", not_taxable: "04", ordinary_zero: null, export: null } as Record<
    ZeroRateKind,
    string | null
  >,

  /**
   * [G] `includeTaxFlag` (header): §2.5 guesses it says whether a line's `amount` includes tax. We
   * send "0" and tax-exclusive amounts, so `amount`, `price` (documented tax-exclusive) and
   * `taxAmount` agree whatever the flag's exact reading is.
   */
  includeTaxFlag: "0",

  /**
   * [G] Header totals: §2.5 lists no total field for the request; the query and the callback answer
   * `totalAmount` (价税合计), so the request sends that one field and nothing else invented. Kingdee
   * (like the bureau) recomputes totals from the lines.
   */
  sendTotalAmount: true,

  /**
   * [G] `buyerRecipientMail` / `buyerRecipientPhone` (§2.5) presumably make Kingdee deliver the
   * invoice itself. Piaoma delivers (like 诺诺 `pushMode -1`), so they are not sent: the consumer
   * would get it twice. Set true if a tenant needs them.
   */
  sendRecipientContacts: false,

  /**
   * [G] Hosts the channel's files (invoiceFileUrl / ofdFileUrl / xmlFileUrl) may come from, besides
   * the host of `baseUrl`: Kingdee's public domains. Not confirmed by a source.
   */
  fileHostSuffixes: ["piaozone.com", "kdcloud.com"] as readonly string[],

  /** Sourced (§2.5): the natural-person flag. */
  naturalPerson: { yes: "Y", no: "N" },

  /**
   * [G] Where the `access_token` goes. Sources disagree (§2.3): jellyfrank (checked against the
   * sandbox) uses the query string; PHP and Python clients use a header `access_token`. We send the
   * query string; the stand-in accepts both.
   */
  accessTokenPlacement: "query" as "query" | "header",

  /** Sourced ("有效期两小时"); used only when login answers without `expire_time`. */
  accessTokenTtlMs: 2 * 60 * 60 * 1000,

  /**
   * [G] `invoiceDate` in the query: the format is not public. "yyyy-MM-dd HH:mm:ss" in China time is
   * assumed; a ms epoch (number or digits) and ISO text are read too.
   */
  invoiceDateZone: "+08:00",

  /**
   * [G] `ALLE.ACCOUNT.CHECK` `{taxno}`: the answer's fields are not public. Assumed: `loginStatus`
   * ("1" logged in), `authStatus` ("1" 实人认证 done, "0" due) and optionally `creditLimit` (授信额度).
   */
  accountCheck: { loggedIn: "1", authDone: "1" },
} as const;

/** The 2.1.02 callback reply Kingdee expects (sourced). */
export const KINGDEE_CALLBACK_REPLY = { message: "回调成功", errorCode: "0", success: true } as const;
