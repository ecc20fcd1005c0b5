import { customType, numeric, timestamp } from "drizzle-orm/pg-core";

/** Money and other decimals travel as strings end to end; never through JS numbers. */
export const money = (name: string) => numeric(name, { precision: 18, scale: 2 });
export const decimal = (name: string) => numeric(name, { precision: 38, scale: 13 });
export const rate = (name: string) => numeric(name, { precision: 6, scale: 4 });
export const createdAt = () =>
  timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();
export const updatedAt = () =>
  timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();
export const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

export const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)),
});
