/**
 * The one error type of the application. Services throw `AppError(code, message?, details)` (without
 * a message, the code's default below); the HTTP
 * layer maps the code to a status through the table below and renders the error body of API.md:
 * `{ error: { code, message, details } }`. Codes are a public contract: add, never rename.
 */

export const errorStatus = {
  // generic
  BAD_REQUEST: 400,
  INVALID_JSON: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  HEADERS_TOO_LARGE: 431,
  REQUEST_TIMEOUT: 408,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  VALIDATION_FAILED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
  // console authentication and authorization
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CSRF_INVALID: 403,
  ACCOUNT_LOCKED: 423,
  // open API signing
  SIGNATURE_INVALID: 401,
  TIMESTAMP_OUT_OF_WINDOW: 401,
  NONCE_REUSED: 401,
  APP_KEY_UNKNOWN: 401,
  // receipt codes and invoices
  RECEIPT_CODE_NOT_FOUND: 404,
  RECEIPT_CODE_EXPIRED: 410,
  RECEIPT_CODE_DISABLED: 410,
  RECEIPT_CODE_REFUNDED: 410,
  RECEIPT_CODE_CHANGED: 409,
  REFUND_CONFLICT: 409,
  CORRECTION_NOT_ALLOWED: 409,
  ALREADY_INVOICED: 409,
  ORDER_CONFLICT: 409,
  AMOUNT_OVER_LIMIT: 422,
  INVOICE_TYPE_NOT_ALLOWED: 422,
  INVOICE_NOT_FOUND: 404,
  NOTHING_LEFT_TO_REVERSE: 409,
  PARTIAL_RED_NOT_SUPPORTED: 422,
  MERGE_NOT_ALLOWED: 422,
  // 门店码 submissions matched to an order
  PENDING_SUBMISSION_NOT_FOUND: 404,
  PENDING_SUBMISSION_EXPIRED: 410,
  PENDING_SUBMISSION_CLOSED: 409,
  PENDING_AMOUNT_MISMATCH: 422,
  // 3.1.02 order query
  ORDER_QUERY_FAILED: 502,
  ORDER_NOT_FOUND: 404,
  ORDER_AMOUNT_MISMATCH: 422,
  // console imports: a file beyond the import limits (archive sizes, rows, cell lengths)
  IMPORT_LIMIT_EXCEEDED: 422,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof errorStatus;

/** The message of each code when the thrower has nothing more specific to say (one wording each). */
export const defaultMessage: Record<ErrorCode, string> = {
  BAD_REQUEST: "请求有误",
  INVALID_JSON: "请求体不是有效的 JSON",
  UNSUPPORTED_MEDIA_TYPE: "不支持的请求内容类型",
  PAYLOAD_TOO_LARGE: "请求内容过大",
  URI_TOO_LONG: "请求地址过长",
  HEADERS_TOO_LARGE: "请求头过大",
  REQUEST_TIMEOUT: "请求超时",
  NOT_FOUND: "资源不存在",
  METHOD_NOT_ALLOWED: "不支持该请求方法",
  CONFLICT: "请求与当前状态冲突",
  VALIDATION_FAILED: "提交的内容有误，请检查标出的字段",
  RATE_LIMITED: "请求过于频繁，请稍后再试",
  INTERNAL: "服务器内部错误",
  SERVICE_UNAVAILABLE: "服务暂不可用，请稍后再试",
  UNAUTHENTICATED: "请先登录",
  FORBIDDEN: "无权执行此操作",
  CSRF_INVALID: "页面已过期，请刷新后重试",
  ACCOUNT_LOCKED: "账号已锁定，请稍后再试",
  SIGNATURE_INVALID: "签名无效",
  TIMESTAMP_OUT_OF_WINDOW: "时间戳超出允许范围",
  NONCE_REUSED: "Nonce 已使用过",
  APP_KEY_UNKNOWN: "App Key 不存在或已吊销",
  RECEIPT_CODE_NOT_FOUND: "开票码不存在，请核对二维码或联系商家",
  RECEIPT_CODE_EXPIRED: "该开票码已过期，请联系商家",
  RECEIPT_CODE_DISABLED: "该开票码已停用，请联系商家",
  RECEIPT_CODE_REFUNDED: "该订单已退款，不能再开票",
  RECEIPT_CODE_CHANGED: "商家刚刚调整了这张小票（部分退款），请刷新页面核对金额后重新提交",
  REFUND_CONFLICT: "退款单号已使用过且内容不同",
  CORRECTION_NOT_ALLOWED: "这张发票现在不能申请重开",
  ALREADY_INVOICED: "该开票码已开票",
  ORDER_CONFLICT: "订单号已存在且内容不同",
  AMOUNT_OVER_LIMIT: "金额超过开票限额",
  INVOICE_TYPE_NOT_ALLOWED: "不允许开具该发票类型",
  INVOICE_NOT_FOUND: "发票不存在",
  NOTHING_LEFT_TO_REVERSE: "红冲超过了这张发票可红冲的数量或金额",
  PARTIAL_RED_NOT_SUPPORTED: "该开票通道暂不支持部分红冲",
  MERGE_NOT_ALLOWED: "该小票不能合并开票",
  PENDING_SUBMISSION_NOT_FOUND: "待匹配的开票申请不存在",
  PENDING_SUBMISSION_EXPIRED: "该开票申请已过期",
  PENDING_SUBMISSION_CLOSED: "该开票申请已匹配或已忽略",
  PENDING_AMOUNT_MISMATCH: "订单金额与顾客填写的金额不一致",
  ORDER_QUERY_FAILED: "查询商家订单失败",
  ORDER_NOT_FOUND: "商家订单不存在",
  ORDER_AMOUNT_MISMATCH: "订单金额不一致",
  IMPORT_LIMIT_EXCEEDED: "导入文件超出限制",
};

export type ErrorDetails = Record<string, unknown> & { fields?: Record<string, string> };

export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string = defaultMessage[code],
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.name = "AppError";
    this.status = errorStatus[code];
  }

  /** A validation failure listing every offending field at once: `{ "buyer.taxId": "…" }`. */
  static validation(fields: Record<string, string>, message = "提交的内容有误，请检查标出的字段"): AppError {
    return new AppError("VALIDATION_FAILED", message, { fields });
  }

  static notFound(message = defaultMessage.NOT_FOUND): AppError {
    return new AppError("NOT_FOUND", message);
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
