import { eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import { taxBureauAccounts } from "../../platform/db/schema";
import { claimDue, type SweepDefinition } from "../../platform/sweeper";
import type { ChannelAccountStatus } from "../invoices/channels/channel";
import { resumeHeldInvoices } from "../invoices/issuing.save";
import { findOrganizationByIdOrTaxId } from "../organizations/organizations.repository";
import type { TaxAccountRow } from "./tax-accounts.repository";

/** The sweep that asks the channel whether an account with a problem is back. */
export const ACCOUNT_CHECK_SWEEP = "tax-account-check";

type CheckContext = Pick<AppContext, "database" | "providers" | "config" | "log">;

/**
 * An account the channel reported a problem with (issuing met a ChannelAccountError) is checked
 * every `accountCheckSeconds` through its channel's `accountStatus` (诺诺: read-only queries, which
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
  await db
    .update(taxBureauAccounts)
    .set({
      status: status.status,
      statusProblem: status.problem ?? null,
      statusMessage: status.message,
      statusAction: status.action ?? null,
      ...(changed ? { statusChangedAt: new Date() } : {}),
      ...(status.problem && !account.nextAttemptAt
        ? { nextAttemptAt: new Date(Date.now() + ctx.config.tuning.accountCheckSeconds * 1000) }
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
