import type { Actor, AppContext } from "../../context";
import { hashPassword, verifyPassword } from "../../platform/crypto";
import { AppError } from "../../platform/errors";
import { parseInput } from "../../platform/validation";
import { recordAudit } from "../audit/audit.service";
import { requirePermission } from "../auth/access";
import { deleteOtherSessionsOfUser, recordLoginFailure } from "../auth/auth.repository";
import { LOCK_MINUTES, MAX_FAILED_LOGINS } from "../auth/auth.service";
import { findUserById, updateUserRow } from "./users.console.repository";
import { ownPasswordInput } from "./users.console.schema";

/**
 * 修改密码: a console user changes its own password, whatever its roles. The current password is
 * required, so a session left open is not enough to take the account over; wrong guesses count
 * towards the same lock-out as wrong logins. The user's other sessions end; this one stays.
 */
export async function changeOwnPassword(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; sessionId: string; input: unknown; now?: Date },
): Promise<void> {
  const user = requirePermission(options.actor, "read");
  const input = parseInput(ownPasswordInput, options.input);
  const now = options.now ?? new Date();
  const { db } = ctx.database;
  const row = await findUserById(db, user.userId);
  if (!row) throw new AppError("UNAUTHENTICATED");
  const locked = () =>
    new AppError("ACCOUNT_LOCKED", `当前密码错误次数过多，账号已锁定 ${LOCK_MINUTES} 分钟，请稍后再试`);
  if (row.lockedUntil && row.lockedUntil > now) throw locked();
  if (!(await verifyPassword(input.currentPassword, row.passwordHash))) {
    const lockUntil = new Date(now.getTime() + LOCK_MINUTES * 60_000);
    const state = await recordLoginFailure(db, row.id, MAX_FAILED_LOGINS, lockUntil);
    if (state.lockedUntil && state.lockedUntil > now) throw locked();
    throw AppError.validation({ currentPassword: "当前密码不正确" });
  }
  const passwordHash = await hashPassword(input.newPassword);
  await db.transaction(async (tx) => {
    await updateUserRow(tx, row.id, { passwordHash, failedLogins: 0 });
    await deleteOtherSessionsOfUser(tx, row.id, options.sessionId);
    for (const orgId of user.orgIds) {
      await recordAudit(tx, {
        actor: user,
        orgId,
        action: "user.password",
        entityType: "user",
        entityId: row.id,
        details: { username: row.username },
      });
    }
  });
}
