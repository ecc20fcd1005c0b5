import type { Actor, AppContext } from "../../context";
import { parseLimit } from "../../domain";
import { AppError } from "../../platform/errors";
import { FieldErrors, parseInput } from "../../platform/validation";
import { auditChanges, recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";
import { sellerOf } from "../organizations/organizations.presenter";
import { findConfigWithSeller, isTaxAccountOfOrg, updateConfigRow } from "./configs.repository";
import { type ConfigOutput, configInput } from "./configs.schema";

/** 小票码配置 of one organization, with the seller information it applies to. */
export async function getConfig(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string },
): Promise<ConfigOutput> {
  requireOrg(options.actor, options.orgId);
  const found = await findConfigWithSeller(ctx.database.db, options.orgId);
  if (!found) throw new AppError("NOT_FOUND", "组织不存在或无权访问");
  const { config, org } = found;
  return {
    orgId: org.id,
    seller: sellerOf(org),
    limit: config.limitText,
    limitAmount: config.limitAmount,
    invoiceTypes: config.invoiceTypes,
    defaultInvoiceType: config.defaultInvoiceType,
    validDays: config.validDays,
    overLimitPolicy: config.overLimitPolicy,
    defaultBuyerType: config.defaultBuyerType,
    defaultDrawer: config.defaultDrawer,
    defaultPayee: config.defaultPayee,
    defaultReviewer: config.defaultReviewer,
    defaultTaxAccountId: config.defaultTaxAccountId,
    mergeEnabled: config.mergeEnabled,
    mergeMaxReceipts: config.mergeMaxReceipts,
    correctionAutoApproveDays: config.correctionAutoApproveDays,
    updatedAt: config.updatedAt.toISOString(),
  };
}

/** Saves the config; 限额 is stored as typed, with its value beside it. */
export async function updateConfig(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string; input: unknown },
): Promise<ConfigOutput> {
  const actor = requireOrg(options.actor, options.orgId, "administer");
  const input = parseInput(configInput, options.input);
  const limit = parseLimit(input.limit);
  if (!limit.ok) throw new Error("limit validated by the schema");
  const { db } = ctx.database;
  const errors = new FieldErrors();
  if (input.defaultTaxAccountId && !(await isTaxAccountOfOrg(db, options.orgId, input.defaultTaxAccountId)))
    errors.add("defaultTaxAccountId", "电子税局账号不存在");
  errors.throwIfAny();
  const previous = await getConfig(ctx, { actor, orgId: options.orgId });
  await db.transaction(async (tx) => {
    await updateConfigRow(tx, options.orgId, {
      limitText: input.limit,
      limitAmount: limit.value,
      invoiceTypes: input.invoiceTypes,
      defaultInvoiceType: input.defaultInvoiceType,
      validDays: input.validDays,
      overLimitPolicy: input.overLimitPolicy,
      defaultDrawer: input.defaultDrawer,
      defaultPayee: input.defaultPayee,
      defaultReviewer: input.defaultReviewer,
      ...(input.defaultBuyerType ? { defaultBuyerType: input.defaultBuyerType } : {}),
      ...(input.defaultTaxAccountId !== undefined ? { defaultTaxAccountId: input.defaultTaxAccountId } : {}),
      ...(input.mergeEnabled !== undefined ? { mergeEnabled: input.mergeEnabled } : {}),
      ...(input.mergeMaxReceipts !== undefined ? { mergeMaxReceipts: input.mergeMaxReceipts } : {}),
      ...(input.correctionAutoApproveDays !== undefined
        ? { correctionAutoApproveDays: input.correctionAutoApproveDays }
        : {}),
    });
    await recordAudit(tx, {
      actor,
      orgId: options.orgId,
      action: "config.update",
      entityType: "receipt_code_config",
      entityId: options.orgId,
      details: {
        limit: input.limit,
        invoiceTypes: input.invoiceTypes,
        overLimitPolicy: input.overLimitPolicy,
        ...(input.defaultBuyerType ? { defaultBuyerType: input.defaultBuyerType } : {}),
        ...(input.mergeEnabled !== undefined ? { mergeEnabled: input.mergeEnabled } : {}),
        ...(input.mergeMaxReceipts !== undefined ? { mergeMaxReceipts: input.mergeMaxReceipts } : {}),
        changes: auditChanges<Record<string, unknown>>(previous, input, [
          "limit",
          "invoiceTypes",
          "defaultInvoiceType",
          "validDays",
          "overLimitPolicy",
          "defaultBuyerType",
          "defaultDrawer",
          "defaultPayee",
          "defaultReviewer",
          "defaultTaxAccountId",
          "mergeEnabled",
          "mergeMaxReceipts",
          "correctionAutoApproveDays",
        ]),
      },
    });
  });
  return getConfig(ctx, { actor, orgId: options.orgId });
}
