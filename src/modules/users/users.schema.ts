import { z } from "zod";
import { oneLine, recordId, secret } from "../../platform/input";

export const roleSchema = z.enum(["admin", "operator", "viewer"], {
  error: "角色只能是 admin（管理员）、operator（开票员）或 viewer（只读）",
});
export type UserRole = z.infer<typeof roleSchema>;

export const createUserInput = z.object({
  username: oneLine().regex(/^[A-Za-z0-9_.@-]{3,64}$/, "用户名为 3–64 位字母、数字或 _ . @ -"),
  password: secret().min(8, "密码至少 8 位").max(200, "密码过长"),
  role: roleSchema,
  displayName: oneLine().max(50, "姓名过长").optional(),
  orgIds: z.array(recordId()).min(1, "至少属于一个组织"),
});
export type CreateUserInput = z.input<typeof createUserInput>;

/** A membership as an admin sets it: the user's role and active flag in one organization. */
export const membershipInput = z.object({
  orgId: recordId({ error: "请选择组织" }),
  role: roleSchema,
  isActive: z.boolean({ error: "启用状态只能是 true 或 false" }).default(true),
});
export type MembershipInput = z.output<typeof membershipInput>;
