import { and, count, desc, eq, like, type SQL } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { auditLog, users } from "../../platform/db/schema";

/** An organization's audit entries, newest first, with the username of console actors. */
export async function findAuditPage(
  db: DbOrTx,
  f: { orgId: string; action?: string; entityId?: string; offset: number; limit: number },
) {
  const conditions: SQL[] = [eq(auditLog.orgId, f.orgId)];
  // Actions are dotted (receipt_code.disable): a prefix filter selects a whole family.
  if (f.action) conditions.push(like(auditLog.action, `${f.action.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  if (f.entityId) conditions.push(eq(auditLog.entityId, f.entityId));
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
    db.select({ n: count() }).from(auditLog).where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}
