import { z } from "zod";
import { oneLine, recordId, secret } from "../../platform/input";
import { createUserInput, roleSchema } from "./users.schema";

export const consoleUserCreateInput = createUserInput;

export const consoleUserUpdateInput = z.object({
  displayName: oneLine().max(50, "姓名过长").optional(),
  role: roleSchema,
  isActive: z.boolean(),
  orgIds: z.array(recordId()).min(1, "至少属于一个组织"),
  /** A new password; empty or absent keeps the old one. */
  password: secret().max(200, "密码过长").optional(),
  /** Lifts a lock-out from too many failed logins. */
  unlock: z.boolean().optional(),
});

export const consoleUserOutput = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  role: z.string(),
  isActive: z.boolean(),
  orgIds: z.array(z.string()),
  lockedUntil: z.string().nullable(),
  lastLoginAt: z.string().nullable(),
  createdAt: z.string(),
});
export type ConsoleUserOutput = z.infer<typeof consoleUserOutput>;
