import type { AppContext } from "../../context";
import { hashPassword, sha256Hex, verifyPassword } from "../../platform/crypto";
import { AppError } from "../../platform/errors";
import { rateLimited } from "../../platform/failure-limiter";
import { newId, newToken } from "../../platform/ids";
import { parseInput } from "../../platform/validation";
import { type UserActor, userActor } from "./access";
import {
  deleteExpiredSessions,
  deleteSessionByHash,
  findLiveSession,
  findOrganizationsOfUser,
  findUserByUsername,
  insertSession,
  recordLoginFailure,
  recordLoginSuccess,
  touchSession,
} from "./auth.repository";
import { loginInput, type SessionOutput } from "./auth.schema";
import type { LoginThrottle } from "./login-throttle";

export const MAX_FAILED_LOGINS = 5;
export const LOCK_MINUTES = 15;
/** Idle timeout: a session not used for this long ends. Each use extends it. */
export const SESSION_HOURS = 12;
/** Extending on every request would write on every request; once every few minutes is enough. */
const TOUCH_AFTER_MS = 5 * 60 * 1000;

// Compared against when the user does not exist, so that an unknown name costs as much time as a
// wrong password and response times do not reveal which usernames exist.
let dummyHash: Promise<string> | undefined;

export interface ConsoleSession {
  /** The session's row id: 修改密码 ends the user's other sessions, not this one. */
  id: string;
  actor: UserActor;
  output: SessionOutput;
}

/** `请 30 秒后再试` / `请 3 分钟后再试`. */
function waitText(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  return seconds < 60 ? `${seconds} 秒` : `${Math.ceil(seconds / 60)} 分钟`;
}

/**
 * Checks a username and password and opens a session. After MAX_FAILED_LOGINS wrong passwords in a
 * row the account is locked for LOCK_MINUTES, even for the right password. A locked account, an
 * unknown or disabled one and a wrong password get the same answer (401 UNAUTHENTICATED, same
 * message, one password hash each), so the answers never tell which accounts exist. Before that,
 * the throttle answers 429 RATE_LIMITED with the wait, per client address and per username alike.
 */
export async function login(
  ctx: Pick<AppContext, "database">,
  options: {
    input: unknown;
    ip?: string;
    userAgent?: string;
    now?: Date;
    throttle: LoginThrottle;
  },
): Promise<{ token: string; session: ConsoleSession }> {
  const input = parseInput(loginInput, options.input);
  const now = options.now ?? new Date();
  const at = now.getTime();
  const started = performance.now();
  const { throttle } = options;
  const addressKey = options.ip ?? "";
  // lower() like the lookup: every spelling of a name shares its throttle.
  const nameKey = input.username.toLowerCase();
  const wait = Math.max(throttle.address.waitMs(addressKey, at), throttle.username.waitMs(nameKey, at));
  if (wait > 0) throw rateLimited(`登录尝试过于频繁，请 ${waitText(wait)}后再试`, wait);

  const { db } = ctx.database;
  const found = await findUserByUsername(db, input.username);
  const user = found?.isActive ? found : undefined;
  const locked = user?.lockedUntil ? user.lockedUntil.getTime() > at : false;
  dummyHash ??= hashPassword("piaoma-not-a-password");
  const matches = await verifyPassword(input.password, user ? user.passwordHash : await dummyHash);
  if (!user || locked || !matches) {
    // Counted toward the lock only while the account is open: a locked one stays locked as it was.
    if (user && !locked) {
      await recordLoginFailure(db, user.id, MAX_FAILED_LOGINS, new Date(at + LOCK_MINUTES * 60_000));
    }
    // The wait runs from the answer, not from the request: hashing takes a while on a busy machine.
    const answeredAt = at + (performance.now() - started);
    throttle.address.fail(addressKey, answeredAt);
    throttle.username.fail(nameKey, answeredAt);
    throw new AppError("UNAUTHENTICATED", "用户名或密码错误");
  }
  throttle.username.reset(nameKey);
  await recordLoginSuccess(db, user.id, now);
  await deleteExpiredSessions(db, now);
  const token = newToken();
  const expiresAt = new Date(at + SESSION_HOURS * 3600_000);
  await insertSession(db, {
    id: newId("ses"),
    tokenHash: sha256Hex(token),
    userId: user.id,
    csrfToken: newToken(),
    expiresAt,
    lastSeenAt: now,
    ip: addressKey.slice(0, 64),
    userAgent: (options.userAgent ?? "").slice(0, 300),
  });
  const session = await resolveSession(ctx, token, now);
  if (!session) throw new Error("session vanished after login");
  return { token, session };
}

/**
 * The session behind a cookie token, or undefined when unknown, expired or the user has no active
 * membership left. Memberships are read on every request, so a role changed or a membership
 * disabled by an organization's admin applies to the user's next request.
 */
export async function resolveSession(
  ctx: Pick<AppContext, "database">,
  token: string,
  now = new Date(),
): Promise<ConsoleSession | undefined> {
  if (!token) return undefined;
  const { db } = ctx.database;
  const found = await findLiveSession(db, sha256Hex(token), now);
  if (!found) return undefined;
  const { session, user } = found;
  if (now.getTime() - session.lastSeenAt.getTime() > TOUCH_AFTER_MS) {
    await touchSession(db, session.id, now, new Date(now.getTime() + SESSION_HOURS * 3600_000));
  }
  const organizations = await findOrganizationsOfUser(db, user.id);
  if (organizations.length === 0) return undefined;
  return {
    id: session.id,
    actor: userActor({
      userId: user.id,
      username: user.username,
      memberships: organizations.map((o) => ({ orgId: o.id, role: o.role })),
    }),
    output: {
      user: { id: user.id, username: user.username, displayName: user.displayName },
      organizations,
      csrfToken: session.csrfToken,
      expiresAt: session.expiresAt.toISOString(),
    },
  };
}

export async function logout(ctx: Pick<AppContext, "database">, token: string): Promise<void> {
  if (token) await deleteSessionByHash(ctx.database.db, sha256Hex(token));
}
