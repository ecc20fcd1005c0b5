import type { Actor, AppContext } from "../../context";
import { hashPassword } from "../../platform/crypto";
import type { DbOrTx } from "../../platform/db/client";
import { AppError } from "../../platform/errors";
import { FieldErrors, parseInput } from "../../platform/validation";
import { recordAudit } from "../audit/audit.service";
import { requirePermission, type UserActor } from "../auth/access";
import { deleteSessionsOfUser } from "../auth/auth.repository";
import {
  deleteMembership,
  findUserById,
  findUsersInOrgs,
  hasOtherActiveAdmin,
  updateUserRow,
  upsertMembership,
} from "./users.console.repository";
import {
  type ConsoleUserOutput,
  consoleUserCreateInput,
  consoleUserUpdateInput,
} from "./users.console.schema";
import { findMemberships, type Membership, type UserRow } from "./users.repository";
import type { MembershipInput } from "./users.schema";
import { insertNewUser } from "./users.service";

/**
 * 用户 for an admin. A user's role and active flag belong to its membership of each organization, and
 * an admin sees and sets them only in the organizations it administers (`requirePermission` narrows
 * the actor to those): a user shared with another organization cannot be promoted, disabled or
 * re-passworded there from here. What belongs to the user itself — password and name — changes only
 * for an admin of every organization of the user; the user changes its own password itself.
 */

function toOutput(row: UserRow, all: Membership[], admin: UserActor): ConsoleUserOutput {
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    memberships: all.filter((m) => admin.orgIds.includes(m.orgId)),
    canEditAccount: administersAll(admin, all),
    lockedUntil: row.lockedUntil && row.lockedUntil > new Date() ? row.lockedUntil.toISOString() : null,
    lastLoginAt: row.lastLoginAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

function administersAll(admin: UserActor, memberships: Membership[]): boolean {
  return memberships.every((m) => admin.orgIds.includes(m.orgId));
}

/** Memberships are set only in organizations the admin administers, each at most once. */
function checkMemberships(admin: UserActor, memberships: MembershipInput[], errors: FieldErrors): void {
  const seen = new Set<string>();
  memberships.forEach((m, i) => {
    if (!admin.orgIds.includes(m.orgId)) errors.add(`memberships[${i}].orgId`, "组织不存在或无权分配");
    else if (seen.has(m.orgId)) errors.add(`memberships[${i}].orgId`, "同一组织只能出现一次");
    seen.add(m.orgId);
  });
}

/** The users with a membership in an organization the actor administers. */
export async function findUsersForConsole(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor },
): Promise<ConsoleUserOutput[]> {
  const admin = requirePermission(options.actor, "administer");
  const rows = await findUsersInOrgs(ctx.database.db, admin.orgIds);
  const memberships = await findMemberships(
    ctx.database.db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toOutput(r, memberships.get(r.id) ?? [], admin));
}

/** The user and all its memberships; 404 unless it has one in an organization the admin administers. */
async function getVisibleUser(db: DbOrTx, admin: UserActor, id: string) {
  const row = await findUserById(db, id);
  const memberships = (await findMemberships(db, [id])).get(id) ?? [];
  if (!row || !memberships.some((m) => admin.orgIds.includes(m.orgId)))
    throw new AppError("NOT_FOUND", "用户不存在");
  return { row, memberships };
}

export async function createUserForConsole(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; input: unknown },
): Promise<ConsoleUserOutput> {
  const admin = requirePermission(options.actor, "administer");
  const input = parseInput(consoleUserCreateInput, options.input);
  const errors = new FieldErrors();
  checkMemberships(admin, input.memberships, errors);
  errors.throwIfAny();
  const id = await insertNewUser(ctx, admin, {
    username: input.username,
    password: input.password,
    displayName: input.displayName ?? "",
    memberships: input.memberships,
  });
  const { row, memberships } = await getVisibleUser(ctx.database.db, admin, id);
  return toOutput(row, memberships, admin);
}

