import { and, eq, gt, lt, ne, sql } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { consoleSessions, organizations, userOrganizations, users } from "../../platform/db/schema";

export type SessionRow = typeof consoleSessions.$inferSelect;
export type UserRow = typeof users.$inferSelect;

export async function insertSession(db: DbOrTx, row: typeof consoleSessions.$inferInsert): Promise<void> {
  await db.insert(consoleSessions).values(row);
}

/** The live session with this token hash and its user (whose memberships the caller checks). */
export async function findLiveSession(
  db: DbOrTx,
  tokenHash: string,
  now: Date,
): Promise<{ session: SessionRow; user: UserRow } | undefined> {
  const [row] = await db
    .select({ session: consoleSessions, user: users })
    .from(consoleSessions)
    .innerJoin(users, eq(users.id, consoleSessions.userId))
    .where(and(eq(consoleSessions.tokenHash, tokenHash), gt(consoleSessions.expiresAt, now)))
    .limit(1);
  return row;
}

export async function touchSession(db: DbOrTx, id: string, now: Date, expiresAt: Date): Promise<void> {
  await db.update(consoleSessions).set({ lastSeenAt: now, expiresAt }).where(eq(consoleSessions.id, id));
}

export async function deleteSessionByHash(db: DbOrTx, tokenHash: string): Promise<void> {
  await db.delete(consoleSessions).where(eq(consoleSessions.tokenHash, tokenHash));
}

export async function deleteSessionsOfUser(db: DbOrTx, userId: string): Promise<void> {
  await db.delete(consoleSessions).where(eq(consoleSessions.userId, userId));
}

export async function deleteOtherSessionsOfUser(db: DbOrTx, userId: string, keepId: string): Promise<void> {
  await db
    .delete(consoleSessions)
    .where(and(eq(consoleSessions.userId, userId), ne(consoleSessions.id, keepId)));
}

export async function deleteExpiredSessions(db: DbOrTx, now: Date): Promise<void> {
  await db.delete(consoleSessions).where(lt(consoleSessions.expiresAt, now));
}

/** The user by name; `isActive` when it has at least one active membership (else it cannot log in). */
export async function findUserByUsername(
  db: DbOrTx,
  username: string,
): Promise<(UserRow & { isActive: boolean }) | undefined> {
  const [row] = await db
    .select({
      user: users,
      isActive: sql<boolean>`exists (select 1 from ${userOrganizations} where ${userOrganizations.userId} = ${users.id} and ${userOrganizations.isActive})`,
    })
    .from(users)
    .where(sql`lower(${users.username}) = lower(${username})`)
    .limit(1);
  return row && { ...row.user, isActive: row.isActive };
}

/**
 * Counts a failure atomically (two wrong passwords at once both count) and locks the account when
 * the count reaches `maxFailures`; returns the new state.
 */
export async function recordLoginFailure(
  db: DbOrTx,
  userId: string,
  maxFailures: number,
  lockUntil: Date,
): Promise<{ failedLogins: number; lockedUntil: Date | null }> {
  const [row] = await db
    .update(users)
    .set({
      failedLogins: sql`case when ${users.failedLogins} + 1 >= ${maxFailures} then 0 else ${users.failedLogins} + 1 end`,
      lockedUntil: sql`case when ${users.failedLogins} + 1 >= ${maxFailures} then ${lockUntil.toISOString()}::timestamptz else ${users.lockedUntil} end`,
    })
    .where(eq(users.id, userId))
    .returning({ failedLogins: users.failedLogins, lockedUntil: users.lockedUntil });
  return row ?? { failedLogins: 0, lockedUntil: null };
}

export async function recordLoginSuccess(db: DbOrTx, userId: string, now: Date): Promise<void> {
  await db
    .update(users)
    .set({ failedLogins: 0, lockedUntil: null, lastLoginAt: now })
    .where(eq(users.id, userId));
}

/** The organizations where the user's membership is active, with its role in each. */
export async function findOrganizationsOfUser(db: DbOrTx, userId: string) {
  return db
    .select({
      id: organizations.id,
      name: organizations.name,
      taxId: organizations.taxId,
      role: userOrganizations.role,
    })
    .from(userOrganizations)
    .innerJoin(organizations, eq(organizations.id, userOrganizations.orgId))
    .where(and(eq(userOrganizations.userId, userId), eq(userOrganizations.isActive, true)))
    .orderBy(organizations.createdAt, organizations.id);
}
