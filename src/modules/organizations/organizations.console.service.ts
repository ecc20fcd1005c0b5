import type { Actor, AppContext } from "../../context";
import { isUniqueViolation } from "../../platform/db/errors";
import { userOrganizations } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { parseInput } from "../../platform/validation";
import { recordAudit } from "../audit/audit.service";
import { requireOrg, requirePermission } from "../auth/access";
import { type OrganizationOutput, organizationInput } from "./organizations.console.schema";
import { sellerOf } from "./organizations.presenter";
import {
  findOrganizationByIdOrTaxId,
  findOrganizationsByIds,
  type OrganizationRow,
  updateOrganizationRow,
} from "./organizations.repository";
import { createOrganization } from "./organizations.service";

export function toOrganizationOutput(row: OrganizationRow): OrganizationOutput {
  return {
    id: row.id,
    ...sellerOf(row),
    contactEmail: row.contactEmail ?? "",
    isDemo: row.isDemo,
    myInvoicesListed: row.myInvoicesListed,
    pendingSubmissionHours: row.pendingSubmissionHours,
    createdAt: row.createdAt.toISOString(),
  };
}

const taxIdTaken = () =>
  new AppError("CONFLICT", "该统一社会信用代码的组织已存在", {
    fields: { taxId: "该统一社会信用代码已存在" },
  });

/** The organizations the actor belongs to. */
export async function findOrganizationsForConsole(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor },
): Promise<OrganizationOutput[]> {
  const user = requirePermission(options.actor, "read");
  return (await findOrganizationsByIds(ctx.database.db, user.orgIds)).map(toOrganizationOutput);
}

export async function getOrganizationForConsole(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string },
): Promise<OrganizationOutput> {
  requireOrg(options.actor, options.orgId);
  const row = await findOrganizationByIdOrTaxId(ctx.database.db, options.orgId);
  if (!row || row.id !== options.orgId) throw new AppError("NOT_FOUND", "组织不存在或无权访问");
  return toOrganizationOutput(row);
}

/**
 * An admin (of any of its organizations) creates a further seller and becomes its admin; the
 * memberships it has elsewhere are not touched.
 */
export async function createOrganizationForConsole(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; input: unknown },
): Promise<OrganizationOutput> {
  const user = requirePermission(options.actor, "administer");
  const input = parseInput(organizationInput, options.input);
  const row = await createOrganization(ctx, { actor: user, input });
  await ctx.database.db
    .insert(userOrganizations)
    .values({ userId: user.userId, orgId: row.id, role: "admin", isActive: true });
  return toOrganizationOutput(row);
}

export async function updateOrganizationForConsole(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string; input: unknown },
): Promise<OrganizationOutput> {
  const actor = requireOrg(options.actor, options.orgId, "administer");
  const input = parseInput(organizationInput, options.input);
  const { db } = ctx.database;
  const other = await findOrganizationByIdOrTaxId(db, input.taxId);
  if (other && other.id !== options.orgId) throw taxIdTaken();
  await db
    .transaction(async (tx) => {
      await updateOrganizationRow(tx, options.orgId, input);
      await recordAudit(tx, {
        actor,
        orgId: options.orgId,
        action: "organization.update",
        entityType: "organization",
        entityId: options.orgId,
        details: {
          name: input.name,
          taxId: input.taxId,
          myInvoicesListed: input.myInvoicesListed,
          pendingSubmissionHours: input.pendingSubmissionHours,
        },
      });
    })
    .catch((e) => {
      throw isUniqueViolation(e, "organizations_tax_id_key") ? taxIdTaken() : e;
    });
  return getOrganizationForConsole(ctx, { actor, orgId: options.orgId });
}
