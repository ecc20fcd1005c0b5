import type { Actor } from "../../context";
import type { DbOrTx } from "../../platform/db/client";
import { auditLog } from "../../platform/db/schema";
import { newId } from "../../platform/ids";

export interface AuditEntry {
  actor: Actor;
  orgId: string | null;
  action: string;
  entityType: string;
  entityId?: string;
  details?: Record<string, unknown>;
}

/** Written in the caller's transaction: the entry exists exactly when the change does. */
export async function recordAudit(tx: DbOrTx, entry: AuditEntry): Promise<void> {
  await auditInsert(tx, entry);
}

/** Several entries in one statement (a bulk action's, one per record), in the caller's transaction. */
export async function recordAudits(tx: DbOrTx, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await tx.insert(auditLog).values(
    entries.map((e) => {
      const { createdAt: _, ...row } = auditRow(e);
      return row;
    }),
  );
}

/** The insert of an entry, not yet run: for `runTogether` with the change it records. */
export function auditInsert(tx: DbOrTx, entry: AuditEntry) {
  const { createdAt: _, ...row } = auditRow(entry);
  return tx.insert(auditLog).values(row);
}

/** The entry as a whole row, for statements that write it with `recordsJson` (hot paths). */
export function auditRow(entry: AuditEntry): typeof auditLog.$inferSelect {
  const actorId =
    entry.actor.type === "user"
      ? entry.actor.userId
      : entry.actor.type === "app"
        ? entry.actor.appKey
        : entry.actor.type === "system"
          ? entry.actor.reason
          : null;
  return {
    id: newId("aud"),
    orgId: entry.orgId,
    actorType: entry.actor.type,
    actorId,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId ?? null,
    details: entry.details ?? {},
    createdAt: new Date(),
  };
}

/**
 * What an update changed, for an audit entry's `details.changes`: `{ field: { before, after } }`
 * for each field whose value differs (compared as JSON), so 操作日志 can show 原值 → 新值.
 */
export function auditChanges<T extends Record<string, unknown>>(
  before: Partial<T>,
  after: Partial<T>,
  fields: readonly (keyof T & string)[],
): Record<string, { before: unknown; after: unknown }> {
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  for (const field of fields) {
    if (after[field] === undefined) continue;
    const was = before[field] ?? null;
    const now = after[field] ?? null;
    if (JSON.stringify(was) !== JSON.stringify(now)) changes[field] = { before: was, after: now };
  }
  return changes;
}
