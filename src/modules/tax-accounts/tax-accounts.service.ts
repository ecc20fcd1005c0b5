import { eq } from "drizzle-orm";
import type { Actor, AppContext } from "../../context";
import { isUniqueViolation } from "../../platform/db/errors";
import { receiptCodeConfigs, taxBureauAccounts } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { parseInput } from "../../platform/validation";
import { recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";
import {
  ChannelAccountError,
  type ChannelAccountStatus,
  type ChannelAdapter,
  type ChannelQrCode,
  ChannelUnavailableError,
} from "../invoices/channels/channel";
import {
  channelDefinition,
  channelDefinitions,
  maskSettings,
  prepareSettings,
} from "../invoices/channels/channel-registry";
import { registerBuiltInChannels } from "../invoices/channels/channels";
import { findOrganizationByIdOrTaxId } from "../organizations/organizations.repository";
import {
  findTaxAccount,
  findTaxAccounts,
  insertTaxAccount,
  type TaxAccountRow,
  updateTaxAccountRow,
} from "./tax-accounts.repository";
import { type TaxAccountOutput, taxAccountInput, taxAccountReauthInput } from "./tax-accounts.schema";
import { recordAccountStatus } from "./tax-accounts.sweep";

const toOutput = (r: TaxAccountRow): TaxAccountOutput => ({
  id: r.id,
  orgId: r.orgId,
  name: r.name,
  channel: r.channel,
  status: r.status,
  settings: maskSettings(r.channel, (r.settings ?? {}) as Record<string, unknown>),
  problem: r.statusProblem,
  statusMessage: r.statusMessage,
  statusAction: r.statusAction,
  statusChangedAt: r.statusChangedAt?.toISOString() ?? null,
  creditAvailable: r.creditAvailable,
  creditReportedAt: r.creditReportedAt?.toISOString() ?? null,
  createdAt: r.createdAt.toISOString(),
});

const nameTaken = () =>
  new AppError("CONFLICT", "账号名称已存在", { fields: { name: "本组织已有同名电子税局账号" } });

export async function findTaxAccountsForConsole(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string },
): Promise<TaxAccountOutput[]> {
  requireOrg(options.actor, options.orgId);
  return (await findTaxAccounts(ctx.database.db, options.orgId)).map(toOutput);
}

export async function saveTaxAccount(
  ctx: Pick<AppContext, "database" | "keyring"> & { config: Pick<AppContext["config"], "allowPrivateUrls"> },
  options: { actor: Actor; orgId: string; id?: string; input: unknown },
): Promise<TaxAccountOutput> {
  const actor = requireOrg(options.actor, options.orgId, "administer");
  const input = parseInput(taxAccountInput, options.input);
  const { db } = ctx.database;
  const existing = options.id ? await findTaxAccount(db, options.orgId, options.id) : undefined;
  if (options.id && !existing) throw new AppError("NOT_FOUND", "电子税局账号不存在");
  registerBuiltInChannels();
  // Settings are (re)validated when given, or when the channel changes; an edit that leaves them out
  // keeps them. Secrets left empty or masked keep their saved value on the same channel.
  const sameChannel = existing?.channel === input.channel;
  const settings =
    input.settings !== undefined || !sameChannel
      ? prepareSettings(input.channel, input.settings ?? {}, {
          keyring: ctx.keyring,
          allowPrivateUrls: ctx.config.allowPrivateUrls,
          ...(sameChannel ? { previous: (existing?.settings ?? {}) as Record<string, unknown> } : {}),
        })
      : undefined;
  const values = {
    name: input.name,
    channel: input.channel,
    status: input.status,
    ...(settings ? { settings } : {}),
  };
  const id = options.id ?? newId("tba");
  await db
    .transaction(async (tx) => {
      if (options.id) await updateTaxAccountRow(tx, id, values);
      else await insertTaxAccount(tx, { id, orgId: options.orgId, ...values });
      await recordAudit(tx, {
        actor,
        orgId: options.orgId,
        action: options.id ? "tax_account.update" : "tax_account.create",
        entityType: "tax_account",
        entityId: id,
        details: { ...values, ...(settings ? { settings: maskSettings(input.channel, settings) } : {}) },
      });
    })
    .catch((e) => {
      throw isUniqueViolation(e, "tax_bureau_accounts_org_name_key") ? nameTaken() : e;
    });
  const saved = await findTaxAccount(db, options.orgId, id);
  if (!saved) throw new Error("tax account vanished after save");
  return toOutput(saved);
}

/** The channels a console user can pick, with their fields. */
export function channelsForConsole(options: { actor: Actor; orgId: string }) {
  requireOrg(options.actor, options.orgId);
  registerBuiltInChannels();
  return channelDefinitions().map((d) => ({
    id: d.id,
    label: d.label,
    fields: d.fields.map(({ options, ...f }) => ({
      ...f,
      ...(options ? { options: options.map((o) => ({ ...o })) } : {}),
    })),
  }));
}

