import type { Actor, AppContext } from "../../context";
import { isUniqueViolation } from "../../platform/db/errors";
import { AppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { parseInput } from "../../platform/validation";
import { recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";
import { type DeviceRow, findDevice, findDevices, insertDevice, updateDeviceRow } from "./devices.repository";
import { type DeviceOutput, deviceInput } from "./devices.schema";

const toOutput = (r: DeviceRow): DeviceOutput => ({
  id: r.id,
  orgId: r.orgId,
  deviceNo: r.deviceNo,
  name: r.name,
  location: r.location,
  isActive: r.isActive,
  createdAt: r.createdAt.toISOString(),
});

const numberTaken = () =>
  new AppError("CONFLICT", "设备编号已存在", { fields: { deviceNo: "本组织已有该设备编号" } });

export async function findDevicesForConsole(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string },
): Promise<DeviceOutput[]> {
  requireOrg(options.actor, options.orgId);
  return (await findDevices(ctx.database.db, options.orgId)).map(toOutput);
}

export async function saveDevice(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string; id?: string; input: unknown },
): Promise<DeviceOutput> {
  const actor = requireOrg(options.actor, options.orgId, "administer");
  const input = parseInput(deviceInput, options.input);
  const { db } = ctx.database;
  if (options.id && !(await findDevice(db, options.orgId, options.id)))
    throw new AppError("NOT_FOUND", "设备不存在");
  const id = options.id ?? newId("dev");
  await db
    .transaction(async (tx) => {
      if (options.id) await updateDeviceRow(tx, id, input);
      else await insertDevice(tx, { id, orgId: options.orgId, ...input });
      await recordAudit(tx, {
        actor,
        orgId: options.orgId,
        action: options.id ? "device.update" : "device.create",
        entityType: "device",
        entityId: id,
        details: { deviceNo: input.deviceNo, name: input.name },
      });
    })
    .catch((e) => {
      throw isUniqueViolation(e, "devices_org_device_no_key") ? numberTaken() : e;
    });
  const saved = await findDevice(db, options.orgId, id);
  if (!saved) throw new Error("device vanished after save");
  return toOutput(saved);
}
