import { and, asc, eq, inArray, notInArray } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { userOrganizations, users } from "../../platform/db/schema";
import type { UserRow } from "./users.repository";

/** Users that belong to at least one of these organizations. */
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

/**
 * Sets the user's memberships among `manageable` organizations to `orgIds`, leaving memberships in
 * organizations the acting admin does not manage untouched.
 */
export async function setUserOrgs(db: DbOrTx, userId: string, manageable: string[], orgIds: string[]) {
  const keep = orgIds.length > 0 ? notInArray(userOrganizations.orgId, orgIds) : undefined;
  await db
    .delete(userOrganizations)
    .where(and(eq(userOrganizations.userId, userId), inArray(userOrganizations.orgId, manageable), keep));
  if (orgIds.length > 0)
    await db
      .insert(userOrganizations)
      .values(orgIds.map((orgId) => ({ userId, orgId })))
      .onConflictDoNothing();
}
