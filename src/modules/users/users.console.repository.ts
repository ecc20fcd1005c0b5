import { and, asc, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { userOrganizations, users } from "../../platform/db/schema";
import type { Membership, UserRow } from "./users.repository";

/** Users with a membership (active or not) in at least one of these organizations. */
export async function findUsersInOrgs(db: DbOrTx, orgIds: string[]): Promise<UserRow[]> {
  if (orgIds.length === 0) return [];
  const ids = db
    .selectDistinct({ id: userOrganizations.userId })
    .from(userOrganizations)
    .where(inArray(userOrganizations.orgId, orgIds));
  return db.select().from(users).where(inArray(users.id, ids)).orderBy(asc(users.createdAt));
}

export async function findUserById(db: DbOrTx, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row;
}

export async function updateUserRow(db: DbOrTx, id: string, values: Partial<typeof users.$inferInsert>) {
  await db
    .update(users)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(users.id, id));
}

export async function upsertMembership(db: DbOrTx, userId: string, m: Membership): Promise<void> {
  await db
    .insert(userOrganizations)
    .values({ userId, ...m })
    .onConflictDoUpdate({
      target: [userOrganizations.userId, userOrganizations.orgId],
      set: { role: m.role, isActive: m.isActive },
    });
}

export async function deleteMembership(db: DbOrTx, userId: string, orgId: string): Promise<void> {
  await db
    .delete(userOrganizations)
    .where(and(eq(userOrganizations.userId, userId), eq(userOrganizations.orgId, orgId)));
}

/**
 * Whether the organization has an active admin other than this user. The admins' memberships stay
 * locked until the transaction ends, so two admins stepping down at once cannot both succeed.
 */
export async function hasOtherActiveAdmin(db: DbOrTx, orgId: string, userId: string): Promise<boolean> {
  const rows = await db
    .select({ userId: userOrganizations.userId })
    .from(userOrganizations)
    .where(
      and(
        eq(userOrganizations.orgId, orgId),
        eq(userOrganizations.role, "admin"),
        eq(userOrganizations.isActive, true),
      ),
    )
    .for("update");
  return rows.some((r) => r.userId !== userId);
}
