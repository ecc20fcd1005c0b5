/**
 * Until the shared contract grows (pending, account problems): how a 金蝶 result reads in today's
 * `IssueOutcome`. Anything not final — pending, transient, an account problem — can only be said as
 * `ChannelUnavailableError` there, which the issuing service retries later with the same serial
 * (safe: a repeat is answered 10127 and resolved by a query). The richer result is lost on the way;
 * that is what the grown contract fixes.
 */
import { ChannelUnavailableError, type IssueOutcome } from "../channel";
import type { KingdeeResult } from "./types";

export function toIssueOutcome(result: KingdeeResult): IssueOutcome {
  switch (result.status) {
    case "issued":
      return { status: "issued", number: result.number, issuedAt: result.issuedAt };
    case "confirmation_pending":
      return { status: "confirmation_pending" };
    case "refused":
      return { status: "rejected", code: result.channelCode, message: result.channelMessage };
    case "pending":
      throw new ChannelUnavailableError(result.note ?? "金蝶开票中");
    case "account_problem":
      throw new ChannelUnavailableError(result.operatorMessage);
    case "transient":
      throw new ChannelUnavailableError(result.reason);
  }
}
