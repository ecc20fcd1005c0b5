import { and, asc, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { devices, items, receiptCodeConfigs, receiptCodeLines, receiptCodes } from "../../platform/db/schema";

export type ReceiptCodeRow = typeof receiptCodes.$inferSelect;
export type ReceiptCodeLineRow = typeof receiptCodeLines.$inferSelect;
export type ReceiptCodeConfigRow = typeof receiptCodeConfigs.$inferSelect;
export type ItemRow = typeof items.$inferSelect;

export async function findConfig(db: DbOrTx, orgId: string): Promise<ReceiptCodeConfigRow | undefined> {
  const [row] = await db.select().from(receiptCodeConfigs).where(eq(receiptCodeConfigs.orgId, orgId));
  return row;
}

export async function findDevice(db: DbOrTx, orgId: string, deviceNo: string) {
  const [row] = await db
    .select()
    .from(devices)
    .where(and(eq(devices.orgId, orgId), eq(devices.deviceNo, deviceNo)));
  return row;
}

export async function findItemsByCode(
  db: DbOrTx,
  orgId: string,
  codes: string[],
): Promise<Map<string, ItemRow>> {
  if (codes.length === 0) return new Map();
  const rows = await db
    .select()
    .from(items)
    .where(and(eq(items.orgId, orgId), inArray(items.code, codes), eq(items.isActive, true)));
  return new Map(rows.map((r) => [r.code, r]));
}

export async function insertReceiptCode(
  tx: DbOrTx,
  code: typeof receiptCodes.$inferInsert,
  lines: Array<typeof receiptCodeLines.$inferInsert>,
): Promise<void> {
  await tx.insert(receiptCodes).values(code);
  // Chunked: PostgreSQL caps a statement at 65535 parameters and a code may have 2000 lines.
  for (let i = 0; i < lines.length; i += 500)
    await tx.insert(receiptCodeLines).values(lines.slice(i, i + 500));
}

export async function findReceiptCodeByToken(db: DbOrTx, token: string): Promise<ReceiptCodeRow | undefined> {
  const [row] = await db.select().from(receiptCodes).where(eq(receiptCodes.token, token));
  return row;
}

export async function findReceiptCodeBySerial(
  db: DbOrTx,
  orgId: string,
  serialNo: string,
): Promise<ReceiptCodeRow | undefined> {
  const [row] = await db
    .select()
    .from(receiptCodes)
    .where(and(eq(receiptCodes.orgId, orgId), eq(receiptCodes.serialNo, serialNo)));
  return row;
}

export async function findReceiptCodeLines(db: DbOrTx, receiptCodeId: string): Promise<ReceiptCodeLineRow[]> {
  return db
    .select()
    .from(receiptCodeLines)
    .where(eq(receiptCodeLines.receiptCodeId, receiptCodeId))
    .orderBy(asc(receiptCodeLines.position));
}