export async function updateUserForConsole(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; id: string; input: unknown },
): Promise<ConsoleUserOutput> {
  const admin = requirePermission(options.actor, "administer");
  const input = parseInput(consoleUserUpdateInput, options.input);
  const { db } = ctx.database;
  const { row, memberships: before } = await getVisibleUser(db, admin, options.id);
  const errors = new FieldErrors();
  checkMemberships(admin, input.memberships, errors);
  if (input.password && input.password.length < 8) errors.add("password", "密码至少 8 位");
  errors.throwIfAny();

  const displayName =
    input.displayName !== undefined && input.displayName !== row.displayName ? input.displayName : undefined;
  if ((input.password || displayName !== undefined) && !administersAll(admin, before)) {
    throw new AppError(
      "FORBIDDEN",
      "该用户还属于您不管理的组织，只有管理其全部组织的管理员才能修改其密码和姓名；用户可在「修改密码」中自行修改密码",
    );
  }
  const passwordHash = input.password ? await hashPassword(input.password) : undefined;
  const wanted = new Map(input.memberships.map((m) => [m.orgId, m]));
  const after = [
    ...before.filter((m) => !admin.orgIds.includes(m.orgId)),
    ...input.memberships.map(({ orgId, role, isActive }) => ({ orgId, role, isActive })),
  ];

  await db.transaction(async (tx) => {
    if (row.id === admin.userId) await checkSelf(tx, admin, input.memberships);
    const accountChange = {
      ...(displayName !== undefined ? { displayName } : {}),
      ...(passwordHash ? { passwordHash } : {}),
      ...(input.unlock || passwordHash ? { failedLogins: 0, lockedUntil: null } : {}),
    };
    if (Object.keys(accountChange).length > 0) await updateUserRow(tx, row.id, accountChange);
    const account = {
      username: row.username,
      ...(displayName !== undefined ? { displayName } : {}),
      passwordChanged: Boolean(passwordHash),
      unlocked: Boolean(input.unlock),
    };
    for (const orgId of admin.orgIds) {
      const was = before.find((m) => m.orgId === orgId);
      const next = wanted.get(orgId);
      const audit = (action: string, details: Record<string, unknown>) =>
        recordAudit(tx, { actor: admin, orgId, action, entityType: "user", entityId: row.id, details });
      if (!next) {
        if (!was) continue;
        await deleteMembership(tx, row.id, orgId);
        await audit("user.remove", { username: row.username, role: was.role });
        continue;
      }
      const changed = !was || was.role !== next.role || was.isActive !== next.isActive;
      if (changed) await upsertMembership(tx, row.id, next);
      if (changed || Object.keys(accountChange).length > 0)
        await audit(was ? "user.update" : "user.add", {
          ...account,
          role: next.role,
          isActive: next.isActive,
          ...(was ? { previousRole: was.role, previouslyActive: was.isActive } : {}),
        });
    }
    // A new password ends every session of the user; so does losing its last active membership
    // (its sessions would be refused anyway — they go at once, not at the next request).
    if (passwordHash || !after.some((m) => m.isActive)) await deleteSessionsOfUser(tx, row.id);
  });
  const now = (await findMemberships(db, [row.id])).get(row.id) ?? [];
  return toOutput((await findUserById(db, row.id)) ?? row, now, admin);
}

/**
 * An admin editing itself keeps at least one active admin in each of its organizations: it may step
 * down (demote, disable or remove itself) only where another active admin remains.
 */
async function checkSelf(tx: DbOrTx, admin: UserActor, memberships: MembershipInput[]): Promise<void> {
  const errors = new FieldErrors();
  for (const orgId of admin.orgIds) {
    const i = memberships.findIndex((m) => m.orgId === orgId);
    const next = memberships[i];
    if (next?.role === "admin" && next.isActive) continue;
    if (await hasOtherActiveAdmin(tx, orgId, admin.userId)) continue;
    const why = "该组织将没有启用的管理员";
    if (!next) errors.add("memberships", `不能将自己移出组织：${why}`);
    else {
      if (next.role !== "admin") errors.add(`memberships[${i}].role`, `不能取消自己的管理员角色：${why}`);
      if (!next.isActive) errors.add(`memberships[${i}].isActive`, `不能停用自己：${why}`);
    }
  }
  errors.throwIfAny();
}
