import type { SweepDefinition } from "../../platform/sweeper";
import { claimDue } from "../../platform/sweeper";
import { ChannelUnavailableError } from "./channels/channel";
import { INVOICE_MOVES, UNFINISHED_SQL } from "./invoice-status";
import { type IssuingContext, issueInvoice, pollRedConfirmation } from "./issuing.attempt";

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

/** The sweep that asks the channels about red invoices waiting for their 确认单. */
export const RED_CONFIRMATION_POLL_SWEEP = "red-confirmation-poll";

/**
 * Red invoices waiting for their 红字确认单 (`confirmation_pending`) at a channel where the buyer
 * answers at the bureau (ChannelAdapter.pollsRedConfirmation: 诺诺, 金蝶) are asked about every
 * `redConfirmationPollSeconds` (pollRedConfirmation: a query, never a new application). Claimed
 * through their 确认单 (few pending at a time; its partial index), leased by `next_attempt_at`
 * like the issuing sweep's rows, so two processes never ask at once. The sandbox's 确认单 is
 * answered in Piaoma and is not polled.
 */
export function redConfirmationPollSweep(ctx: IssuingContext): SweepDefinition {
  const polled = [...ctx.providers.channels.values()].filter((c) => c.pollsRedConfirmation).map((c) => c.id);
  const claim = `
update invoices set next_attempt_at = now() + make_interval(secs => $2)
where id in (
  select i.id from red_confirmations rc
  join invoices i on i.id = rc.red_invoice_id
  join tax_bureau_accounts a on a.id = i.tax_account_id
  where rc.status = 'pending' and i.status = '${INVOICE_MOVES.awaitConfirmation.to}'
    and a.channel = any($3::text[]) and a.status_problem is null
    and coalesce(i.next_attempt_at, '-infinity') <= now()
  order by i.next_attempt_at nulls first
  limit $1
  for update of i skip locked)
returning id`;
  return {
    name: RED_CONFIRMATION_POLL_SWEEP,
    concurrency: 4,
    intervalSeconds: Math.max(ctx.config.tuning.jobPollSeconds, 5),
    claim: async (limit) => {
      if (polled.length === 0) return [];
      const { rows } = await ctx.database.executeSql(claim, [
        limit,
        ctx.config.tuning.redConfirmationPollSeconds,
        polled,
      ]);
      return (rows as Array<{ id: string }>).map((r) => r.id);
    },
    handle: async (id) => {
      await pollRedConfirmation(ctx, id);
    },
    isExpected: (e) => e instanceof ChannelUnavailableError,
  };
}
