import { inArray } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { userOrganizations, users } from "../../platform/db/schema";
import type { UserRole } from "./users.schema";

export type UserRow = typeof users.$inferSelect;
export interface Membership {
  orgId: string;
  role: UserRole;
  isActive: boolean;
}

export async function insertUser(
  tx: DbOrTx,
  user: typeof users.$inferInsert,
  memberships: Membership[],
): Promise<void> {
  await tx.insert(users).values(user);
  await tx.insert(userOrganizations).values(memberships.map((m) => ({ userId: user.id, ...m })));
}

export async function findUserOrgIds(db: DbOrTx, userId: string): Promise<string[]> {
  return (await findMemberships(db, [userId])).get(userId)?.map((m) => m.orgId) ?? [];
}

/** Every membership of these users, active or not, by user. */
export async function findMemberships(db: DbOrTx, userIds: string[]): Promise<Map<string, Membership[]>> {
  const out = new Map<string, Membership[]>();
  if (userIds.length === 0) return out;
  const rows = await db
    .select()
    .from(userOrganizations)
    .where(inArray(userOrganizations.userId, userIds))
    .orderBy(userOrganizations.orgId);
  for (const { userId, ...m } of rows) out.set(userId, [...(out.get(userId) ?? []), m]);
  return out;
}
