import { AppError } from "../../platform/errors";
import type { ReceiptCodeRow } from "./receipt-codes.repository";
import type { ReceiptCodeStatus } from "./receipt-codes.schema";

/**
 * The one home of `receipt_codes.status`: its states and allowed moves, the check that a consumer
 * may use a code (with its one set of messages: the error codes' defaults), and the SQL fragments
 * the hot-path statements embed. `expired` is never stored: an active code past its validity.
 *
 *   active ──submit──▶ issuing ──all blue invoices issued──▶ invoiced
 *     │                   └──────a blue invoice refused─────▶ failed ──console retry──▶ issuing
 *     ├──disable──▶ disabled ◀──disable── failed
 *     ├──merge (added to another code's submit, 合并开票)──▶ merged
 *     └──refund (nothing left)──▶ refunded ◀──refund── disabled
 *
 * A merged code follows the submission it joined: the consumer page shows that code's status and
 * invoices (scan.merge.ts), so nothing moves a merged code again. A refund that leaves something
 * only reduces the code's lines (the refunds module).
 */
export type StoredCodeStatus = Exclude<ReceiptCodeStatus, "expired">;

export const CODE_TRANSITIONS: Readonly<Record<StoredCodeStatus, readonly StoredCodeStatus[]>> = {
  active: ["issuing", "disabled", "merged", "refunded"],
  issuing: ["invoiced", "failed"],
  failed: ["issuing", "disabled"],
  invoiced: [],
  disabled: ["refunded"],
  merged: [],
  refunded: [],
};

/**
 * The moves other modules make on a code's status (the submit, an invoice's save, the console's
 * retry), named, each one of CODE_TRANSITIONS (tested). The submit's statement embeds
 * `codeMoveSetSql("submit")`. The invoice module writes `issue`, `refuse` and `retry` with these
 * values spelled out: it may not import this module (invoices → receipt-codes → tax-accounts →
 * invoices would close a circle), so the architecture test's allow-list names those writes.
 */
export const CODE_MOVES = {
  /** A consumer's submit takes the code. */
  submit: { from: ["active"], to: "issuing" },
  /** All its blue invoices are issued. */
  issue: { from: ["issuing"], to: "invoiced" },
  /** A blue invoice was refused by the channel. */
  refuse: { from: ["issuing"], to: "failed" },
  /** An operator retries the refused invoice. */
  retry: { from: ["failed"], to: "issuing" },
  /** Refunds (before it was invoiced) took all of it: closed. */
  refund: { from: ["active", "disabled"], to: "refunded" },
  /** A merged submit takes a code added to it (合并开票); the page's own code moves by `submit`. */
  merge: { from: ["active"], to: "merged" },
} as const satisfies Record<string, { from: readonly StoredCodeStatus[]; to: StoredCodeStatus }>;

export type CodeMove = keyof typeof CODE_MOVES;

/** The columns a move sets (Drizzle `.set()`). */
export function codeMoveTo(move: CodeMove): { status: StoredCodeStatus; updatedAt: Date } {
  return { status: CODE_MOVES[move].to, updatedAt: new Date() };
}

/** SQL: the SET list of a move, for the hot-path statements (unqualified columns). */
export function codeMoveSetSql(move: CodeMove): string {
  return `status = '${CODE_MOVES[move].to}', updated_at = now()`;
}

/** The statuses a code may be disabled from (not once a submit is under way or done). */
export const DISABLEABLE: StoredCodeStatus[] = (Object.keys(CODE_TRANSITIONS) as StoredCodeStatus[]).filter(
  (s) => CODE_TRANSITIONS[s].includes("disabled"),
);

/** Why a code of each status cannot be disabled, in words (bulk answers and single refusals). */
export const REFUSED_DISABLE: Readonly<Record<string, string>> = {
  disabled: "已禁用",
  issuing: "正在开票，不能禁用",
  invoiced: "已开票，不能禁用",
  merged: "已合并开票，不能禁用",
  refunded: "已退款关闭，不能禁用",
};

/**
 * A single disable's refusal in words (the error code stays ALREADY_INVOICED): a refunded or merged
 * code is not "invoiced", and the operator should read what it is. `subject` names the code as the
 * caller's audience knows it (该订单 for a merchant's system, 该小票码 in the console).
 */
export function notDisableableMessage(status: string, subject: string): string {
  return `${subject}${REFUSED_DISABLE[status] ?? "已开票（或正在开票），不能禁用"}`;
}

/** SQL: the code row (unqualified columns) can still be submitted — active and not past its validity. */
export const CODE_SUBMITTABLE_SQL = "status = 'active' and expires_at > now()";

/** `expired` is derived: an active code past its validity. */
export function effectiveStatus(
  row: Pick<ReceiptCodeRow, "status" | "expiresAt">,
  now = new Date(),
): ReceiptCodeStatus {
  if (row.status === "active" && row.expiresAt.getTime() <= now.getTime()) return "expired";
  return row.status as ReceiptCodeStatus;
}

/**
 * A consumer may look at a code, and submit it, unless it is disabled or expired (410, each its
 * own error code and message). Unknown codes are the caller's 404. Returns the effective status.
 */
export function assertCodeUsable(
  row: Pick<ReceiptCodeRow, "status" | "expiresAt">,
  now = new Date(),
): ReceiptCodeStatus {
  const status = effectiveStatus(row, now);
  const error = unusableError(status);
  if (error) throw error;
  return status;
}

/** The refusal for a code in this status, if it is one a consumer cannot use. */
export function unusableError(status: ReceiptCodeStatus): AppError | undefined {
  if (status === "disabled") return new AppError("RECEIPT_CODE_DISABLED");
  if (status === "expired") return new AppError("RECEIPT_CODE_EXPIRED");
  if (status === "refunded") return new AppError("RECEIPT_CODE_REFUNDED");
  return undefined;
}