/** 测试连接 from the console: the organization's own account only. */
export async function testTaxAccountForConsole(
  ctx: Pick<AppContext, "database" | "keyring" | "log"> & {
    config: Pick<AppContext["config"], "allowPrivateUrls" | "tuning">;
  },
  options: { actor: Actor; orgId: string; id: string },
) {
  const actor = requireOrg(options.actor, options.orgId, "administer");
  if (!(await findTaxAccount(ctx.database.db, options.orgId, options.id)))
    throw new AppError("NOT_FOUND", "电子税局账号不存在");
  const { qrCode, ...status } = await testTaxAccount(ctx, { actor, id: options.id });
  let qr = qrCode;
  // A session to scan back without a live QR (none, or the channel says it expired): an operator
  // asked, so a new one is asked for (the account check only reads: refreshes are limited, 20 a day).
  if (isScanProblem(status.problem) && !qr) {
    const [account] = await ctx.database.db
      .select()
      .from(taxBureauAccounts)
      .where(eq(taxBureauAccounts.id, options.id));
    const adapter = account && adapterOf(ctx, account);
    if (account && adapter?.reauthQrCode) {
      const fresh = await adapter
        .reauthQrCode(settingsOf(account), status.problem, { refresh: true })
        .catch(() => null);
      if (fresh?.qrCode) qr = fresh.qrCode;
    }
  }
  return { ...status, ...(qr ? { qrCode: qrOutput(qr) } : {}) };
}

const qrOutput = (qr: ChannelQrCode) => ({ text: qr.text, expiresAt: qr.expiresAt?.toISOString() ?? null });

const isScanProblem = (
  problem: string | null | undefined,
): problem is "logged_out" | "identity_verification_due" =>
  problem === "logged_out" || problem === "identity_verification_due";

const settingsOf = (account: TaxAccountRow) => (account.settings ?? {}) as Record<string, unknown>;

function adapterOf(
  ctx: Pick<AppContext, "database" | "keyring"> & { config: Pick<AppContext["config"], "allowPrivateUrls"> },
  account: TaxAccountRow,
): ChannelAdapter | undefined {
  registerBuiltInChannels();
  return channelDefinition(account.channel)?.create({
    database: ctx.database,
    keyring: ctx.keyring,
    allowPrivateUrls: ctx.config.allowPrivateUrls,
  });
}

/**
 * 扫码认证 from the console, for an account whose 数电 session is logged out or whose 实人认证 is due:
 * `refresh` asks the channel for a new QR (刷新二维码); otherwise (the console polls while its dialog
 * is open) asks whether the QR was scanned, completes the scan with the channel and, once done,
 * checks the account again — online, its held invoices resume at once.
 */
export async function reauthTaxAccountForConsole(
  ctx: Pick<AppContext, "database" | "keyring" | "log"> & {
    config: Pick<AppContext["config"], "allowPrivateUrls" | "tuning">;
  },
  options: { actor: Actor; orgId: string; id: string; input: unknown },
) {
  const actor = requireOrg(options.actor, options.orgId, "administer");
  const input = parseInput(taxAccountReauthInput, options.input ?? {});
  const account = await findTaxAccount(ctx.database.db, options.orgId, options.id);
  if (!account) throw new AppError("NOT_FOUND", "电子税局账号不存在");
  const current = {
    id: account.id,
    status: account.status as "online" | "reauth" | "offline",
    ...(account.statusProblem ? { problem: account.statusProblem } : {}),
    message: account.statusMessage ?? (account.status === "online" ? "连接正常" : ""),
    ...(account.statusAction ? { action: account.statusAction } : {}),
  };
  const problem = account.statusProblem;
  if (!isScanProblem(problem)) {
    if (input.refresh)
      throw new AppError(
        "CONFLICT",
        problem ? "该账号的问题无法扫码解决：请按提示处理后测试连接" : "该账号无需扫码认证",
      );
    return { ...current, scan: account.status === "online" ? ("done" as const) : ("none" as const) };
  }
  const adapter = adapterOf(ctx, account);
  if (!adapter?.reauthQrCode || !adapter.reauthScan)
    throw new AppError("CONFLICT", "该开票通道不支持扫码认证");
  try {
    if (input.refresh) {
      const answer = await adapter.reauthQrCode(settingsOf(account), problem, { refresh: true });
      await ctx.database.db.transaction(async (tx) => {
        await recordAudit(tx, {
          actor,
          orgId: account.orgId,
          action: "tax_account.qr_refresh",
          entityType: "tax_account",
          entityId: account.id,
          details: { problem, issued: answer.qrCode !== null },
        });
      });
      return answer.qrCode
        ? { ...current, scan: "waiting" as const, qrCode: qrOutput(answer.qrCode) }
        : { ...current, scan: "waiting" as const, message: answer.message };
    }
    const scan = await adapter.reauthScan(settingsOf(account), problem);
    if (scan !== "done") return { ...current, scan };
  } catch (e) {
    if (e instanceof ChannelAccountError || e instanceof ChannelUnavailableError)
      return { ...current, scan: "waiting" as const, message: e.message };
    throw e;
  }
  // Scanned and completed: the account is checked again (online: its held invoices resume).
  const { qrCode, ...status } = await testTaxAccount(ctx, { actor, id: account.id });
  return {
    ...status,
    scan: status.status === "online" ? ("done" as const) : ("waiting" as const),
    ...(qrCode ? { qrCode: qrOutput(qrCode) } : {}),
  };
}

