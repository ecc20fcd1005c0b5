import { and, asc, count, eq, ilike, inArray, or } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { items } from "../../platform/db/schema";

export type ItemRow = typeof items.$inferSelect;

export async function findItemsPage(
  db: DbOrTx,
  options: { orgId: string; q?: string; includeInactive: boolean; offset: number; limit: number },
): Promise<{ rows: ItemRow[]; total: number }> {
  const conditions = [eq(items.orgId, options.orgId)];
  if (!options.includeInactive) conditions.push(eq(items.isActive, true));
  if (options.q) {
    // Escape LIKE wildcards: a search for "50%" means the text, not a pattern.
    const like = `%${options.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const match = or(
      ilike(items.name, like),
      ilike(items.code, like),
      ilike(items.shortName, like),
      ilike(items.taxCode, like),
    );
    if (match) conditions.push(match);
  }
  const where = and(...conditions);
  const [rows, [total]] = await Promise.all([
    db.select().from(items).where(where).orderBy(asc(items.code)).offset(options.offset).limit(options.limit),
    db.select({ n: count() }).from(items).where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

export async function findItem(db: DbOrTx, orgId: string, id: string): Promise<ItemRow | undefined> {
  const [row] = await db
    .select()
    .from(items)
    .where(and(eq(items.orgId, orgId), eq(items.id, id)));
  return row;
}

export async function findItemsByCodes(db: DbOrTx, orgId: string, codes: string[]): Promise<ItemRow[]> {
  if (codes.length === 0) return [];
  return db
    .select()
    .from(items)
    .where(and(eq(items.orgId, orgId), inArray(items.code, codes)));
}

export async function insertItems(db: DbOrTx, rows: Array<typeof items.$inferInsert>): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) await db.insert(items).values(rows.slice(i, i + 500));
}

export async function updateItemRow(
  db: DbOrTx,
  id: string,
  values: Partial<typeof items.$inferInsert>,
): Promise<void> {
  await db
    .update(items)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(items.id, id));
}
