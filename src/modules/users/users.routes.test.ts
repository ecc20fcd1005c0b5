import { eq } from "drizzle-orm";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { describeOneDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { users } from "../../platform/db/schema";

describeOneDatabase("users page over HTTP", (kind) => {
  let app: TestApp;
  let orgA: { id: string };
  let orgB: { id: string };
  let admin: ConsoleClient;
  let adminId: string;

  beforeEach(async () => {
    app = await createTestApp(kind);
    orgA = await makeOrganization(app.ctx.database);
    orgB = await makeOrganization(app.ctx.database);
    const a = await makeUser(app.ctx.database, { role: "admin", orgIds: [orgA.id] });
    adminId = a.id;
    admin = await loginAs(app, a.username, a.password);
  });
  afterEach(() => app.close());

  it("lists only users of the admin's organizations, and creates users in those only, with a role in each", async () => {
    await makeUser(app.ctx.database, { username: "only_in_b", role: "operator", orgIds: [orgB.id] });
    const created = await admin.post("/users", {
      username: "cashier1",
      password: "cashier-pass",
      displayName: "收银员",
      memberships: [{ orgId: orgA.id, role: "operator" }],
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      username: "cashier1",
      memberships: [{ orgId: orgA.id, role: "operator", isActive: true }],
      canEditAccount: true,
    });
    const names = (await admin.get("/users")).json().map((u: { username: string }) => u.username);
    expect(names).toContain("cashier1");
    expect(names).not.toContain("only_in_b");
    const elsewhere = await admin.post("/users", {
      username: "sneaky",
      password: "sneaky-pass",
      memberships: [{ orgId: orgB.id, role: "admin" }],
    });
    expect([elsewhere.statusCode, Object.keys(elsewhere.json().error.details.fields)]).toEqual([
      422,
      ["memberships[0].orgId"],
    ]);
    const twice = await admin.post("/users", {
      username: "twice",
      password: "twice-pass",
      memberships: [
        { orgId: orgA.id, role: "viewer" },
        { orgId: orgA.id, role: "admin" },
      ],
    });
    expect(Object.keys(twice.json().error.details.fields)).toEqual(["memberships[1].orgId"]);
    const bad = await admin.post("/users", {
      username: "a",
      password: "short",
      memberships: [{ orgId: orgA.id, role: "boss" }],
    });
    expect(Object.keys(bad.json().error.details.fields).sort()).toEqual([
      "memberships[0].role",
      "password",
      "username",
    ]);
    const none = await admin.post("/users", { username: "nobody", password: "nobody-pass", memberships: [] });
    expect(none.json().error.details.fields).toEqual({ memberships: "至少属于一个组织" });
    expect((await admin.get("/users")).json()).toHaveLength(2);
  });

  it("changes the role, disables (ending the user's sessions), unlocks, and keeps an admin in the organization", async () => {
    const u = await makeUser(app.ctx.database, { role: "operator", orgIds: [orgA.id] });
    const client = await loginAs(app, u.username, u.password);
    const viewerNow = await admin.put(`/users/${u.id}`, {
      memberships: [{ orgId: orgA.id, role: "viewer", isActive: true }],
    });
    expect(viewerNow.json().memberships).toEqual([{ orgId: orgA.id, role: "viewer", isActive: true }]);
    expect((await client.get("/session")).json().organizations).toEqual([
      expect.objectContaining({ id: orgA.id, role: "viewer" }),
    ]);
    await admin.put(`/users/${u.id}`, { memberships: [{ orgId: orgA.id, role: "viewer", isActive: false }] });
    expect((await client.get("/session")).statusCode).toBe(401);

    await app.ctx.database.db
      .update(users)
      .set({ lockedUntil: new Date(Date.now() + 600_000) })
      .where(eq(users.id, u.id));
    expect(
      (await admin.get("/users")).json().find((x: { id: string }) => x.id === u.id).lockedUntil,
    ).not.toBeNull();
    const unlocked = await admin.put(`/users/${u.id}`, {
      memberships: [{ orgId: orgA.id, role: "viewer", isActive: true }],
      unlock: true,
    });
    expect(unlocked.json().lockedUntil).toBeNull();

    // The only admin of A can neither step down nor leave A.
    const self = await admin.put(`/users/${adminId}`, {
      memberships: [{ orgId: orgA.id, role: "viewer", isActive: false }],
    });
    expect(Object.keys(self.json().error.details.fields).sort()).toEqual([
      "memberships[0].isActive",
      "memberships[0].role",
    ]);
    const leave = await admin.put(`/users/${adminId}`, { memberships: [] });
    expect(Object.keys(leave.json().error.details.fields)).toEqual(["memberships"]);
    // With a second active admin in A, it may.
    await makeUser(app.ctx.database, { role: "admin", orgIds: [orgA.id] });
    const stepDown = await admin.put(`/users/${adminId}`, {
      memberships: [{ orgId: orgA.id, role: "operator", isActive: true }],
    });
    expect(stepDown.json().memberships).toEqual([{ orgId: orgA.id, role: "operator", isActive: true }]);
    expect((await admin.get("/users")).statusCode).toBe(403);
  });

  it("hides another organization's user (404) and refuses non-admins (403)", async () => {
    const other = await makeUser(app.ctx.database, { role: "operator", orgIds: [orgB.id] });
    const res = await admin.put(`/users/${other.id}`, {
      memberships: [{ orgId: orgA.id, role: "admin", isActive: true }],
    });
    expect([res.statusCode, res.json().error.code]).toEqual([404, "NOT_FOUND"]);
    const op = await makeUser(app.ctx.database, { role: "operator", orgIds: [orgA.id] });
    const opClient = await loginAs(app, op.username, op.password);
    expect((await opClient.get("/users")).statusCode).toBe(403);
    expect((await opClient.get(`/orgs/${orgA.id}/audit`)).statusCode).toBe(403);
  });
});
