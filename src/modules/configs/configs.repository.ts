import { and, eq } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { organizations, receiptCodeConfigs, taxBureauAccounts } from "../../platform/db/schema";

export async function findConfigWithSeller(db: DbOrTx, orgId: string) {
  const [row] = await db
    .select({ config: receiptCodeConfigs, org: organizations })
    .from(receiptCodeConfigs)
    .innerJoin(organizations, eq(organizations.id, receiptCodeConfigs.orgId))
    .where(eq(receiptCodeConfigs.orgId, orgId));
  return row;
}

export async function updateConfigRow(
  db: DbOrTx,
  orgId: string,
  values: Partial<typeof receiptCodeConfigs.$inferInsert>,
): Promise<void> {
  await db
    .update(receiptCodeConfigs)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(receiptCodeConfigs.orgId, orgId));
}

export async function isTaxAccountOfOrg(db: DbOrTx, orgId: string, id: string): Promise<boolean> {
  const rows = await db
    .select({ id: taxBureauAccounts.id })
    .from(taxBureauAccounts)
    .where(and(eq(taxBureauAccounts.orgId, orgId), eq(taxBureauAccounts.id, id)));
  return rows.length > 0;
}
