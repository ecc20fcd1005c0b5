import type {} from "@fastify/cookie";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AppContext } from "../../context";
import { safeEqual } from "../../platform/crypto";
import { AppError } from "../../platform/errors";
import type { UserActor } from "./access";
import { type ConsoleSession, resolveSession, SESSION_HOURS } from "./auth.service";

export const SESSION_COOKIE = "piaoma_session";
export const CSRF_HEADER = "x-csrf-token";

declare module "fastify" {
  interface FastifyRequest {
    consoleSession?: ConsoleSession;
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Every console request but login: a live session from the HttpOnly cookie, and for a
 * state-changing request the CSRF token of that session in a header. A cross-site form can send the
 * cookie (on top-level POSTs with SameSite=Lax it would not, but older browsers differ) but it cannot
 * read the token, so it cannot forge the header.
 */
export function consoleGuard(ctx: AppContext) {
  return async (req: FastifyRequest) => {
    const token = req.cookies?.[SESSION_COOKIE] ?? "";
    const session = await resolveSession(ctx, token);
    if (!session) throw new AppError("UNAUTHENTICATED");
    if (!SAFE_METHODS.has(req.method)) {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== "string" || !safeEqual(sent, session.output.csrfToken)) {
        throw new AppError("CSRF_INVALID", "请求校验失败，请刷新页面后重试");
      }
    }
    // Another organization's anything is "not found", before any validation can tell it apart.
    const orgId = (req.params as { orgId?: unknown } | undefined)?.orgId;
    if (typeof orgId === "string" && !session.actor.orgIds.includes(orgId)) {
      throw new AppError("NOT_FOUND", "组织不存在或无权访问");
    }
    req.consoleSession = session;
  };
}

/** The acting user of a guarded request. */
export function actorOf(req: FastifyRequest): UserActor {
  if (!req.consoleSession) throw new AppError("UNAUTHENTICATED");
  return req.consoleSession.actor;
}

export function setSessionCookie(ctx: AppContext, reply: FastifyReply, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: ctx.config.publicUrl.startsWith("https://"),
    maxAge: SESSION_HOURS * 3600,
  });
}

export function clearSessionCookie(ctx: AppContext, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: ctx.config.publicUrl.startsWith("https://"),
  });
}
