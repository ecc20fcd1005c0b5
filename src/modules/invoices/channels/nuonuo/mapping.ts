import type { InvoiceType, RedConfirmationStatus, ZeroRateKind } from "../../../../domain";
import type { ChannelAccountProblem } from "../channel.js";

/**
 * Everything the 诺诺 adapter (and its stand-in) knows about 诺诺's codes, in one place.
 * Entries marked [G] are guesses (CHANNELS.md marks them so: no public source states them); the
 * first real tenant corrects them HERE and nowhere else. Unmarked entries are from the official
 * docs (CHANNELS.md §1).
 */
export const NUONUO = {
  /** Business success. */
  ok: "E0000",
  /** 订单编号或流水号不能重复: resolved by a query, never by a new number (§1.11). */
  duplicateOrder: "E9106",
  /** 发票不存在 (right after a submit: not known yet). */
  notFound: "E9500",
  /** 同一流水号单日最多重试 20 次. */
  retryCap: "E9613",
  /** Signature mismatch. */
  badSignature: "070601",
  /**
   * [G] The code a business call answers for an unknown or expired accessToken is not public
   * (§1.4): we take 070302 (the stand-in's default) and treat every other 070xxx as an account
   * problem too.
   */
  badToken: "070302",
  /** [G] 红字确认单 billId already used: the code is not public (§1.8); the stand-in answers this. */
  duplicateBill: "E9106",
  /**
   * [G] A 红字确认单 the blue invoice cannot take — reversed in full already, or a partial one asking
   * more of a line than remains un-reversed (earlier forms counted): the code is not public (§1.8);
   * the stand-in answers this. A malformed `detail` (a line index the blue invoice does not have, a
   * wrong sign, amounts that do not add up) is the documented generic E4000.
   */
  redNotReversible: "E9103",
  /** [G] A refresh of QR / certification / credit line inside its interval or over 20/day. */
  refreshLimited: "E9620",
  /** [G] Throttling: HTTP 429 or this code (unknown upstream, §1.12). */
  rateLimited: "E9999",
} as const;

/** Token endpoint errors (§1.3) and what they mean for the account. */
export const TOKEN_ERRORS: Record<string, { problem: ChannelAccountProblem; action: string }> = {
  "070304": { problem: "bad_credentials", action: "appKey 不正确：请核对诺诺开放平台应用的 appKey" },
  "070305": { problem: "bad_credentials", action: "appSecret 不正确：请核对诺诺开放平台应用的 appSecret" },
  "070306": {
    problem: "token_quota",
    action: "诺诺令牌 30 天内的获取次数已用完：请等待额度恢复，或在诺诺开放平台设置令牌永不过期后粘贴令牌",
  },
  "070307": { problem: "bad_credentials", action: "应用类型不符：请使用自用型应用（client_credentials）" },
  "070315": { problem: "misconfigured", action: "令牌接口地址不正确：请检查 tokenUrl" },
  "070101": { problem: "bad_credentials", action: "appKey 无效：请核对诺诺开放平台应用的 appKey" },
};

/** Any 070xxx answer on a business call is about the account (§1.4), never a refusal of the invoice. */
export function isAccountCode(code: string): boolean {
  return /^070\d{3}$/.test(code);
}

/**
 * [G] What 诺诺 says when the 数电 session is logged out or 实人认证 is due is not documented
 * (§1.9): a status 22 whose failCause mentions it, or a refusal. These patterns decide.
 */
export const SESSION_PATTERNS: Array<{ pattern: RegExp; problem: ChannelAccountProblem; action: string }> = [
  {
    pattern: /实人认证|人脸|刷脸|扫脸/,
    problem: "identity_verification_due",
    action: "电子税局要求实人认证：请在 电子税局账号 页扫描二维码完成认证，开票会自动继续",
  },
  {
    pattern: /请先登录|未登录|登录失效|重新登录|登录已过期/,
    problem: "logged_out",
    action: "诺诺的数电账号已退出登录：请在诺诺工作台重新登录电子税局账号，开票会自动继续",
  },
];

/** queryInvoiceResult `status` (§1.6). */
export const INVOICE_STATUS = {
  done: "2",
  issuing: "20",
  sealing: "21",
  failed: "22",
  sealFailed: "24",
  voided: "3",
  voiding: "31",
} as const;

/** Our invoice type → `invoiceLine`: always sent, the default `p` is a 税控 type (§7.3). */
export const INVOICE_LINE: Record<InvoiceType, string> = {
  digital_normal: "pc",
  digital_special: "bs",
};

