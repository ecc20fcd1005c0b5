/**
 * What the 天眼查 adapter assumes about 天眼查开放平台's 搜索 API (open.tianyancha.com, 接口 816
 * "搜索", version 2.0), in one table. Facts marked [G] are guessed from the public API page and its
 * examples, not confirmed against a live account; the stand-in (src/standins/tianyancha) answers the
 * same, so the two cannot drift apart silently. Change them here when a subscription says otherwise.
 */
export const TIANYANCHA = {
  /** Path of the search below the API base (PIAOMA_TIANYANCHA_API_URL). */
  searchPath: "/services/open/search/2.0",
  /** The query's parameters: the words, page size (max 20) and page number. */
  params: { word: "word", pageSize: "pageSize", pageNum: "pageNum" },
  maxPageSize: 20,
  /** The key (Token) goes in this header as it is, without a scheme. [G] */
  authHeader: "Authorization",
  /** `error_code` 0 is success; `result.items[]` the companies. */
  okCode: 0,
  /** "No result" is an error code, not an empty list. [G] */
  noResultCode: 300000,
  /** Codes that mean the organization's key or subscription is the problem (not worth retrying). [G] */
  accountCodes: {
    300002: "账号失效",
    300003: "账号过期",
    300005: "无权限访问此 API",
    300006: "余额不足",
    300007: "剩余次数不足",
    300009: "账号信息有误",
    300011: "此 IP 无权限访问此 API",
  } as Record<number, string>,
  /** Too many requests per second for the account. [G] */
  rateLimitedCode: 300004,
  /** Item fields: the name (matches wrapped in <em>…</em>) and the 统一社会信用代码. [G] */
  item: { name: "name", taxId: "creditCode" },
  /** Names carry the matched words highlighted with these tags; they are removed. [G] */
  highlightTags: /<\/?em>/g,
} as const;
