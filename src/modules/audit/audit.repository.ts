import { and, asc, count, desc, eq, gte, ilike, inArray, like, lt, or, type SQL } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { auditLog, users } from "../../platform/db/schema";

/** An organization's audit entries, newest first, with the username of console actors. */
export async function findAuditPage(
  db: DbOrTx,
  f: {
    orgId: string;
    action?: string;
    entityId?: string;
    operator?: string;
    from?: Date;
    to?: Date;
    offset: number;
    limit: number;
  },
) {
  const literal = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);
  const conditions: SQL[] = [eq(auditLog.orgId, f.orgId)];
  // Actions are dotted (receipt_code.disable): a prefix filter selects a whole family.
  if (f.action) conditions.push(like(auditLog.action, `${literal(f.action)}%`));
  if (f.entityId) conditions.push(eq(auditLog.entityId, f.entityId));
  if (f.from) conditions.push(gte(auditLog.createdAt, f.from));
  if (f.to) conditions.push(lt(auditLog.createdAt, f.to));
  if (f.operator) {
    const pattern = `%${literal(f.operator)}%`;
    const byName = or(
      ilike(users.username, pattern),
      ilike(users.displayName, pattern),
      ilike(auditLog.actorId, pattern),
    );
    if (byName) conditions.push(byName);
  }
  const where = and(...conditions);
  const [rows, [total]] = await Promise.all([
    db
      .select({ entry: auditLog, username: users.username, displayName: users.displayName })
      .from(auditLog)
      .leftJoin(users, and(eq(auditLog.actorType, "user"), eq(users.id, auditLog.actorId)))
      .where(where)
      .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
      .offset(f.offset)
      .limit(f.limit),
    db
      .select({ n: count() })
      .from(auditLog)
      .leftJoin(users, and(eq(auditLog.actorType, "user"), eq(users.id, auditLog.actorId)))
      .where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

/** The entries about the given records (by entity type and id) of one organization, oldest first. */
export async function findAuditOfRecords(
  db: DbOrTx,
  orgId: string,
  records: readonly { entityType: string; ids: readonly string[] }[],
  limit: number,
) {
  const about = records
    .filter((r) => r.ids.length > 0)
    .map((r) => and(eq(auditLog.entityType, r.entityType), inArray(auditLog.entityId, [...r.ids])));
  if (about.length === 0) return [];
  return db
    .select({ entry: auditLog, username: users.username, displayName: users.displayName })
    .from(auditLog)
    .leftJoin(users, and(eq(auditLog.actorType, "user"), eq(users.id, auditLog.actorId)))
    .where(and(eq(auditLog.orgId, orgId), or(...about)))
    .orderBy(asc(auditLog.createdAt), asc(auditLog.id))
    .limit(limit);
}
