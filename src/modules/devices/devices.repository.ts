import { and, asc, eq } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { devices } from "../../platform/db/schema";

export type DeviceRow = typeof devices.$inferSelect;

export async function findDevices(db: DbOrTx, orgId: string): Promise<DeviceRow[]> {
  return db.select().from(devices).where(eq(devices.orgId, orgId)).orderBy(asc(devices.deviceNo));
}

export async function findDevice(db: DbOrTx, orgId: string, id: string): Promise<DeviceRow | undefined> {
  const [row] = await db
    .select()
    .from(devices)
    .where(and(eq(devices.orgId, orgId), eq(devices.id, id)));
  return row;
}

export async function insertDevice(db: DbOrTx, row: typeof devices.$inferInsert): Promise<void> {
  await db.insert(devices).values(row);
}

export async function updateDeviceRow(
  db: DbOrTx,
  id: string,
  values: Partial<typeof devices.$inferInsert>,
): Promise<void> {
  await db
    .update(devices)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(devices.id, id));
}
