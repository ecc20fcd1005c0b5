import { eq } from "drizzle-orm";
import { afterEach, beforeEach, expect, it } from "vitest";
import {
  describeEachDatabase,
  describePostgres,
  openTestDatabase,
  openTestPostgres,
} from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { systemActor } from "../../context";
import { Keyring } from "../../platform/crypto";
import type { Database } from "../../platform/db/client";
import { appCredentials, auditLog } from "../../platform/db/schema";
import { createCredentials, findActiveAppSecret, rotateCredentials } from "./credentials.service";

describeEachDatabase("createCredentials", (kind) => {
  let database: Database;
  const keyring = new Keyring("test-master-secret-000000000000000000");
  beforeEach(async () => {
    database = await openTestDatabase(kind);
  });
  afterEach(() => database.close());

  it("issues a key and a secret, stores the secret only encrypted, and finds it again", async () => {
    const org = await makeOrganization(database);
    const c = await createCredentials({ database, keyring }, { actor: systemActor("test"), org: org.taxId });
    expect(c.appKey).toMatch(/^pk_[0-9a-f]{24}$/);
    expect(c.appSecret.length).toBeGreaterThanOrEqual(43);
    const [row] = await database.db.select().from(appCredentials);
    expect(row?.secretCiphertext).not.toContain(c.appSecret);
    expect(await findActiveAppSecret({ database, keyring }, c.appKey)).toEqual({
      orgId: org.id,
      appSecret: c.appSecret,
    });
    expect(await findActiveAppSecret({ database, keyring }, "pk_unknown")).toBeUndefined();
  });
});

describeEachDatabase("rotateCredentials", (kind) => {
  let database: Database;
  const keyring = new Keyring("test-master-secret-000000000000000000");
  beforeEach(async () => {
    database = await openTestDatabase(kind);
  });
  afterEach(() => database.close());

  it("keeps the old key working by default, revokes it with revokeOld, and refuses a revoked key", async () => {
    const ctx = { database, keyring };
    const actor = systemActor("test");
    const org = await makeOrganization(database);
    const first = await createCredentials(ctx, { actor, org: org.id, label: "收银系统" });
    const second = await rotateCredentials(ctx, { actor, orgId: org.id, appKey: first.appKey });
    expect(await findActiveAppSecret(ctx, first.appKey)).toBeDefined();
    const third = await rotateCredentials(ctx, {
      actor,
      orgId: org.id,
      appKey: second.appKey,
      revokeOld: true,
    });
    expect(await findActiveAppSecret(ctx, second.appKey)).toBeUndefined();
    expect(await findActiveAppSecret(ctx, third.appKey)).toEqual({
      orgId: org.id,
      appSecret: third.appSecret,
    });
    await expect(
      rotateCredentials(ctx, { actor, orgId: org.id, appKey: second.appKey }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const labels = await database.db
      .select({ label: appCredentials.label })
      .from(appCredentials)
      .where(eq(appCredentials.orgId, org.id));
    expect(labels.map((l) => l.label)).toEqual(["收银系统", "收银系统", "收银系统"]);
  });
});

describePostgres("rotateCredentials at once [postgres]", () => {
  it("lets only one of two rotations that revoke the old key cut over, leaving one new key", async () => {
    const database = await openTestPostgres(4);
    try {
      const ctx = { database, keyring: new Keyring("test-master-secret-000000000000000000") };
      const actor = systemActor("test");
      const org = await makeOrganization(database);
      const old = await createCredentials(ctx, { actor, org: org.id });
      const outcomes = await Promise.allSettled(
        [1, 2].map(() =>
          rotateCredentials(ctx, { actor, orgId: org.id, appKey: old.appKey, revokeOld: true }),
        ),
      );
      expect(outcomes.map((o) => o.status).sort()).toEqual(["fulfilled", "rejected"]);
      const keys = await database.db
        .select({ appKey: appCredentials.appKey, status: appCredentials.status })
        .from(appCredentials)
        .where(eq(appCredentials.orgId, org.id));
      expect(keys.filter((k) => k.status === "active")).toHaveLength(1);
      expect(keys).toHaveLength(2);
      const revocations = await database.db
        .select()
        .from(auditLog)
        .where(eq(auditLog.action, "credentials.revoke"));
      expect(revocations.filter((r) => r.entityId === old.appKey)).toHaveLength(1);
    } finally {
      await database.close();
    }
  });
});
