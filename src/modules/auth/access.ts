import type { Actor } from "../../context";
import { AppError } from "../../platform/errors";

export type UserActor = Extract<Actor, { type: "user" }>;
export type ConsoleRole = "admin" | "operator" | "viewer";

/**
 * What each console role may do. A role belongs to a membership: a user may be admin in one
 * organization and viewer in another, and each permission is checked in the organization concerned.
 * Services check it (not only the routes), so a service called from anywhere enforces the same rules.
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

/** The actor of a console user from its active memberships, in the order they are listed. */
export function userActor(user: {
  userId: string;
  username: string;
  memberships: ReadonlyArray<{ orgId: string; role: ConsoleRole }>;
}): UserActor {
  return {
    type: "user",
    userId: user.userId,
    username: user.username,
    roles: new Map(user.memberships.map((m) => [m.orgId, m.role])),
    orgIds: user.memberships.map((m) => m.orgId),
  };
}

/** Whether the actor's role in this organization grants the permission (false when not a member). */
export function can(actor: UserActor, permission: Permission, orgId: string): boolean {
  const role = actor.roles.get(orgId);
  return role !== undefined && (PERMISSIONS[permission] as readonly string[]).includes(role);
}

/** The same actor, seeing only these of its organizations. */
function narrowed(actor: UserActor, orgIds: string[]): UserActor {
  return {
    ...actor,
    roles: new Map(orgIds.map((id) => [id, actor.roles.get(id) as ConsoleRole])),
    orgIds,
  };
}

/**
 * A permission without a named organization (lists of users, a new organization, views across
 * organizations): the actor narrowed to the organizations where its role grants the permission, so
 * whatever the caller scopes by `orgIds` stays within them. FORBIDDEN when there is none.
 */
export function requirePermission(actor: Actor, permission: Permission): UserActor {
  if (actor.type !== "user") throw new AppError("FORBIDDEN", "仅控制台用户可执行此操作");
  const granted = actor.orgIds.filter((id) => can(actor, permission, id));
  if (granted.length === 0) throw new AppError("FORBIDDEN", "您在所属组织中的角色无权执行此操作");
  return granted.length === actor.orgIds.length ? actor : narrowed(actor, granted);
}

/**
 * A permission in one organization, checked against the actor's role there. Another organization's
 * data answers 404, exactly as if it did not exist (a user must not learn which ids belong to
 * someone else); a member whose role there does not grant it gets FORBIDDEN. Returns the actor
 * narrowed to that organization.
 */
export function requireOrg(actor: Actor, orgId: string, permission: Permission = "read"): UserActor {
  if (actor.type !== "user") throw new AppError("FORBIDDEN", "仅控制台用户可执行此操作");
  const role = actor.roles.get(orgId);
  if (role === undefined) throw new AppError("NOT_FOUND", "组织不存在或无权访问");
  if (!can(actor, permission, orgId)) {
    throw new AppError("FORBIDDEN", `您在该组织是${ROLE_NAMES[role]}，无权执行此操作`, { role });
  }
  return actor.orgIds.length === 1 ? actor : narrowed(actor, [orgId]);
}

/**
 * The organizations a cross-organization view covers (统计分析, 发票管理 「全部组织」): the one named
 * (404 unless the user is an active member), or, when none is named, every organization where the
 * user may read — never more.
 */
export function requireOrgScope(actor: Actor, orgId: string | undefined): string[] {
  if (orgId !== undefined) {
    requireOrg(actor, orgId);
    return [orgId];
  }
  return requirePermission(actor, "read").orgIds;
}
