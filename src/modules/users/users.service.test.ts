import { eq } from "drizzle-orm";
import { afterEach, beforeEach, expect, it } from "vitest";
import { describeEachDatabase, openTestDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { systemActor } from "../../context";
import { verifyPassword } from "../../platform/crypto";
import type { Database } from "../../platform/db/client";
import { userOrganizations, users } from "../../platform/db/schema";
import type { AppError } from "../../platform/errors";
import { findUserOrgIds } from "./users.repository";
import { createUser } from "./users.service";

const actor = systemActor("test");

describeEachDatabase("createUser", (kind) => {
  let database: Database;
  beforeEach(async () => {
    database = await openTestDatabase(kind);
  });
  afterEach(() => database.close());

  it("stores a scrypt hash, never the password, and the user's memberships (organizations by id or tax ID)", async () => {
    const a = await makeOrganization(database);
    const b = await makeOrganization(database);
    const u = await createUser(
      { database },
      {
        actor,
        input: { username: "cashier1", password: "s3cret-pass", role: "operator", orgIds: [a.id, b.taxId] },
      },
    );
    const [row] = await database.db.select().from(users).where(eq(users.id, u.id));
    expect(row?.passwordHash).not.toContain("s3cret-pass");
    expect(await verifyPassword("s3cret-pass", row?.passwordHash ?? "")).toBe(true);
    expect((await findUserOrgIds(database.db, u.id)).sort()).toEqual([a.id, b.id].sort());
    // The role is the membership's, the same in each organization named.
    const memberships = await database.db
      .select()
      .from(userOrganizations)
      .where(eq(userOrganizations.userId, u.id));
    expect(memberships.map((m) => [m.role, m.isActive])).toEqual([
      ["operator", true],
      ["operator", true],
    ]);
  });

  it("refuses a taken username (case-insensitively), a short password and an unknown role", async () => {
    const org = await makeOrganization(database);
    await createUser(
      { database },
      { actor, input: { username: "Finance", password: "12345678", role: "admin", orgIds: [org.id] } },
    );
    const taken = await createUser(
      { database },
      { actor, input: { username: "finance", password: "12345678", role: "viewer", orgIds: [org.id] } },
    ).catch((e: AppError) => e);
    expect((taken as AppError).code).toBe("CONFLICT");
    const bad = await createUser(
      { database },
      { actor, input: { username: "x", password: "short", role: "boss" as "admin", orgIds: [] } },
    ).catch((e: AppError) => e);
    expect((bad as AppError).code).toBe("VALIDATION_FAILED");
    expect(Object.keys((bad as AppError).details?.fields ?? {}).sort()).toEqual([
      "orgIds",
      "password",
      "role",
      "username",
    ]);
    expect(await database.db.select().from(users)).toHaveLength(1);
  });

  it("refuses an organization that does not exist", async () => {
    const e = await createUser(
      { database },
      {
        actor,
        input: { username: "ghost", password: "12345678", role: "viewer", orgIds: ["91440300000000000X"] },
      },
    ).catch((err: AppError) => err);
    expect((e as AppError).code).toBe("NOT_FOUND");
  });
});
