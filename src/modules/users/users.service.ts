import type { Actor, AppContext } from "../../context";
import { hashPassword } from "../../platform/crypto";
import { isUniqueViolation } from "../../platform/db/errors";
import { AppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { parseInput } from "../../platform/validation";
import { recordAudit } from "../audit/audit.service";
import { findUserByUsername } from "../auth/auth.repository";
import { getOrganizationByIdOrTaxId } from "../organizations/organizations.service";
import { insertUser, type Membership } from "./users.repository";
import { type CreateUserInput, createUserInput, type UserRole } from "./users.schema";

export interface UserSummary {
  id: string;
  username: string;
  role: UserRole;
  orgIds: string[];
}

/**
 * Creates a console user with the same role in each organization named (by id or by tax ID): the
 * command line's `user:create` and the demo. Passwords are scrypt-hashed.
 */
export async function createUser(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; input: CreateUserInput },
): Promise<UserSummary> {
  const input = parseInput(createUserInput, options.input);
  const orgIds = new Set<string>();
  for (const ref of input.orgIds) orgIds.add((await getOrganizationByIdOrTaxId(ctx, ref)).id);
  const id = await insertNewUser(ctx, options.actor, {
    username: input.username,
    password: input.password,
    displayName: input.displayName ?? "",
    memberships: [...orgIds].map((orgId) => ({ orgId, role: input.role, isActive: true })),
  });
  return { id, username: input.username, role: input.role, orgIds: [...orgIds] };
}

/**
 * Inserts a validated new user with its memberships (organizations already checked by the caller)
 * and one audit entry in each organization; CONFLICT when the name is taken, in any case.
 */
export async function insertNewUser(
  ctx: Pick<AppContext, "database">,
  actor: Actor,
  user: { username: string; password: string; displayName: string; memberships: Membership[] },
): Promise<string> {
  const { db } = ctx.database;
  const taken = () =>
    new AppError("CONFLICT", `用户名 ${user.username} 已存在`, { fields: { username: "用户名已存在" } });
  if (await findUserByUsername(db, user.username)) throw taken();
  const id = newId("usr");
  const passwordHash = await hashPassword(user.password);
  await db
    .transaction(async (tx) => {
      await insertUser(
        tx,
        { id, username: user.username, displayName: user.displayName, passwordHash },
        user.memberships,
      );
      for (const m of user.memberships) {
        await recordAudit(tx, {
          actor,
          orgId: m.orgId,
          action: "user.create",
          entityType: "user",
          entityId: id,
          details: { username: user.username, role: m.role, isActive: m.isActive },
        });
      }
    })
    .catch((e) => {
      throw isUniqueViolation(e, "users_username_key") ? taken() : e;
    });
  return id;
}
