import { z } from "zod";
import { optionalText } from "../../platform/console-schemas";
import { oneLine } from "../../platform/input";

/** 设备: a POS terminal. Its number is what receipt codes and merchant systems carry. */
export const deviceInput = z.object({
  deviceNo: oneLine()
    .min(1, "请填写设备编号")
    .max(50, "设备编号不能超过 50 个字符")
    .regex(/^[\x21-\x7E]+$/, "设备编号只能包含字母、数字和符号"),
  name: optionalText(50, "设备名称不能超过 50 个字符"),
  location: optionalText(100, "位置不能超过 100 个字符"),
  isActive: z.boolean().default(true),
});
export type DeviceInput = z.input<typeof deviceInput>;

export const deviceOutput = z.object({
  id: z.string(),
  orgId: z.string(),
  deviceNo: z.string(),
  name: z.string(),
  location: z.string(),
  isActive: z.boolean(),
  createdAt: z.string(),
});
export type DeviceOutput = z.infer<typeof deviceOutput>;
