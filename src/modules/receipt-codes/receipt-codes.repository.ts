import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { devices, items, receiptCodeConfigs, receiptCodeLines, receiptCodes } from "../../platform/db/schema";
import { newShortCode } from "../../platform/ids";

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

/** Draws of a 开票码 before giving up: with 29⁶ codes a second draw is already rare (README "开票码"). */
const SHORT_CODE_DRAWS = 8;

/**
 * Inserts a code with a fresh 开票码: a draw that collides with an existing one inserts nothing
 * (`on conflict` on the short code's key only) and is drawn again. Returns the short code.
 */
export async function insertReceiptCode(
  tx: DbOrTx,
  code: Omit<typeof receiptCodes.$inferInsert, "shortCode">,
  lines: Array<typeof receiptCodeLines.$inferInsert>,
): Promise<string> {
  let shortCode = "";
  for (let draw = 0; !shortCode; draw++) {
    if (draw === SHORT_CODE_DRAWS) throw new Error("no free short code after several draws");
    const candidate = newShortCode();
    const inserted = await tx
      .insert(receiptCodes)
      .values({ ...code, shortCode: candidate })
      .onConflictDoNothing({ target: receiptCodes.shortCode })
      .returning({ id: receiptCodes.id });
    if (inserted.length > 0) shortCode = candidate;
  }
  // Chunked: PostgreSQL caps a statement at 65535 parameters and a code may have 2000 lines.
  for (let i = 0; i < lines.length; i += 500)
    await tx.insert(receiptCodeLines).values(lines.slice(i, i + 500));
  return shortCode;
}

export async function findReceiptCodeByToken(db: DbOrTx, token: string): Promise<ReceiptCodeRow | undefined> {
  const [row] = await db.select().from(receiptCodes).where(eq(receiptCodes.token, token));
  return row;
}

/**
 * The code a 开票码 names while it is alive — not past its validity (of any status, so a disabled
 * one can be told apart). Expired codes are not found: the codes a guess can hit are only those
 * alive at once (README "开票码").
 */
export async function findLiveReceiptCodeByShortCode(
  db: DbOrTx,
  shortCode: string,
): Promise<ReceiptCodeRow | undefined> {
  const [row] = await db
    .select()
    .from(receiptCodes)
    .where(and(eq(receiptCodes.shortCode, shortCode), gt(receiptCodes.expiresAt, sql`now()`)));
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

/**
 * Locks codes (`for update`, in id order so two merged submits never wait on each other in a circle)
 * and returns what decides whether they may still be taken: status, validity and total.
 */
export async function lockReceiptCodes(tx: DbOrTx, ids: string[]) {
  return tx
    .select({
      id: receiptCodes.id,
      status: receiptCodes.status,
      expiresAt: receiptCodes.expiresAt,
      totalAmount: receiptCodes.totalAmount,
    })
    .from(receiptCodes)
    .where(inArray(receiptCodes.id, ids))
    .orderBy(asc(receiptCodes.id))
    .for("update");
}

/** Moves locked codes along a named move (receipt-code-status.ts), only from the statuses it allows. */
export async function moveReceiptCodes(
  tx: DbOrTx,
  ids: string[],
  move: { from: readonly string[]; set: { status: string; updatedAt: Date } },
): Promise<number> {
  if (ids.length === 0) return 0;
  const moved = await tx
    .update(receiptCodes)
    .set(move.set)
    .where(and(inArray(receiptCodes.id, ids), inArray(receiptCodes.status, [...move.from])))
    .returning({ id: receiptCodes.id });
  return moved.length;
}
