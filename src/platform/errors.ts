/**
 * The one error type of the application. Services throw `AppError(code, message, details)`; the HTTP
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
  ALREADY_INVOICED: 409,
  ORDER_CONFLICT: 409,
  AMOUNT_OVER_LIMIT: 422,
  INVOICE_TYPE_NOT_ALLOWED: 422,
  INVOICE_NOT_FOUND: 404,
  // 3.1.02 order query
  ORDER_QUERY_FAILED: 502,
  ORDER_NOT_FOUND: 404,
  ORDER_AMOUNT_MISMATCH: 422,
  // console imports: a file beyond the import limits (archive sizes, rows, cell lengths)
  IMPORT_LIMIT_EXCEEDED: 422,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof errorStatus;

export type ErrorDetails = Record<string, unknown> & { fields?: Record<string, string> };

export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
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

  static notFound(message = "资源不存在"): AppError {
    return new AppError("NOT_FOUND", message);
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
