import type { Actor } from "../../platform/context";
import { AppError } from "../../platform/errors";

export type UserActor = Extract<Actor, { type: "user" }>;
export type ConsoleRole = UserActor["role"];

/**
 * What each console role may do. Services check it (not only the routes), so a service called from
 * anywhere enforces the same rules.
 */
export const PERMISSIONS = {
  /** Read organizations, base data, config, receipt codes. */
  read: ["admin", "operator", "viewer"],
  /** Receipt codes: create, edit, copy, disable, preview, print. */
  operate: ["admin", "operator"],
  /** Organizations, tax accounts, devices, items, config, users, credentials, audit log. */
  administer: ["admin"],
} as const satisfies Record<string, readonly ConsoleRole[]>;

export type Permission = keyof typeof PERMISSIONS;

const ROLE_NAMES: Record<ConsoleRole, string> = { admin: "管理员", operator: "开票员", viewer: "只读用户" };

export function can(actor: UserActor, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly string[]).includes(actor.role);
}

/** FORBIDDEN unless the actor's role grants the permission. */
export function requirePermission(actor: Actor, permission: Permission): UserActor {
  if (actor.type !== "user") throw new AppError("FORBIDDEN", "仅控制台用户可执行此操作");
  if (!can(actor, permission)) {
    throw new AppError("FORBIDDEN", `${ROLE_NAMES[actor.role]}无权执行此操作`, { role: actor.role });
  }
  return actor;
}

/**
 * Another organization's data answers 404, exactly as if it did not exist: a user must not learn
 * which ids belong to someone else.
 */
export function requireOrg(actor: Actor, orgId: string, permission: Permission = "read"): UserActor {
  const user = requirePermission(actor, permission);
  if (!user.orgIds.includes(orgId)) throw new AppError("NOT_FOUND", "组织不存在或无权访问");
  return user;
}

/**
 * The organizations a cross-organization view covers (统计分析, 发票管理 「全部组织」): the one named
 * (404 unless the user belongs to it), or, when none is named, every organization the user belongs
 * to — never more.
 */
export function requireOrgScope(actor: Actor, orgId: string | undefined): string[] {
  if (orgId !== undefined) {
    requireOrg(actor, orgId);
    return [orgId];
  }
  return requirePermission(actor, "read").orgIds;
}
