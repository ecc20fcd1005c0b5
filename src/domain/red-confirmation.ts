/**
 * The 红字发票信息确认单 every 数电 red invoice goes through (DOMAIN.md §8), as one state machine:
 *
 *   requested ─┬─▶ no_confirmation_needed   (the red invoice is issued from it at once)
 *              ├─▶ pending ─┬─▶ confirmed   (then the red invoice is issued)
 *              │            ├─▶ refused
 *              │            └─▶ expired     (72 hours without an answer)
 *              ├─▶ confirmed / refused / expired (a channel that reports only the result)
 *              └─▶ failed                   (the application itself was refused)
 *
 * `requested` is Piaoma's own state before the channel answers (申请中, no number yet). The other
 * states are the bureau's. Every state but `requested` and `pending` is final. Pure: the caller
 * brings the clock.
 */
export const RED_CONFIRMATION_STATUSES = [
  "requested",
  "no_confirmation_needed",
  "pending",
  "confirmed",
  "refused",
  "expired",
  "failed",
] as const;
export type RedConfirmationStatus = (typeof RED_CONFIRMATION_STATUSES)[number];

export const RED_CONFIRMATION_LABELS: Record<RedConfirmationStatus, string> = {
  requested: "申请中",
  no_confirmation_needed: "无需确认",
  pending: "待确认",
  confirmed: "已确认",
  refused: "已拒绝",
  expired: "已过期",
  failed: "申请失败",
};

/** How long the other party has to confirm a pending 确认单. */
export const RED_CONFIRMATION_HOURS = 72;

const MOVES: Record<RedConfirmationStatus, readonly RedConfirmationStatus[]> = {
  requested: ["no_confirmation_needed", "pending", "confirmed", "refused", "expired", "failed"],
  pending: ["confirmed", "refused", "expired"],
  no_confirmation_needed: [],
  confirmed: [],
  refused: [],
  expired: [],
  failed: [],
};

export function canMoveRedConfirmation(from: RedConfirmationStatus, to: RedConfirmationStatus): boolean {
  return MOVES[from].includes(to);
}

export function isRedConfirmationStatus(value: unknown): value is RedConfirmationStatus {
  return typeof value === "string" && (RED_CONFIRMATION_STATUSES as readonly string[]).includes(value);
}

/** A 确认单 after which the red invoice may be issued. */
export function allowsRedIssue(status: RedConfirmationStatus): boolean {
  return status === "no_confirmation_needed" || status === "confirmed";
}

/**
 * What a channel's answer for the red invoice means for its 确认单, when the channel does not name
 * the state itself: issued straight from an application is 无需确认, issued after waiting is
 * confirmed; a refusal while waiting is the other party's, before that the application failed.
 */
export function redConfirmationAfter(
  current: RedConfirmationStatus,
  outcome: "issued" | "confirmation_pending" | "rejected",
  reported?: RedConfirmationStatus,
): RedConfirmationStatus {
  let next: RedConfirmationStatus;
  if (reported) next = reported;
  else if (outcome === "confirmation_pending") next = "pending";
  else if (outcome === "issued") next = current === "pending" ? "confirmed" : "no_confirmation_needed";
  else next = current === "pending" ? "refused" : "failed";
  return canMoveRedConfirmation(current, next) ? next : current;
}

/** When a 确认单 that became pending at `since` expires. */
export function redConfirmationDeadline(since: Date): Date {
  return new Date(since.getTime() + RED_CONFIRMATION_HOURS * 3600_000);
}
