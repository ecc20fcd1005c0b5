import { type ErrorCode, errorStatus } from "../../platform/errors";

/** What the consumer is told for each failure of a signed link: a title and what to do. */
const PAGES: Partial<Record<ErrorCode, { title: string; advice: string }>> = {
  SIGNATURE_INVALID: {
    title: "开票链接无效",
    advice: "请扫描小票上的原始二维码；如仍无法打开，请联系商家。",
  },
  APP_KEY_UNKNOWN: { title: "开票链接无效", advice: "该商户的开票服务已变更，请联系商家。" },
  TIMESTAMP_OUT_OF_WINDOW: { title: "开票链接已过期", advice: "已超过开票期限，请联系商家开具发票。" },
  ORDER_NOT_FOUND: { title: "找不到该订单", advice: "商户系统中查不到这笔订单，请稍后再试或联系商家。" },
  ORDER_QUERY_FAILED: { title: "暂时无法获取订单", advice: "商户系统暂时没有正确应答，请稍后再扫码重试。" },
  ORDER_AMOUNT_MISMATCH: { title: "订单金额不符", advice: "订单金额与小票不一致，请联系商家核对。" },
  AMOUNT_OVER_LIMIT: { title: "金额超过开票限额", advice: "请联系商家处理。" },
};

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** A small self-contained page (no scripts, no external assets) that says what went wrong. */
export function errorPage(code: ErrorCode, message: string): { status: number; html: string } {
  const page = PAGES[code] ?? { title: "出错了", advice: "请稍后再试，或联系商家。" };
  const status = errorStatus[code] ?? 500;
  const html = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)} · 票码</title>
<style>
body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"PingFang SC","Microsoft YaHei",sans-serif;background:#f5f6f8;color:#1f2329}
main{max-width:28rem;margin:18vh auto 0;padding:2rem 1.5rem;background:#fff;border-radius:12px;text-align:center}
h1{font-size:1.3rem;margin:0 0 .8rem}p{line-height:1.6;margin:.4rem 0}.code{color:#8a8f99;font-size:.85rem;margin-top:1.2rem}
</style></head>
<body><main>
<h1>${escapeHtml(page.title)}</h1>
<p>${escapeHtml(message)}</p>
<p>${escapeHtml(page.advice)}</p>
<p class="code">错误代码：${escapeHtml(code)}</p>
</main></body></html>`;
  return { status, html };
}
