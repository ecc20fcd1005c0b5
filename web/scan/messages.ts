/**
 * What the page says when it cannot show a form or an invoice. Each receipt-code error has its own
 * page that tells the consumer what happened and what to do; words are ours (the server's message
 * is a fallback only), so they stay consistent however the server phrases them.
 */
import type { ApiError } from "./api";
import { formatChinaDateTime, formatMoney } from "./format";

/** The merchant a dead end sends the consumer to, with its phone when the organization gave one. */
export interface Merchant {
  name: string;
  phone: string;
}

export interface StatusPage {
  kind: "not-found" | "no-token" | "expired" | "disabled" | "refunded" | "network" | "server" | "failed";
  icon: "search" | "clock" | "ban" | "wifi" | "alert" | "receipt";
  title: string;
  body: string[];
  /** Offer a 重试 button: only where trying again can help. */
  canRetry: boolean;
  /** Whom to call: named on every page that says 联系商家 when the server said who it is. */
  merchant?: Merchant;
}

/** The merchant in an error's details (`details.seller`), when the server named it. */
export function merchantOf(details: Record<string, unknown> | undefined): Merchant | undefined {
  const seller = details?.seller as { name?: unknown; phone?: unknown } | undefined;
  if (!seller || typeof seller.name !== "string" || !seller.name) return undefined;
  return { name: seller.name, phone: typeof seller.phone === "string" ? seller.phone : "" };
}

export function pageForError(error: Pick<ApiError, "code" | "status" | "message" | "details">): StatusPage {
  const merchant = merchantOf(error.details);
  const call = merchant ? `请联系${merchant.name}` : "请联系商家";
  switch (error.code) {
    case "NO_TOKEN":
      return {
        kind: "no-token",
        icon: "receipt",
        title: "请扫描小票上的开票二维码",
        body: [
          "本页用于扫码开具电子发票，当前链接中没有开票码。",
          "请用微信、支付宝或手机相机扫描购物小票上的开票二维码。",
        ],
        canRetry: false,
      };
    case "RECEIPT_CODE_NOT_FOUND":
      return {
        kind: "not-found",
        icon: "search",
        title: "未找到该开票码",
        body: [
          "这个二维码没有对应的小票，可能扫描不完整，或链接被改动过。",
          "请重新扫描小票上的开票二维码；仍无法打开时，请联系商家。",
        ],
        canRetry: false,
      };
    case "RECEIPT_CODE_EXPIRED": {
      const expiresAt = typeof error.details?.expiresAt === "string" ? error.details.expiresAt : null;
      return {
        kind: "expired",
        icon: "clock",
        title: "开票码已过期",
        body: [
          expiresAt
            ? `该小票的扫码开票期限已于 ${formatChinaDateTime(expiresAt)} 截止，无法再在线开票。`
            : "该小票的扫码开票期限已过，无法再在线开票。",
          `如仍需发票，请携带小票或付款凭证${call}开具。`,
        ],
        canRetry: false,
        merchant,
      };
    }
    case "RECEIPT_CODE_DISABLED":
      return {
        kind: "disabled",
        icon: "ban",
        title: "开票码已停用",
        body: [
          "商家已停用该小票的开票码，可能因为订单已退款、已更换小票或已通过其他方式开票。",
          `如有疑问，${call}。`,
        ],
        canRetry: false,
        merchant,
      };
    case "RECEIPT_CODE_REFUNDED":
      return {
        kind: "refunded",
        icon: "ban",
        title: "该订单已退款",
        body: ["商家已为这张小票的订单办理全额退款，无需也无法再开具发票。", `如有疑问，${call}。`],
        canRetry: false,
        merchant,
      };
    case "NETWORK":
      return {
        kind: "network",
        icon: "wifi",
        title: "网络连接失败",
        body: ["暂时无法连接开票服务，请检查手机网络后重试。"],
        canRetry: true,
      };
    default:
      return {
        kind: "server",
        icon: "alert",
        title: "服务暂时不可用",
        body: [
          error.status >= 500 || error.status === 0 ? "开票服务暂时繁忙，请稍后重试。" : error.message,
          "如多次重试仍无法打开，请联系商家。",
        ],
        canRetry: true,
      };
  }
}

/**
 * A receipt loaded fine but can no longer be invoiced (the server may also say so with a 200 and a
 * status instead of a 410): the same pages as the errors.
 */
export function pageForStatus(status: string, expiresAt?: string): StatusPage | null {
  if (status === "expired")
    return pageForError({ code: "RECEIPT_CODE_EXPIRED", status: 410, message: "", details: { expiresAt } });
  if (status === "disabled")
    return pageForError({ code: "RECEIPT_CODE_DISABLED", status: 410, message: "", details: {} });
  if (status === "refunded")
    return pageForError({ code: "RECEIPT_CODE_REFUNDED", status: 410, message: "", details: {} });
  return null;
}

/** The words for a submit the server refused as a whole (not field by field). */
export function submitErrorText(error: Pick<ApiError, "code" | "status" | "message" | "details">): string {
  switch (error.code) {
    case "NETWORK":
      return "网络异常，提交未完成。您填写的信息已保留，请重试。";
    case "AMOUNT_OVER_LIMIT": {
      const limit = typeof error.details?.limit === "string" ? error.details.limit : null;
      return limit
        ? `本单金额超过单张发票限额 ${formatMoney(limit)}，无法在线开具，请联系商家。`
        : "本单金额超过单张发票限额，无法在线开具，请联系商家。";
    }
    case "INVOICE_TYPE_NOT_ALLOWED":
      return error.message || "该发票类型不可选，请更换发票类型。";
    case "RATE_LIMITED":
      return "操作过于频繁，请稍后再试。";
    case "VALIDATION_FAILED":
      return error.message || "填写的信息有误，请按提示修改。";
    default:
      return error.status >= 500 ? "开票服务暂时繁忙，请稍后重试。您填写的信息已保留。" : error.message;
  }
}

/**
 * Resend: a rate limit is not the consumer's fault, so say it plainly — which ceiling (per code, per
 * recipient, per network: the server's message names it) — and when it helps again.
 */
export function resendErrorText(error: Pick<ApiError, "code" | "status" | "message" | "details">): string {
  if (error.code === "RATE_LIMITED") {
    const what = (error.message || "发送次数已达上限，请稍后再试").replace(/[。.]$/, "");
    const seconds = error.details?.retryAfterSeconds;
    return typeof seconds === "number" && seconds > 0
      ? `${what}（约 ${waitText(seconds)}后可再发送）。`
      : `${what}。`;
  }
  if (error.code === "NETWORK") return "网络异常，未能发送，请重试。";
  if (error.status >= 500) return "发送服务暂时繁忙，请稍后重试。";
  return error.message || "发送失败，请稍后重试。";
}

/** `30 秒` / `25 分钟` / `3 小时`: rounded up, so the consumer never comes back too early. */
function waitText(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} 秒`;
  if (seconds < 2 * 3600) return `${Math.ceil(seconds / 60)} 分钟`;
  return `${Math.ceil(seconds / 3600)} 小时`;
}

/** WeChat's and Alipay's in-app browsers often refuse file downloads; the page then says what to do. */
export function inAppBrowserName(userAgent: string): string | null {
  if (/MicroMessenger/i.test(userAgent)) return "微信";
  if (/AlipayClient/i.test(userAgent)) return "支付宝";
  return null;
}
