import type { AppContext } from "../../context";
import type { HttpServer } from "../../platform/http";
import { loginInput, sessionOutput } from "./auth.schema";
import { login, logout } from "./auth.service";
import { actorOf, clearSessionCookie, SESSION_COOKIE, setSessionCookie } from "./console-guard";
import { createLoginThrottle } from "./login-throttle";

const hide = { hide: true } as const;

/** Login: the one console route without a session. */
export function registerLoginRoute(http: HttpServer, ctx: AppContext): void {
  const throttle = createLoginThrottle();
  http.post(
    "/session",
    { schema: { ...hide, body: loginInput, response: { 200: sessionOutput } } },
    async (req, reply) => {
      const { token, session } = await login(ctx, {
        input: req.body,
        ip: req.ip,
        userAgent: req.headers["user-agent"],
        throttle,
      });
      setSessionCookie(ctx, reply, token);
      return session.output;
    },
  );
}

export function registerSessionRoutes(http: HttpServer, ctx: AppContext): void {
  http.get("/session", { schema: { ...hide, response: { 200: sessionOutput } } }, async (req) => {
    actorOf(req);
    return req.consoleSession!.output;
  });

  http.delete("/session", { schema: hide }, async (req, reply) => {
    await logout(ctx, req.cookies[SESSION_COOKIE] ?? "");
    clearSessionCookie(ctx, reply);
    return reply.status(204).send();
  });
}
