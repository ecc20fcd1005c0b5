import { eq } from "drizzle-orm";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { loginAs, makeUser } from "../../../test/support/console";
import { describeOneDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { consoleSessions, users } from "../../platform/db/schema";
import type { AppError } from "../../platform/errors";
import { login as loginService } from "./auth.service";
import { createLoginThrottle } from "./login-throttle";

describeOneDatabase("console login, session, CSRF and lock-out", (kind) => {
  let app: TestApp;
  beforeEach(async () => {
    app = await createTestApp(kind);
  });
  afterEach(() => app.close());

  async function user(overrides: { role?: "admin" | "operator" | "viewer" } = {}) {
    const org = await makeOrganization(app.ctx.database);
    return { org, ...(await makeUser(app.ctx.database, { orgIds: [org.id], ...overrides })) };
  }

  const login = (username: string, password: string) =>
    app.http.inject({ method: "POST", url: "/api/console/session", payload: { username, password } });

  it("logs in with an HttpOnly SameSite=Lax cookie, stores only the token's hash, and logs out", async () => {
    const u = await user({ role: "operator" });
    const res = await login(u.username, u.password);
    expect(res.statusCode).toBe(200);
    const cookie = res.cookies.find((c) => c.name === "piaoma_session");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
    expect(cookie?.secure).toBeFalsy();
    expect(res.json()).toMatchObject({
      user: { username: u.username },
      organizations: [{ id: u.org.id, role: "operator" }],
    });
    const [stored] = await app.ctx.database.db.select().from(consoleSessions);
    expect(stored?.tokenHash).not.toBe(cookie?.value);
    expect(stored?.tokenHash).toMatch(/^[0-9a-f]{64}$/);

    const client = await loginAs(app, u.username, u.password);
    expect((await client.get("/session")).statusCode).toBe(200);
    expect((await client.request("DELETE", "/session")).statusCode).toBe(204);
    expect((await client.get("/session")).statusCode).toBe(401);
  });

  it("marks the cookie secure when PUBLIC_URL is https", async () => {
    await app.close();
    app = await createTestApp(kind, { env: { PUBLIC_URL: "https://fapiao.example.com" } });
    const u = await user();
    const res = await login(u.username, u.password);
    expect(res.cookies.find((c) => c.name === "piaoma_session")?.secure).toBe(true);
  });

  it("refuses a wrong password and an unknown user alike, and requires a session for the API", async () => {
    const u = await user();
    for (const res of [await login(u.username, "wrong-password"), await login("nobody-here", "whatever")]) {
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe("UNAUTHENTICATED");
    }
    const anonymous = await app.http.inject({ method: "GET", url: "/api/console/orgs" });
    expect(anonymous.statusCode).toBe(401);
    const bad = await login("", "");
    expect(bad.statusCode).toBe(422);
    expect(Object.keys(bad.json().error.details.fields).sort()).toEqual(["password", "username"]);
  });

  it("locks the account for 15 minutes after 5 failed logins, even for the right password", async () => {
    const u = await user();
    const throttle = createLoginThrottle();
    // A minute apart: slower than the throttle's waits, so only the lock decides.
    let minute = 0;
    const attempt = (password: string) =>
      loginService(app.ctx, {
        input: { username: u.username, password },
        ip: "198.51.100.1",
        now: new Date(Date.now() + minute++ * 60_000),
        throttle,
      }).then(
        () => 200,
        (e: AppError) => e.code,
      );
    for (let i = 0; i < 5; i++) expect(await attempt("bad-password")).toBe("UNAUTHENTICATED");
    const [row] = await app.ctx.database.db.select().from(users).where(eq(users.id, u.id));
    const minutes = ((row?.lockedUntil?.getTime() ?? 0) - (Date.now() + 4 * 60_000)) / 60_000;
    expect(minutes).toBeGreaterThan(14);
    expect(minutes).toBeLessThanOrEqual(15);
    expect(await attempt(u.password)).toBe("UNAUTHENTICATED");
    // When the lock has passed, the right password works again.
    minute = 30;
    expect(await attempt(u.password)).toBe(200);
  });

  it("answers a locked account exactly like an unknown one and a wrong password", async () => {
    const u = await user();
    await app.ctx.database.db
      .update(users)
      .set({ lockedUntil: new Date(Date.now() + 10 * 60_000) })
      .where(eq(users.id, u.id));
    const answers = [
      await login(u.username, u.password),
      await login(u.username, "wrong-password"),
      await login("nobody-here", u.password),
    ];
    for (const res of answers) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: { code: "UNAUTHENTICATED", message: "用户名或密码错误" } });
      expect(res.headers["retry-after"]).toBeUndefined();
    }
  });

  it("throttles one username after 3 failures from anywhere, existing or not, with Retry-After", async () => {
    const u = await user();
    const from = (username: string, password: string, remoteAddress: string) =>
      app.http.inject({
        method: "POST",
        url: "/api/console/session",
        payload: { username, password },
        remoteAddress,
      });
    for (const name of [u.username, "nobody-at-all"]) {
      for (let i = 0; i < 3; i++)
        expect((await from(name, "bad-password", `203.0.113.${i}`)).statusCode).toBe(401);
      const throttled = await from(name.toUpperCase(), "bad-password", "203.0.113.50");
      expect(throttled.statusCode).toBe(429);
      expect(throttled.headers["retry-after"]).toBe("2");
      expect(throttled.json()).toEqual({
        error: {
          code: "RATE_LIMITED",
          message: "登录尝试过于频繁，请 2 秒后再试",
          details: { retryAfterSeconds: 2 },
        },
      });
      // The right password waits like any other attempt: the throttle does not check passwords.
      // (Asked at once: the wait is 2 s, and a loaded machine may spend that on the next name.)
      if (name === u.username)
        expect((await from(u.username, u.password, "203.0.113.51")).statusCode).toBe(429);
    }
  });

  it("throttles one address spraying many usernames after 10 failures, not the other addresses", async () => {
    const u = await user();
    const from = (username: string, remoteAddress: string, password = "spray-password") =>
      app.http.inject({
        method: "POST",
        url: "/api/console/session",
        payload: { username, password },
        remoteAddress,
      });
    for (let i = 0; i < 10; i++) expect((await from(`victim${i}`, "192.0.2.66")).statusCode).toBe(401);
    const throttled = await from("victim-next", "192.0.2.66");
    expect([throttled.statusCode, throttled.headers["retry-after"]]).toEqual([429, "1"]);
    expect((await from(u.username, "192.0.2.7", u.password)).statusCode).toBe(200);
  });

  it("starts a username's count over after a successful login", async () => {
    const u = await user();
    const throttle = createLoginThrottle();
    const now = new Date();
    const attempt = (password: string) =>
      loginService(app.ctx, {
        input: { username: u.username, password },
        ip: "198.51.100.2",
        now,
        throttle,
      }).then(
        () => "OK",
        (e: AppError) => e.code,
      );
    const outcomes = [];
    for (const password of ["typo-1", "typo-2", u.password, "typo-3", "typo-4", "typo-5"]) {
      outcomes.push(await attempt(password));
    }
    expect(outcomes).toEqual([
      "UNAUTHENTICATED",
      "UNAUTHENTICATED",
      "OK",
      "UNAUTHENTICATED",
      "UNAUTHENTICATED",
      "UNAUTHENTICATED",
    ]);
    expect(await attempt("typo-6")).toBe("RATE_LIMITED");
  });

  it("refuses a state-changing request without the session's CSRF token", async () => {
    const u = await user();
    const client = await loginAs(app, u.username, u.password);
    const body = { name: "新门店", channel: "sandbox", status: "online" };
    const url = `/api/console/orgs/${u.org.id}/tax-accounts`;
    const without = await app.http.inject({
      method: "POST",
      url,
      headers: { cookie: client.cookie },
      payload: body,
    });
    expect(without.statusCode).toBe(403);
    expect(without.json().error.code).toBe("CSRF_INVALID");
    const wrong = await app.http.inject({
      method: "POST",
      url,
      headers: { cookie: client.cookie, "x-csrf-token": "x".repeat(24) },
      payload: body,
    });
    expect(wrong.json().error.code).toBe("CSRF_INVALID");
    expect((await client.post(`/orgs/${u.org.id}/tax-accounts`, body)).statusCode).toBe(201);
  });
});
