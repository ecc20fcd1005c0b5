import type { Actor, AppContext } from "../../platform/context";
import { hashPassword } from "../../platform/crypto";
import { AppError } from "../../platform/errors";
import { FieldErrors, parseInput } from "../../platform/validation";
import { recordAudit } from "../audit/audit.service";
import { requirePermission, type UserActor } from "../auth/access";
import { deleteSessionsOfUser, findOrgIdsOfUsers } from "../auth/auth.repository";
import { findUserById, findUsersInOrgs, setUserOrgs, updateUserRow } from "./users.console.repository";
import {
  type ConsoleUserOutput,
  consoleUserCreateInput,
  consoleUserUpdateInput,
} from "./users.console.schema";
import type { UserRow } from "./users.repository";
import { createUser } from "./users.service";

function toOutput(row: UserRow, orgIds: string[]): ConsoleUserOutput {
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    role: row.role,
    isActive: row.isActive,
    orgIds,
    lockedUntil: row.lockedUntil && row.lockedUntil > new Date() ? row.lockedUntil.toISOString() : null,
    lastLoginAt: row.lastLoginAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/** An admin assigns only organizations they belong to themselves. */
function checkOrgs(admin: UserActor, orgIds: string[]): void {
  const errors = new FieldErrors();
  orgIds.forEach((id, i) => {
    if (!admin.orgIds.includes(id)) errors.add(`orgIds[${i}]`, "组织不存在或无权分配");
  });
  errors.throwIfAny();
}

/** Users sharing an organization with the admin; only the organizations the admin sees are shown. */
export async function findUsersForConsole(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor },
): Promise<ConsoleUserOutput[]> {
  const admin = requirePermission(options.actor, "administer");
  const rows = await findUsersInOrgs(ctx.database.db, admin.orgIds);
  const memberships = await findOrgIdsOfUsers(
    ctx.database.db,
    rows.map((r) => r.id),
  );
  return rows.map((r) =>
    toOutput(
      r,
      (memberships.get(r.id) ?? []).filter((o) => admin.orgIds.includes(o)),
    ),
  );
}

async function getVisibleUser(ctx: Pick<AppContext, "database">, admin: UserActor, id: string) {
  const row = await findUserById(ctx.database.db, id);
  const memberships = (await findOrgIdsOfUsers(ctx.database.db, [id])).get(id) ?? [];
  if (!row || !memberships.some((o) => admin.orgIds.includes(o)))
    throw new AppError("NOT_FOUND", "用户不存在");
  return { row, memberships };
}

export async function createUserForConsole(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; input: unknown },
): Promise<ConsoleUserOutput> {
  const admin = requirePermission(options.actor, "administer");
  const input = parseInput(consoleUserCreateInput, options.input);
  checkOrgs(admin, input.orgIds);
  const created = await createUser(ctx, { actor: admin, input });
  const { row, memberships } = await getVisibleUser(ctx, admin, created.id);
  return toOutput(row, memberships);
}

export async function updateUserForConsole(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; id: string; input: unknown },
): Promise<ConsoleUserOutput> {
  const admin = requirePermission(options.actor, "administer");
  const input = parseInput(consoleUserUpdateInput, options.input);
  const { row } = await getVisibleUser(ctx, admin, options.id);
  checkOrgs(admin, input.orgIds);
  const errors = new FieldErrors();
  if (input.password && input.password.length < 8) errors.add("password", "密码至少 8 位");
  // An admin cannot lock themselves out of administration by accident.
  if (row.id === admin.userId && input.role !== "admin") errors.add("role", "不能修改自己的管理员角色");
  if (row.id === admin.userId && !input.isActive) errors.add("isActive", "不能停用自己");
  errors.throwIfAny();
  const passwordHash = input.password ? await hashPassword(input.password) : undefined;
  const { db } = ctx.database;
  await db.transaction(async (tx) => {
    await updateUserRow(tx, row.id, {
      displayName: input.displayName ?? row.displayName,
      role: input.role,
      isActive: input.isActive,
      ...(passwordHash ? { passwordHash } : {}),
      ...(input.unlock || passwordHash ? { failedLogins: 0, lockedUntil: null } : {}),
    });
    await setUserOrgs(tx, row.id, admin.orgIds, input.orgIds);
    // A disabled user or a changed password ends the user's sessions at once.
    if (!input.isActive || passwordHash) await deleteSessionsOfUser(tx, row.id);
    for (const orgId of input.orgIds) {
      await recordAudit(tx, {
        actor: admin,
        orgId,
        action: "user.update",
        entityType: "user",
        entityId: row.id,
        details: {
          username: row.username,
          role: input.role,
          isActive: input.isActive,
          passwordChanged: Boolean(passwordHash),
          unlocked: Boolean(input.unlock),
        },
      });
    }
  });
  const after = await getVisibleUser(ctx, admin, row.id);
  return toOutput(
    after.row,
    after.memberships.filter((o) => admin.orgIds.includes(o)),
  );
}
