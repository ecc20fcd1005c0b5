import { eq, inArray, or } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { organizations, receiptCodeConfigs, taxBureauAccounts } from "../../platform/db/schema";

export type OrganizationRow = typeof organizations.$inferSelect;
export type NewOrganizationRow = typeof organizations.$inferInsert;

export async function findOrganizationByIdOrTaxId(
  db: DbOrTx,
  idOrTaxId: string,
): Promise<OrganizationRow | undefined> {
  const [row] = await db
    .select()
    .from(organizations)
    .where(or(eq(organizations.id, idOrTaxId), eq(organizations.taxId, idOrTaxId.toUpperCase())))
    .limit(1);
  return row;
}

export async function insertOrganization(
  tx: DbOrTx,
  org: NewOrganizationRow,
  config: typeof receiptCodeConfigs.$inferInsert,
  taxAccount: typeof taxBureauAccounts.$inferInsert,
): Promise<void> {
  await tx.insert(organizations).values(org);
  await tx.insert(taxBureauAccounts).values(taxAccount);
  await tx.insert(receiptCodeConfigs).values({ ...config, defaultTaxAccountId: taxAccount.id });
}

export async function hasAnyOrganization(db: DbOrTx): Promise<boolean> {
  const rows = await db.select({ id: organizations.id }).from(organizations).limit(1);
  return rows.length > 0;
}

export async function findOrganizationsByIds(db: DbOrTx, ids: string[]): Promise<OrganizationRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(organizations)
    .where(inArray(organizations.id, ids))
    .orderBy(organizations.createdAt);
}

export async function updateOrganizationRow(
  db: DbOrTx,
  id: string,
  values: Partial<NewOrganizationRow>,
): Promise<void> {
  await db
    .update(organizations)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(organizations.id, id));
}
