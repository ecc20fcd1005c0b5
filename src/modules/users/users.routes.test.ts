import { eq } from "drizzle-orm";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { users } from "../../platform/db/schema";

describeEachDatabase("users page over HTTP", (kind) => {
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

  it("lists only users sharing an organization, and creates users in the admin's organizations only", async () => {
    await makeUser(app.ctx.database, { username: "only_in_b", role: "operator", orgIds: [orgB.id] });
    const created = await admin.post("/users", {
      username: "cashier1",
      password: "cashier-pass",
      role: "operator",
      displayName: "收银员",
      orgIds: [orgA.id],
    });
    expect(created.statusCode).toBe(201);
    const names = (await admin.get("/users")).json().map((u: { username: string }) => u.username);
    expect(names).toContain("cashier1");
    expect(names).not.toContain("only_in_b");
    const elsewhere = await admin.post("/users", {
      username: "sneaky",
      password: "sneaky-pass",
      role: "admin",
      orgIds: [orgB.id],
    });
    expect([elsewhere.statusCode, Object.keys(elsewhere.json().error.details.fields)]).toEqual([
      422,
      ["orgIds[0]"],
    ]);
    const bad = await admin.post("/users", { username: "a", password: "short", role: "boss", orgIds: [] });
    expect(Object.keys(bad.json().error.details.fields).sort()).toEqual([
      "orgIds",
      "password",
      "role",
      "username",
    ]);
  });

  it("changes role, disables (ending the user's sessions), unlocks, and protects the admin from demoting themselves", async () => {
    const u = await makeUser(app.ctx.database, { role: "operator", orgIds: [orgA.id] });
    const client = await loginAs(app, u.username, u.password);
    const viewerNow = await admin.put(`/users/${u.id}`, {
      role: "viewer",
      isActive: true,
      orgIds: [orgA.id],
    });
    expect(viewerNow.json()).toMatchObject({ role: "viewer", isActive: true });
    expect((await client.get("/session")).json().user.role).toBe("viewer");
    await admin.put(`/users/${u.id}`, { role: "viewer", isActive: false, orgIds: [orgA.id] });
    expect((await client.get("/session")).statusCode).toBe(401);

    await app.ctx.database.db
      .update(users)
      .set({ lockedUntil: new Date(Date.now() + 600_000) })
      .where(eq(users.id, u.id));
    expect(
      (await admin.get("/users")).json().find((x: { id: string }) => x.id === u.id).lockedUntil,
    ).not.toBeNull();
    const unlocked = await admin.put(`/users/${u.id}`, {
      role: "viewer",
      isActive: true,
      orgIds: [orgA.id],
      unlock: true,
    });
    expect(unlocked.json().lockedUntil).toBeNull();

    const self = await admin.put(`/users/${adminId}`, { role: "viewer", isActive: false, orgIds: [orgA.id] });
    expect(Object.keys(self.json().error.details.fields).sort()).toEqual(["isActive", "role"]);
  });

  it("hides another organization's user (404) and refuses non-admins (403)", async () => {
    const other = await makeUser(app.ctx.database, { role: "operator", orgIds: [orgB.id] });
    const res = await admin.put(`/users/${other.id}`, { role: "admin", isActive: true, orgIds: [orgA.id] });
    expect([res.statusCode, res.json().error.code]).toEqual([404, "NOT_FOUND"]);
    const op = await makeUser(app.ctx.database, { role: "operator", orgIds: [orgA.id] });
    const opClient = await loginAs(app, op.username, op.password);
    expect((await opClient.get("/users")).statusCode).toBe(403);
    expect((await opClient.get(`/orgs/${orgA.id}/audit`)).statusCode).toBe(403);
  });
});
