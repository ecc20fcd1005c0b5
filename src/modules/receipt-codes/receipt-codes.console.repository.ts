import { and, count, desc, eq, gt, gte, ilike, inArray, lt, lte, type SQL, sql } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { devices, receiptCodeLines, receiptCodes } from "../../platform/db/schema";
import { DISABLEABLE } from "./receipt-code-status";
import type { ReceiptCodeRow } from "./receipt-codes.repository";

export interface ListFilter {
  orgId: string;
  serialNo?: string;
  deviceNo?: string;
  status?: string;
  source?: string;
  from?: Date;
  to?: Date;
  now: Date;
  offset: number;
  limit: number;
}

/** Receipt codes of one organization, newest first, with their device number. */
export async function findReceiptCodesPage(db: DbOrTx, f: ListFilter) {
  const conditions: SQL[] = [eq(receiptCodes.orgId, f.orgId)];
  if (f.serialNo)
    conditions.push(ilike(receiptCodes.serialNo, `%${f.serialNo.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  if (f.deviceNo) conditions.push(eq(devices.deviceNo, f.deviceNo));
  if (f.source) conditions.push(eq(receiptCodes.source, f.source));
  if (f.from) conditions.push(gte(receiptCodes.createdAt, f.from));
  if (f.to) conditions.push(lt(receiptCodes.createdAt, f.to));
  // `expired` is derived (an active code past its validity), so both filters look at the clock.
  if (f.status === "expired")
    conditions.push(eq(receiptCodes.status, "active"), lte(receiptCodes.expiresAt, f.now));
  else if (f.status === "active")
    conditions.push(eq(receiptCodes.status, "active"), gt(receiptCodes.expiresAt, f.now));
  else if (f.status) conditions.push(eq(receiptCodes.status, f.status));
  const where = and(...conditions);
  const [rows, [total]] = await Promise.all([
    db
      .select({ code: receiptCodes, deviceNo: devices.deviceNo })
      .from(receiptCodes)
      .leftJoin(devices, eq(devices.id, receiptCodes.deviceId))
      .where(where)
      .orderBy(desc(receiptCodes.createdAt), desc(receiptCodes.id))
      .offset(f.offset)
      .limit(f.limit),
    db
      .select({ n: count() })
      .from(receiptCodes)
      .leftJoin(devices, eq(devices.id, receiptCodes.deviceId))
      .where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

export async function findReceiptCodeOfOrg(
  db: DbOrTx,
  orgId: string,
  id: string,
): Promise<{ code: ReceiptCodeRow; deviceNo: string | null } | undefined> {
  const [row] = await db
    .select({ code: receiptCodes, deviceNo: devices.deviceNo })
    .from(receiptCodes)
    .leftJoin(devices, eq(devices.id, receiptCodes.deviceId))
    .where(and(eq(receiptCodes.orgId, orgId), eq(receiptCodes.id, id)));
  return row;
}

/** Replaces an unused code's content; false when it was used (or changed) meanwhile. */
export async function replaceUnusedReceiptCode(
  tx: DbOrTx,
  id: string,
  values: Partial<typeof receiptCodes.$inferInsert>,
  lines: Array<typeof receiptCodeLines.$inferInsert>,
): Promise<boolean> {
  const updated = await tx
    .update(receiptCodes)
    .set({ ...values, updatedAt: new Date() })
    .where(and(eq(receiptCodes.id, id), eq(receiptCodes.status, "active")))
    .returning({ id: receiptCodes.id });
  if (updated.length === 0) return false;
  await tx.delete(receiptCodeLines).where(eq(receiptCodeLines.receiptCodeId, id));
  for (let i = 0; i < lines.length; i += 500)
    await tx.insert(receiptCodeLines).values(lines.slice(i, i + 500));
  return true;
}

/**
 * Disables a code that was not invoiced: a conditional update, so a consumer's submit racing with
 * it either finds the code disabled or the disable finds the code issuing — never both.
 */
export async function disableReceiptCodeRow(tx: DbOrTx, id: string, now: Date): Promise<boolean> {
  const updated = await tx
    .update(receiptCodes)
    .set({ status: "disabled", disabledAt: now, updatedAt: now })
    .where(and(eq(receiptCodes.id, id), inArray(receiptCodes.status, DISABLEABLE)))
    .returning({ id: receiptCodes.id });
  return updated.length > 0;
}

/**
 * The highest sequence among the organization's serial numbers made of `prefix` and digits only
 * (POS-01-20260301-0007 → 7 for the prefix "POS-01-20260301-"); 0 when there is none.
 */
export async function highestSerialSequence(db: DbOrTx, orgId: string, prefix: string): Promise<number> {
  const like = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const pattern = `^${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}[0-9]{1,9}$`;
  const [row] = await db
    .select({
      n: sql<string | null>`max(substr(${receiptCodes.serialNo}, ${prefix.length + 1}::integer)::integer)`,
    })
    .from(receiptCodes)
    .where(
      and(
        eq(receiptCodes.orgId, orgId),
        sql`${receiptCodes.serialNo} like ${like}`,
        sql`${receiptCodes.serialNo} ~ ${pattern}`,
      ),
    );
  return Number(row?.n ?? 0);
}
