import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { Keyring } from "../../src/platform/crypto";
import { openPglite } from "../../src/platform/db/client";
import { appCredentials } from "../../src/platform/db/schema";
import { runCli } from "../support/processes";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-rotate-"));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const OLD = "old-secret-old-secret-old-secret-old-00";
const NEW = "new-secret-new-secret-new-secret-new-00";

it("piaoma secret:rotate re-encrypts the stored App Secrets under PIAOMA_NEW_SECRET (the cases: secret-rotate.test.ts)", async () => {
  const env = { PIAOMA_DATA_DIR: dataDir, PIAOMA_SECRET: OLD, PIAOMA_DEMO: "false" };
  const org = await runCli(
    ["org:create", "--name", "轮换测试有限公司", "--tax-id", "91440300PMDEM0017W"],
    env,
  );
  expect(org.code, org.stderr).toBe(0);
  const created = await runCli(["credentials:create", "--org", "91440300PMDEM0017W"], env);
  expect(created.code, created.stderr).toBe(0);
  const { appSecret } = created.json as { appSecret: string };

  const rotated = await runCli(["secret:rotate"], { ...env, PIAOMA_NEW_SECRET: NEW });
  expect(rotated.code, rotated.stderr).toBe(0);
  expect(rotated.json).toMatchObject({ reencrypted: 1, alreadyNew: 0 });
  const database = await openPglite(path.join(dataDir, "pglite"));
  try {
    const [row] = await database.db.select().from(appCredentials);
    expect(new Keyring(NEW).decrypt(row!.secretCiphertext)).toBe(appSecret);
    expect(() => new Keyring(OLD).decrypt(row!.secretCiphertext)).toThrow();
  } finally {
    await database.close();
  }
}, 400_000);
