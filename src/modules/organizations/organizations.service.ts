import type { Actor, AppContext } from "../../context";
import { parseLimit } from "../../domain";
import { isUniqueViolation } from "../../platform/db/errors";
import { AppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { checkMerchantUrl } from "../../platform/outbound-http";
import { parseInput } from "../../platform/validation";
import { recordAudit } from "../audit/audit.service";
import {
  findOrganizationByIdOrTaxId,
  insertOrganization,
  type OrganizationRow,
} from "./organizations.repository";
import { type CreateOrganizationInput, createOrganizationInput } from "./organizations.schema";

export const DEFAULT_LIMIT = "10000.00";

/**
 * Creates a seller with its 小票码配置 and a sandbox 电子税局账号, so it can issue right away.
 * The tax ID must be a valid 统一社会信用代码 (both check characters). Merchant URLs (`org:create
 * --order-query-url/--webhook-url`) are checked like the console's (global unicast only, unless
 * `config.allowPrivateUrls`; without a config, private URLs are not allowed); the demo's own URLs,
 * written by the seed for `piaoma demo-merchant` on this machine, are not.
 */
export async function createOrganization(
  ctx: Pick<AppContext, "database"> & { config?: Pick<AppContext["config"], "allowPrivateUrls"> },
  options: { actor: Actor; input: CreateOrganizationInput; isDemo?: boolean },
): Promise<OrganizationRow> {
  const input = parseInput(createOrganizationInput, options.input);
  if (!options.isDemo) await checkUrls(input, ctx.config?.allowPrivateUrls ?? false);
  const { taxId } = input;
  const limitText = input.limit ?? DEFAULT_LIMIT;
  const limit = parseLimit(limitText);
  if (!limit.ok) throw new Error("limit validated by the schema");
  const invoiceTypes = input.invoiceTypes ?? ["digital_normal", "digital_special"];

  const { db } = ctx.database;
  const org = {
    id: newId("org"),
    name: input.name,
    taxId,
    address: input.address ?? "",
    phone: input.phone ?? "",
    bankName: input.bankName ?? "",
    bankAccount: input.bankAccount ?? "",
    orderQueryUrl: input.orderQueryUrl ?? null,
    webhookUrl: input.webhookUrl ?? null,
    isDemo: options.isDemo ?? false,
  };
  const alreadyExists = () =>
    new AppError("CONFLICT", "该统一社会信用代码的组织已存在", {
      fields: { taxId: "该统一社会信用代码已存在" },
    });
  if (await findOrganizationByIdOrTaxId(db, taxId)) throw alreadyExists();
  await db
    .transaction(async (tx) => {
      await insertOrganization(
        tx,
        org,
        {
          orgId: org.id,
          limitText,
          limitAmount: limit.value,
          invoiceTypes,
          defaultInvoiceType: invoiceTypes[0]!,
          validDays: input.validDays ?? 30,
          overLimitPolicy: input.overLimitPolicy ?? "reject",
          defaultDrawer: input.drawer ?? "",
        },
        { id: newId("tba"), orgId: org.id, name: "沙箱税局账号", channel: "sandbox", status: "online" },
      );
      await recordAudit(tx, {
        actor: options.actor,
        orgId: org.id,
        action: "organization.create",
        entityType: "organization",
        entityId: org.id,
        details: { name: org.name, taxId },
      });
    })
    .catch((e) => {
      throw isUniqueViolation(e, "organizations_tax_id_key") ? alreadyExists() : e;
    });
  const created = await findOrganizationByIdOrTaxId(db, org.id);
  if (!created) throw new Error("organization vanished after insert");
  return created;
}

async function checkUrls(
  input: { orderQueryUrl?: string; webhookUrl?: string },
  allowPrivate: boolean,
): Promise<void> {
  const fields: Record<string, string> = {};
  for (const key of ["orderQueryUrl", "webhookUrl"] as const) {
    const value = input[key];
    const problem = value ? await checkMerchantUrl(value, { allowPrivate }) : null;
    if (problem) fields[key] = problem;
  }
  if (Object.keys(fields).length > 0) throw AppError.validation(fields);
}

export async function getOrganizationByIdOrTaxId(
  ctx: Pick<AppContext, "database">,
  idOrTaxId: string,
): Promise<OrganizationRow> {
  // An id (`org_…`) or a tax ID is letters, digits, `_` and `-`: anything else names no organization.
  const ref = idOrTaxId.trim();
  const org = /^[A-Za-z0-9_-]{1,64}$/.test(ref)
    ? await findOrganizationByIdOrTaxId(ctx.database.db, ref)
    : undefined;
  if (!org) throw new AppError("NOT_FOUND", `找不到组织 ${JSON.stringify(idOrTaxId)}`);
  return org;
}