/** Our line kind → `invoiceLineProperty`. */
export const LINE_PROPERTY = { normal: "0", discount: "1", discounted: "2" } as const;

/**
 * Zero-rate kinds → `favouredPolicyFlag` for 数电 (two-digit codes, §1.5); `zeroRateFlag` stays
 * empty for 数电. [G] 出口零税率 has no code in the table we read: "" (none) is sent.
 */
export const ZERO_RATE_POLICY: Record<ZeroRateKind, string> = {
  exempt: "03",
  not_taxable: "04",
  ordinary_zero: "",
  export: "",
};

/** 红冲原因 (RED_REASONS) → 诺诺 `redReason` (§1.8 item 8: not the bureau's chyydm). */
export const RED_REASON: Record<string, string> = {
  销货退回: "1",
  开票有误: "2",
  服务中止: "3",
  销售折让: "4",
};

/**
 * A partial 红字确认单's `detail[].blueDetailIndex` for the blue line a red line reverses
 * (channel.ts ReversedBlue.lines). The docs: "对应蓝票明细行序号，蓝票明细是折扣行时只需传被折扣行的明细序号，
 * 折扣行的序号不传（跳过）", 1-based in their example.
 *   [G] Read as: the blue invoice's own detail numbering, in which a discount row has its number
 *   too (it is simply never named) — our printed `lineNo`. The other reading (the rows counted
 *   without discount rows) is `netLineNo`; the first real tenant settles it here.
 */
export function blueDetailIndexOf(line: { lineNo: number; netLineNo: number }): string {
  return String(line.lineNo);
}

/**
 * 红字确认单 `billStatus` (§1.8 item 2) → what it means for our red invoice (§1.8 item 9, `meaning`)
 * and which of OUR 确认单 states (src/domain/red-confirmation.ts, `ours`) it is. The single table
 * both are read from. `meaning`: `auto_issue` — 诺诺 issues the red invoice by itself (read it by
 * the form's invoiceSerialNum / orderNo); `confirmation_pending` — the other party has not answered;
 * `pending` — 诺诺 is still applying (15); `rejected` — the form is void or the application failed.
 *   [G] 08 / 09 (revoked by the applicant, revoked after confirmation) have no state of ours: they
 *   read as `refused` (the red invoice fails and the blue one may be reversed again).
 *   [G] An unknown value reads as `pending` (asked again later), never as issued or refused.
 */
export const BILL_STATUS: Record<
  string,
  {
    meaning: "auto_issue" | "confirmation_pending" | "pending" | "rejected";
    /** null: inferred from the outcome (15: still 申请中; 16 申请失败: `failed`, see redConfirmationAfter). */
    ours: Exclude<RedConfirmationStatus, "requested" | "failed"> | null;
  }
> = {
  "01": { meaning: "auto_issue", ours: "no_confirmation_needed" },
  "02": { meaning: "confirmation_pending", ours: "pending" },
  "03": { meaning: "confirmation_pending", ours: "pending" },
  "04": { meaning: "auto_issue", ours: "confirmed" },
  "05": { meaning: "rejected", ours: "refused" },
  "06": { meaning: "rejected", ours: "refused" },
  "07": { meaning: "rejected", ours: "expired" },
  "08": { meaning: "rejected", ours: "refused" },
  "09": { meaning: "rejected", ours: "refused" },
  "15": { meaning: "pending", ours: null },
  "16": { meaning: "rejected", ours: null },
};

/** Plain sentences for the consumer; the channel's code and message stay with the operator. */
export const CONSUMER_SENTENCE = {
  refused: "开票信息未通过税务校验，商家正在处理，请稍后查看或联系商家",
  red: "红字发票未能开具，商家正在处理",
} as const;

/** [G] Remaining token life below which a new token is fetched (the docs give no guidance). */
export const TOKEN_REFRESH_MARGIN_MS = 60 * 60 * 1000;
/** [G] When 诺诺 answers `expires_in` that is missing, 0 or negative, the token is taken as permanent. */
export const PERMANENT_TOKEN_WHEN_NO_EXPIRY = true;

/**
 * [G] Where 诺诺's invoice files (pdfUrl / ofdUrl / xmlUrl) are served from: no public source lists
 * the hosts. These are the 诺诺 / 航信 names seen in integrators' logs; the account's `fileHosts`
 * setting replaces the list, and the host of `apiUrl` is always added to it.
 */
export const FILE_HOSTS: readonly string[] = [".nuonuo.com", ".jss.com.cn", ".nuonuocs.cn"];
