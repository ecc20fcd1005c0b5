import { eq, sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import { taxBureauAccounts } from "../../platform/db/schema";
import { claimDue, type SweepDefinition } from "../../platform/sweeper";
import type { ChannelAccountStatus } from "../invoices/channels/channel";
import { resumeHeldInvoices } from "../invoices/issuing.save";
import { findOrganizationByIdOrTaxId } from "../organizations/organizations.repository";
import type { TaxAccountRow } from "./tax-accounts.repository";

/** The sweep that asks the channel whether an account with a problem is back. */
export const ACCOUNT_CHECK_SWEEP = "tax-account-check";
/** The sweep that asks the channel for a healthy account's state and 授信额度. */
export const CREDIT_CHECK_SWEEP = "tax-account-credit";

type CheckContext = Pick<AppContext, "database" | "providers" | "config" | "log">;

/**
 * An account the channel reported a problem with (issuing met a ChannelAccountError) is checked
 * every `accountCheckSeconds` (a token or credential refusal: backing off exponentially up to
 * `accountCheckMaxSeconds`, recordAccountStatus) through its channel's `accountStatus` (诺诺: read-only queries, which
 * do not spend the refresh limits). Once it is online its held invoices are due at once and issue
 * by themselves; 测试连接 in the console does the same at any time.
 */
export function accountCheckSweep(ctx: CheckContext): SweepDefinition {
  return {
    name: ACCOUNT_CHECK_SWEEP,
    concurrency: 2,
    intervalSeconds: ctx.config.tuning.jobPollSeconds,
    claim: claimDue(ctx.database, {
      table: "tax_bureau_accounts",
      unfinished: "status_problem is not null",
      leaseSeconds: () => ctx.config.tuning.accountCheckSeconds,
    }),
    handle: async (id) => {
      await checkTaxAccount(ctx, id);
    },
  };
}

/**
 * A healthy account (no problem) on a channel that reports its state (诺诺, 金蝶: `accountStatus`)
 * is checked every `creditCheckMinutes` like an account with a problem: its 授信额度 is read afresh
 * (the 异常中心's credit_low works on it) and a session lost at the channel shows before an invoice
 * meets it. `credit_checked_at` is the lease: one process asks at a time.
 */
export function creditCheckSweep(ctx: CheckContext): SweepDefinition {
  const reporting = [...ctx.providers.channels.values()].filter((c) => c.accountStatus).map((c) => c.id);
  const claim = `
update tax_bureau_accounts set credit_checked_at = now()
where id in (
  select id from tax_bureau_accounts
  where status_problem is null and channel = any($2::text[])
    and coalesce(credit_checked_at, '-infinity') <= now() - make_interval(secs => $3)
  order by credit_checked_at nulls first
  limit $1
  for update skip locked)
returning id`;
  return {
    name: CREDIT_CHECK_SWEEP,
    concurrency: 1,
    intervalSeconds: Math.max(ctx.config.tuning.jobPollSeconds, 30),
    claim: async (limit) => {
      if (reporting.length === 0) return [];
      const { rows } = await ctx.database.executeSql(claim, [
        limit,
        reporting,
        ctx.config.tuning.creditCheckMinutes * 60,
      ]);
      return (rows as Array<{ id: string }>).map((r) => r.id);
    },
    handle: async (id) => {
      await checkTaxAccount(ctx, id);
    },
  };
}

/** Asks the account's channel for its state and records it (and resumes its invoices if back). */
export async function checkTaxAccount(ctx: CheckContext, id: string): Promise<ChannelAccountStatus | null> {
  const [account] = await ctx.database.db
    .select()
    .from(taxBureauAccounts)
    .where(eq(taxBureauAccounts.id, id));
  const adapter = account && ctx.providers.channels.get(account.channel);
  if (!account || !adapter) return null;
  // 金蝶's account check is per tax ID: the organization's.
  const org = await findOrganizationByIdOrTaxId(ctx.database.db, account.orgId);
  const status: ChannelAccountStatus = adapter.accountStatus
    ? await adapter.accountStatus((account.settings ?? {}) as Record<string, unknown>, {
        sellerTaxId: org?.taxId,
      })
    : { status: "online", message: "该通道无需测试连接" };
  await recordAccountStatus(ctx, account, status);
  return status;
}

/**
 * Stores what the channel says of the account. Online: the problem is cleared and the invoices held
 * for it are due now. A problem: the status (需重新认证 / 离线) with the channel's words and what to
 * do; the account check keeps looking. Unreachable without a known problem (the check itself could
 * not get through): what was known stays.
 */
export async function recordAccountStatus(
  ctx: Pick<AppContext, "database" | "log"> & { config: Pick<AppContext["config"], "tuning"> },
  account: TaxAccountRow,
  status: ChannelAccountStatus,
): Promise<void> {
  const { db } = ctx.database;
  if (status.status === "online") {
    await db
      .update(taxBureauAccounts)
      .set({
        status: "online",
        statusProblem: null,
        statusCode: null,
        statusMessage: null,
        statusAction: null,
        statusChangedAt: account.status === "online" ? account.statusChangedAt : new Date(),
        nextAttemptAt: null,
        checkFailures: 0,
        creditCheckedAt: new Date(),
        // 授信额度 as reported now (异常中心 shows it below the organization's threshold).
        ...creditOf(status),
        updatedAt: new Date(),
      })
      .where(eq(taxBureauAccounts.id, account.id));
    const resumed = await resumeHeldInvoices(ctx, account.id);
    if (resumed > 0)
      ctx.log.info({ accountId: account.id, resumed }, "tax-bureau account back: invoices resumed");
    return;
  }
  if (!status.problem && account.statusProblem) return;
  const changed = account.status !== status.status || account.statusProblem !== (status.problem ?? null);
  const { accountCheckSeconds, accountCheckMaxSeconds } = ctx.config.tuning;
  // A token or credential refusal: the next check backs off (accountCheckSeconds × 2^(n−1), capped),
  // counted in the row so that every process agrees; any other answer starts the count again.
  const refused = status.problem === "bad_credentials" || status.problem === "token_quota";
  await db
    .update(taxBureauAccounts)
    .set({
      status: status.status,
      statusProblem: status.problem ?? null,
      statusMessage: status.message,
      statusAction: status.action ?? null,
      ...(changed ? { statusChangedAt: new Date() } : {}),
      checkFailures: refused ? sql`${taxBureauAccounts.checkFailures} + 1` : 0,
      ...(refused
        ? {
            nextAttemptAt: sql`now() + make_interval(secs => least(${accountCheckMaxSeconds}::float8,
              ${accountCheckSeconds}::float8 * power(2, least(${taxBureauAccounts.checkFailures}, 30))))`,
          }
        : status.problem && !account.nextAttemptAt
          ? { nextAttemptAt: new Date(Date.now() + accountCheckSeconds * 1000) }
          : {}),
      updatedAt: new Date(),
    })
    .where(eq(taxBureauAccounts.id, account.id));
}

/** The 授信额度 available the channel reported (a decimal), or none: the columns it sets. */
function creditOf(status: ChannelAccountStatus): {
  creditAvailable: string | null;
  creditReportedAt: Date | null;
} {
  const available = status.creditLine?.available?.trim();
  return available && /^-?\d+(\.\d+)?$/.test(available)
    ? { creditAvailable: available, creditReportedAt: new Date() }
    : { creditAvailable: null, creditReportedAt: null };
}
