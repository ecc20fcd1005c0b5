import { eq, sql } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { userOrganizations, users } from "../../platform/db/schema";

export type UserRow = typeof users.$inferSelect;

export async function findUserByUsername(db: DbOrTx, username: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(sql`lower(${users.username}) = lower(${username})`)
    .limit(1);
  return row;
}

export async function insertUser(
  tx: DbOrTx,
  user: typeof users.$inferInsert,
  orgIds: string[],
): Promise<void> {
  await tx.insert(users).values(user);
  await tx.insert(userOrganizations).values(orgIds.map((orgId) => ({ userId: user.id, orgId })));
}

export async function findUserOrgIds(db: DbOrTx, userId: string): Promise<string[]> {
  const rows = await db
    .select({ orgId: userOrganizations.orgId })
    .from(userOrganizations)
    .where(eq(userOrganizations.userId, userId));
  return rows.map((r) => r.orgId);
}
