import { afterEach, beforeEach, expect, it } from "vitest";
import { describeEachDatabase, openTestDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { systemActor } from "../../platform/context";
import { Keyring } from "../../platform/crypto";
import type { Database } from "../../platform/db/client";
import { appCredentials } from "../../platform/db/schema";
import { createCredentials, findActiveAppSecret } from "./credentials.service";

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
