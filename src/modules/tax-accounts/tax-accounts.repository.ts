import { and, asc, eq } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { taxBureauAccounts } from "../../platform/db/schema";

export type TaxAccountRow = typeof taxBureauAccounts.$inferSelect;

export async function findTaxAccounts(db: DbOrTx, orgId: string): Promise<TaxAccountRow[]> {
  return db
    .select()
    .from(taxBureauAccounts)
    .where(eq(taxBureauAccounts.orgId, orgId))
    .orderBy(asc(taxBureauAccounts.createdAt));
}

export async function findTaxAccount(
  db: DbOrTx,
  orgId: string,
  id: string,
): Promise<TaxAccountRow | undefined> {
  const [row] = await db
    .select()
    .from(taxBureauAccounts)
    .where(and(eq(taxBureauAccounts.orgId, orgId), eq(taxBureauAccounts.id, id)));
  return row;
}

export async function insertTaxAccount(
  db: DbOrTx,
  row: typeof taxBureauAccounts.$inferInsert,
): Promise<void> {
  await db.insert(taxBureauAccounts).values(row);
}

export async function updateTaxAccountRow(
  db: DbOrTx,
  id: string,
  values: Partial<typeof taxBureauAccounts.$inferInsert>,
): Promise<void> {
  await db
    .update(taxBureauAccounts)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(taxBureauAccounts.id, id));
}
