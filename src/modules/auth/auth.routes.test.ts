import { eq } from "drizzle-orm";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { loginAs, makeUser } from "../../../test/support/console";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { consoleSessions, users } from "../../platform/db/schema";

describeEachDatabase("console login, session, CSRF and lock-out", (kind) => {
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
    for (let i = 0; i < 4; i++) expect((await login(u.username, "bad-password")).statusCode).toBe(401);
    const fifth = await login(u.username, "bad-password");
    expect(fifth.statusCode).toBe(423);
    expect(fifth.json().error.code).toBe("ACCOUNT_LOCKED");
    const right = await login(u.username, u.password);
    expect(right.statusCode).toBe(423);
    const [row] = await app.ctx.database.db.select().from(users).where(eq(users.id, u.id));
    const minutes = ((row?.lockedUntil?.getTime() ?? 0) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(14);
    expect(minutes).toBeLessThanOrEqual(15);
    // When the lock has passed, the right password works again.
    await app.ctx.database.db
      .update(users)
      .set({ lockedUntil: new Date(Date.now() - 1000) })
      .where(eq(users.id, u.id));
    expect((await login(u.username, u.password)).statusCode).toBe(200);
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
