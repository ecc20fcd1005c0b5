import { z } from "zod";
import { oneLine, secret } from "../../platform/input";
import { createUserInput, membershipInput } from "./users.schema";

const memberships = z.array(membershipInput, { error: "请设置所属组织及角色" }).max(200, "组织过多");

/** A new user with its role and active flag in each of the admin's organizations it joins. */
export const consoleUserCreateInput = createUserInput
  .pick({ username: true, password: true, displayName: true })
  .extend({ memberships: memberships.min(1, "至少属于一个组织") });

export const consoleUserUpdateInput = z.object({
  /** Changing it needs the admin to administer every organization of the user; absent keeps it. */
  displayName: oneLine().max(50, "姓名过长").optional(),
  /**
   * The user's memberships among the organizations the admin administers: listed ones are set,
   * unlisted ones removed. Memberships elsewhere are neither shown nor touched.
   */
  memberships,
  /** A new password (empty or absent keeps the old one); as displayName, only for all organizations. */
  password: secret().max(200, "密码过长").optional(),
  /** Lifts a lock-out from too many failed logins. */
  unlock: z.boolean().optional(),
});

export const consoleMembershipOutput = z.object({
  orgId: z.string(),
  role: z.enum(["admin", "operator", "viewer"]),
  isActive: z.boolean(),
});

export const consoleUserOutput = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  /** Only in the organizations the viewing admin administers. */
  memberships: z.array(consoleMembershipOutput),
  /** Whether the viewer administers every organization of the user (then it may set password and name). */
  canEditAccount: z.boolean(),
  lockedUntil: z.string().nullable(),
  lastLoginAt: z.string().nullable(),
  createdAt: z.string(),
});
export type ConsoleUserOutput = z.infer<typeof consoleUserOutput>;

export const ownPasswordInput = z.object({
  currentPassword: secret({ error: "请输入当前密码" }).min(1, "请输入当前密码").max(200, "密码过长"),
  newPassword: secret({ error: "请输入新密码" }).min(8, "新密码至少 8 位").max(200, "密码过长"),
});
