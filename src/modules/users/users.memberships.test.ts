import { and, eq } from "drizzle-orm";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { describeOneDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { appCredentials, auditLog, userOrganizations } from "../../platform/db/schema";

/**
 * The takeover of a shared user (issue 13): organizations A and B, each with its own admin, and S,
 * viewer in A and operator in B. Whatever B's admin does to S, S's power in A stays what A's admins
 * gave it; A's admin can remove S from A on its own.
 */
describeOneDatabase("a user shared by two organizations", (kind) => {
  let app: TestApp;
  let orgA: { id: string; name: string };
  let orgB: { id: string; name: string };
  let adminA: ConsoleClient;
  let adminB: ConsoleClient;
  let s: { id: string; username: string; password: string };

  beforeEach(async () => {
    app = await createTestApp(kind, { startJobs: false });
    orgA = await makeOrganization(app.ctx.database, { name: "甲方门店" });
    orgB = await makeOrganization(app.ctx.database, { name: "乙方门店" });
    const a = await makeUser(app.ctx.database, { role: "admin", orgIds: [orgA.id] });
    const b = await makeUser(app.ctx.database, { role: "admin", orgIds: [orgB.id] });
    adminA = await loginAs(app, a.username, a.password);
    adminB = await loginAs(app, b.username, b.password);
    s = await makeUser(app.ctx.database, {
      role: "viewer",
      orgIds: [orgA.id, orgB.id],
      roleIn: { [orgB.id]: "operator" },
    });
  });
  afterEach(() => app.close());

  const membershipIn = async (orgId: string) => {
    const [row] = await app.ctx.database.db
      .select()
      .from(userOrganizations)
      .where(and(eq(userOrganizations.userId, s.id), eq(userOrganizations.orgId, orgId)));
    return row && { role: row.role, isActive: row.isActive };
  };
  const login = (username: string, password: string) =>
    app.http.inject({ method: "POST", url: "/api/console/session", payload: { username, password } });

  it("B's admin sees only S's membership in B, and can change neither S's role in A nor its password or name", async () => {
    const listed = (await adminB.get("/users")).json();
    const seen = listed.find((u: { id: string }) => u.id === s.id);
    expect(seen).toMatchObject({
      memberships: [{ orgId: orgB.id, role: "operator", isActive: true }],
      canEditAccount: false,
    });
    expect(JSON.stringify(listed)).not.toContain(orgA.id);

    const promote = await adminB.put(`/users/${s.id}`, {
      memberships: [
        { orgId: orgA.id, role: "admin", isActive: true },
        { orgId: orgB.id, role: "operator", isActive: true },
      ],
    });
    expect([promote.statusCode, promote.json().error.details.fields]).toEqual([
      422,
      { "memberships[0].orgId": "组织不存在或无权分配" },
    ]);
    const password = await adminB.put(`/users/${s.id}`, {
      memberships: [{ orgId: orgB.id, role: "admin", isActive: true }],
      password: "taken-over-1",
    });
    expect([password.statusCode, password.json().error.code]).toEqual([403, "FORBIDDEN"]);
    expect(password.json().error.message).toContain("只有管理其全部组织的管理员才能修改其密码");
    const name = await adminB.put(`/users/${s.id}`, {
      memberships: [{ orgId: orgB.id, role: "operator", isActive: true }],
      displayName: "新名字",
    });
    expect(name.statusCode).toBe(403);
    // Nothing of the refused requests happened: not even the role in B sent along with the password.
    expect(await membershipIn(orgA.id)).toEqual({ role: "viewer", isActive: true });
    expect(await membershipIn(orgB.id)).toEqual({ role: "operator", isActive: true });
    expect((await login(s.username, "taken-over-1")).statusCode).toBe(401);
    expect((await login(s.username, s.password)).statusCode).toBe(200);
  });

  it("made admin in B by B's admin, S administers B but cannot create an App Key for A nor add anyone to A", async () => {
    const promoted = await adminB.put(`/users/${s.id}`, {
      memberships: [{ orgId: orgB.id, role: "admin", isActive: true }],
    });
    expect(promoted.json().memberships).toEqual([{ orgId: orgB.id, role: "admin", isActive: true }]);
    expect(await membershipIn(orgA.id)).toEqual({ role: "viewer", isActive: true });

    const client = await loginAs(app, s.username, s.password);
    const session = (await client.get("/session")).json();
    expect(session.organizations.map((o: { id: string; role: string }) => [o.id, o.role])).toEqual([
      [orgA.id, "viewer"],
      [orgB.id, "admin"],
    ]);
    expect((await client.post(`/orgs/${orgB.id}/credentials`, { label: "乙" })).statusCode).toBe(201);
    const keyForA = await client.post(`/orgs/${orgA.id}/credentials`, { label: "甲" });
    expect([keyForA.statusCode, keyForA.json().error.code]).toEqual([403, "FORBIDDEN"]);
    expect(
      await app.ctx.database.db.select().from(appCredentials).where(eq(appCredentials.orgId, orgA.id)),
    ).toEqual([]);
    expect((await client.get(`/orgs/${orgA.id}/audit`)).statusCode).toBe(403);

    // Adding anyone to A — a new user, itself, or A's own users — is out of its reach.
    const newInA = await client.post("/users", {
      username: "planted",
      password: "planted-pass",
      memberships: [{ orgId: orgA.id, role: "admin" }],
    });
    expect(Object.keys(newInA.json().error.details.fields)).toEqual(["memberships[0].orgId"]);
    const selfInA = await client.put(`/users/${s.id}`, {
      memberships: [
        { orgId: orgA.id, role: "admin", isActive: true },
        { orgId: orgB.id, role: "admin", isActive: true },
      ],
    });
    expect(selfInA.statusCode).toBe(422);
    const users = (await client.get("/users")).json() as Array<{ id: string; memberships: unknown[] }>;
    expect(JSON.stringify(users)).not.toContain(orgA.id);
    expect(await membershipIn(orgA.id)).toEqual({ role: "viewer", isActive: true });
  });

  it("A's admin removes S from A alone; S keeps B, and with no active membership left cannot log in", async () => {
    const client = await loginAs(app, s.username, s.password);
    const removed = await adminA.put(`/users/${s.id}`, { memberships: [] });
    expect(removed.json()).toMatchObject({ id: s.id, memberships: [] });
    expect(await membershipIn(orgA.id)).toBeUndefined();
    expect(await membershipIn(orgB.id)).toEqual({ role: "operator", isActive: true });
    expect((await client.get("/session")).json().organizations.map((o: { id: string }) => o.id)).toEqual([
      orgB.id,
    ]);
    expect((await client.get(`/orgs/${orgA.id}/config`)).statusCode).toBe(404);
    expect((await adminA.get("/users")).json().map((u: { id: string }) => u.id)).not.toContain(s.id);
    const [entry] = await app.ctx.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.orgId, orgA.id), eq(auditLog.action, "user.remove")));
    expect(entry).toMatchObject({ entityId: s.id });

    // B disables S's last membership: its session ends and it logs in no more, like a wrong password.
    await adminB.put(`/users/${s.id}`, {
      memberships: [{ orgId: orgB.id, role: "operator", isActive: false }],
    });
    expect((await client.get("/session")).statusCode).toBe(401);
    const refused = await login(s.username, s.password);
    expect([refused.statusCode, refused.json().error]).toEqual([
      401,
      expect.objectContaining({ code: "UNAUTHENTICATED", message: "用户名或密码错误" }),
    ]);
  });

  it("a disabled membership hides its organization from S, in the session and in the views across organizations", async () => {
    const client = await loginAs(app, s.username, s.password);
    expect((await client.get("/stats")).json().orgIds.sort()).toEqual([orgA.id, orgB.id].sort());
    const disabled = await adminA.put(`/users/${s.id}`, {
      memberships: [{ orgId: orgA.id, role: "viewer", isActive: false }],
    });
    expect(disabled.json().memberships).toEqual([{ orgId: orgA.id, role: "viewer", isActive: false }]);
    const session = (await client.get("/session")).json();
    expect(session.organizations.map((o: { id: string }) => o.id)).toEqual([orgB.id]);
    expect((await client.get(`/orgs/${orgA.id}/config`)).statusCode).toBe(404);
    expect((await client.get("/stats")).json().orgIds).toEqual([orgB.id]);
    expect((await client.get(`/stats?orgId=${orgA.id}`)).statusCode).toBe(404);
    // A's admin still sees S (to enable it again); B's admin still sees nothing of A.
    expect((await adminA.get("/users")).json().map((u: { id: string }) => u.id)).toContain(s.id);
    expect(JSON.stringify((await adminB.get("/users")).json())).not.toContain(orgA.id);
  });

  it("an admin of every organization of S may set its password, which ends S's sessions", async () => {
    const both = await makeUser(app.ctx.database, { role: "admin", orgIds: [orgA.id, orgB.id] });
    const adminAB = await loginAs(app, both.username, both.password);
    const client = await loginAs(app, s.username, s.password);
    const seen = (await adminAB.get("/users")).json().find((u: { id: string }) => u.id === s.id);
    expect(seen.canEditAccount).toBe(true);
    const res = await adminAB.put(`/users/${s.id}`, {
      memberships: seen.memberships,
      displayName: "共享用户",
      password: "reset-by-admin",
    });
    expect(res.json()).toMatchObject({ displayName: "共享用户" });
    expect((await client.get("/session")).statusCode).toBe(401);
    expect((await login(s.username, "reset-by-admin")).statusCode).toBe(200);
    const entries = await app.ctx.database.db.select().from(auditLog).where(eq(auditLog.entityId, s.id));
    expect(entries.filter((e) => e.action === "user.update").map((e) => [e.orgId, e.details])).toEqual(
      expect.arrayContaining([
        [orgA.id, expect.objectContaining({ passwordChanged: true })],
        [orgB.id, expect.objectContaining({ passwordChanged: true })],
      ]),
    );
  });

  it("S changes its own password (修改密码): current password required, other sessions end", async () => {
    const client = await loginAs(app, s.username, s.password);
    const other = await loginAs(app, s.username, s.password);
    const wrong = await client.put("/session/password", {
      currentPassword: "not-my-password",
      newPassword: "brand-new-pass",
    });
    expect([wrong.statusCode, wrong.json().error.details.fields]).toEqual([
      422,
      { currentPassword: "当前密码不正确" },
    ]);
    const short = await client.put("/session/password", {
      currentPassword: s.password,
      newPassword: "short",
    });
    expect(short.json().error.details.fields).toEqual({ newPassword: "新密码至少 8 位" });
    const empty = await client.put("/session/password", {});
    expect(empty.json().error.details.fields).toEqual({
      currentPassword: "请输入当前密码",
      newPassword: "请输入新密码",
    });
    const noCsrf = await app.http.inject({
      method: "PUT",
      url: "/api/console/session/password",
      headers: { cookie: client.cookie },
      payload: { currentPassword: s.password, newPassword: "brand-new-pass" },
    });
    expect(noCsrf.statusCode).toBe(403);

    const ok = await client.put("/session/password", {
      currentPassword: s.password,
      newPassword: "brand-new-pass",
    });
    expect(ok.statusCode).toBe(204);
    expect((await client.get("/session")).statusCode).toBe(200);
    expect((await other.get("/session")).statusCode).toBe(401);
    expect((await login(s.username, s.password)).statusCode).toBe(401);
    expect((await login(s.username, "brand-new-pass")).statusCode).toBe(200);
    const entries = await app.ctx.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.entityId, s.id), eq(auditLog.action, "user.password")));
    expect(entries.map((e) => e.orgId).sort()).toEqual([orgA.id, orgB.id].sort());
  });

  it("wrong current passwords count towards the lock-out", async () => {
    const client = await loginAs(app, s.username, s.password);
    const attempt = () =>
      client.put("/session/password", { currentPassword: "guess-guess", newPassword: "brand-new-pass" });
    for (let i = 0; i < 4; i++) expect((await attempt()).statusCode).toBe(422);
    expect((await attempt()).json().error.code).toBe("ACCOUNT_LOCKED");
    const right = await client.put("/session/password", {
      currentPassword: s.password,
      newPassword: "brand-new-pass",
    });
    expect(right.statusCode).toBe(423);
    // At the login a locked account answers like a wrong password (no account enumeration).
    const locked = await login(s.username, s.password);
    expect(locked.statusCode).toBe(401);
    expect(locked.json().error.code).toBe("UNAUTHENTICATED");
  });
});
