import type { SweepDefinition } from "../../platform/sweeper";
import { claimDue } from "../../platform/sweeper";
import { ChannelUnavailableError } from "./channels/channel";
import { UNFINISHED_SQL } from "./invoice-status";
import { type IssuingContext, issueInvoice } from "./issuing.attempt";

/** The sweep that retries unfinished invoices (see src/platform/sweeper.ts). */
export const ISSUE_SWEEP = "invoice-issue";

/**
 * The backstop for every unfinished invoice: a submit, a reversal or a retry stores
 * `next_attempt_at` (a few seconds ahead) with the invoice and tries at once in-process; if that
 * attempt does not finish — the channel is down, the process dies — the sweep claims the invoice
 * when it is due and tries again every `issueRetrySeconds` until it is issued or refused.
 */
export function issueSweep(ctx: IssuingContext): SweepDefinition {
  return {
    name: ISSUE_SWEEP,
    concurrency: 4,
    intervalSeconds: ctx.config.tuning.jobPollSeconds,
    claim: claimDue(ctx.database, {
      table: "invoices",
      unfinished: UNFINISHED_SQL,
      leaseSeconds: () => ctx.config.tuning.issueRetrySeconds,
    }),
    handle: async (id) => {
      await issueInvoice(ctx, id);
    },
    isExpected: (e) => e instanceof ChannelUnavailableError,
  };
}
