import type { Actor, AppContext } from "../../context";
import { isUniqueViolation } from "../../platform/db/errors";
import { AppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { parseInput } from "../../platform/validation";
import { recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";
import {
  findTaxAccount,
  findTaxAccounts,
  insertTaxAccount,
  type TaxAccountRow,
  updateTaxAccountRow,
} from "./tax-accounts.repository";
import { type TaxAccountOutput, taxAccountInput } from "./tax-accounts.schema";

const toOutput = (r: TaxAccountRow): TaxAccountOutput => ({
  id: r.id,
  orgId: r.orgId,
  name: r.name,
  channel: r.channel,
  status: r.status,
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
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string; id?: string; input: unknown },
): Promise<TaxAccountOutput> {
  const actor = requireOrg(options.actor, options.orgId, "administer");
  const input = parseInput(taxAccountInput, options.input);
  const { db } = ctx.database;
  if (options.id && !(await findTaxAccount(db, options.orgId, options.id)))
    throw new AppError("NOT_FOUND", "电子税局账号不存在");
  const id = options.id ?? newId("tba");
  await db
    .transaction(async (tx) => {
      if (options.id) await updateTaxAccountRow(tx, id, input);
      else await insertTaxAccount(tx, { id, orgId: options.orgId, ...input });
      await recordAudit(tx, {
        actor,
        orgId: options.orgId,
        action: options.id ? "tax_account.update" : "tax_account.create",
        entityType: "tax_account",
        entityId: id,
        details: input,
      });
    })
    .catch((e) => {
      throw isUniqueViolation(e, "tax_bureau_accounts_org_name_key") ? nameTaken() : e;
    });
  const saved = await findTaxAccount(db, options.orgId, id);
  if (!saved) throw new Error("tax account vanished after save");
  return toOutput(saved);
}

/** Whether the account belongs to the organization (a receipt code may only name its own). */
export async function isTaxAccountOfOrganization(
  ctx: Pick<AppContext, "database">,
  orgId: string,
  id: string,
): Promise<TaxAccountRow | undefined> {
  return findTaxAccount(ctx.database.db, orgId, id);
}
