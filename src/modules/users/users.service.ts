import type { Actor, AppContext } from "../../platform/context";
import { hashPassword } from "../../platform/crypto";
import { isUniqueViolation } from "../../platform/db/errors";
import { AppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { parseInput } from "../../platform/validation";
import { recordAudit } from "../audit/audit.service";
import { getOrganizationByIdOrTaxId } from "../organizations/organizations.service";
import { findUserByUsername, insertUser } from "./users.repository";
import { type CreateUserInput, createUserInput, type UserRole } from "./users.schema";

export interface UserSummary {
  id: string;
  username: string;
  role: UserRole;
  orgIds: string[];
}

/** Creates a console user; organizations may be named by id or by tax ID. Passwords are scrypt-hashed. */
export async function createUser(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; input: CreateUserInput },
): Promise<UserSummary> {
  const input = parseInput(createUserInput, options.input);
  const orgIds: string[] = [];
  for (const ref of input.orgIds) orgIds.push((await getOrganizationByIdOrTaxId(ctx, ref)).id);

  const { db } = ctx.database;
  const taken = () =>
    new AppError("CONFLICT", `用户名 ${input.username} 已存在`, { fields: { username: "用户名已存在" } });
  if (await findUserByUsername(db, input.username)) throw taken();
  const id = newId("usr");
  const passwordHash = await hashPassword(input.password);
  await db
    .transaction(async (tx) => {
      await insertUser(
        tx,
        {
          id,
          username: input.username,
          displayName: input.displayName ?? "",
          passwordHash,
          role: input.role,
        },
        [...new Set(orgIds)],
      );
      for (const orgId of new Set(orgIds)) {
        await recordAudit(tx, {
          actor: options.actor,
          orgId,
          action: "user.create",
          entityType: "user",
          entityId: id,
          details: { username: input.username, role: input.role },
        });
      }
    })
    .catch((e) => {
      throw isUniqueViolation(e, "users_username_key") ? taken() : e;
    });
  return { id, username: input.username, role: input.role, orgIds: [...new Set(orgIds)] };
}