/** Whether the account belongs to the organization (a receipt code may only name its own). */
export async function isTaxAccountOfOrganization(
  ctx: Pick<AppContext, "database">,
  orgId: string,
  id: string,
): Promise<TaxAccountRow | undefined> {
  return findTaxAccount(ctx.database.db, orgId, id);
}

/**
 * `piaoma tax-account:create`: an account on any registered channel with its settings (validated by
 * the channel's schema, secrets sealed), optionally the organization's default for new receipt codes.
 */
export async function createTaxAccountWithSettings(
  ctx: Pick<AppContext, "database" | "keyring"> & { config: Pick<AppContext["config"], "allowPrivateUrls"> },
  options: {
    actor: Actor;
    org: string;
    name: string;
    channel: string;
    settings: unknown;
    makeDefault?: boolean;
  },
): Promise<{ id: string }> {
  const { db } = ctx.database;
  const org = await findOrganizationByIdOrTaxId(db, options.org);
  if (!org) throw new AppError("NOT_FOUND", `组织不存在：${options.org}`);
  const base = parseInput(taxAccountInput.pick({ name: true }), { name: options.name });
  registerBuiltInChannels();
  const settings = prepareSettings(options.channel, options.settings, {
    keyring: ctx.keyring,
    allowPrivateUrls: ctx.config.allowPrivateUrls,
  });
  const id = newId("tba");
  await db
    .transaction(async (tx) => {
      await insertTaxAccount(tx, { id, orgId: org.id, name: base.name, channel: options.channel, settings });
      if (options.makeDefault)
        await tx
          .update(receiptCodeConfigs)
          .set({ defaultTaxAccountId: id, updatedAt: new Date() })
          .where(eq(receiptCodeConfigs.orgId, org.id));
      await recordAudit(tx, {
        actor: options.actor,
        orgId: org.id,
        action: "tax_account.create",
        entityType: "tax_account",
        entityId: id,
        // Never the settings' secrets: what is shown to people is masked.
        details: {
          name: base.name,
          channel: options.channel,
          settings: maskSettings(options.channel, settings),
        },
      });
    })
    .catch((e) => {
      throw isUniqueViolation(e, "tax_bureau_accounts_org_name_key") ? nameTaken() : e;
    });
  return { id };
}

/**
 * `piaoma tax-account:test` (测试连接): asks the channel for the account's state (诺诺: a query for a
 * made-up order, the session, 实人认证, 授信额度) and records the status on the account.
 */
export async function testTaxAccount(
  ctx: Pick<AppContext, "database" | "keyring" | "log"> & {
    config: Pick<AppContext["config"], "allowPrivateUrls" | "tuning">;
  },
  options: { actor: Actor; id: string },
): Promise<ChannelAccountStatus & { id: string; channel: string }> {
  const { db } = ctx.database;
  const [account] = await db.select().from(taxBureauAccounts).where(eq(taxBureauAccounts.id, options.id));
  if (!account) throw new AppError("NOT_FOUND", "电子税局账号不存在");
  registerBuiltInChannels();
  const definition = channelDefinition(account.channel);
  if (!definition) throw new AppError("VALIDATION_FAILED", `未知的开票通道：${account.channel}`);
  const adapter = definition.create({
    database: ctx.database,
    keyring: ctx.keyring,
    allowPrivateUrls: ctx.config.allowPrivateUrls,
  });
  const settings = (account.settings ?? {}) as Record<string, unknown>;
  // 金蝶's account check is per tax ID: the organization's.
  const org = await findOrganizationByIdOrTaxId(db, account.orgId);
  const status: ChannelAccountStatus = adapter.accountStatus
    ? await adapter.accountStatus(settings, { sellerTaxId: org?.taxId })
    : { status: "online", message: "该通道无需测试连接" };
  // Recorded as the account check would (a success resumes the invoices held for the account).
  await recordAccountStatus(ctx, account, status);
  await db.transaction(async (tx) => {
    await recordAudit(tx, {
      actor: options.actor,
      orgId: account.orgId,
      action: "tax_account.test",
      entityType: "tax_account",
      entityId: account.id,
      details: { status: status.status, problem: status.problem ?? null, message: status.message },
    });
  });
  return { id: account.id, channel: account.channel, ...status };
}
