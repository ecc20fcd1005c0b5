import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKingdeeStandin } from "../../src/standins/kingdee";
import { createNuonuoStandin, DEFAULT_APP } from "../../src/standins/nuonuo/nuonuo-standin";
import type { RunningStandin } from "../../src/standins/server";
import { makeUscc } from "../support/factories";
import { runCli } from "../support/processes";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-cli-channels-"));
const env = { PIAOMA_DATA_DIR: dataDir, PIAOMA_ALLOW_PRIVATE_URLS: "false" };
let standin: RunningStandin;
beforeAll(async () => {
  standin = await createNuonuoStandin().start();
});
afterAll(async () => {
  await standin.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("piaoma tax-account commands", () => {
  it("creates an organization with its drawer and a 诺诺 account, refuses bad settings by name, tests the connection", async () => {
    const taxId = makeUscc();
    const org = await runCli(
      ["org:create", "--name", "通道测试店", "--tax-id", taxId, "--drawer", "王五"],
      env,
    );
    expect(org.code, org.stderr).toBe(0);

    const settings = {
      apiUrl: `${standin.url}/open/v1/services`,
      tokenUrl: `${standin.url}/accessToken`,
      appKey: DEFAULT_APP.appKey,
      appSecret: DEFAULT_APP.appSecret,
    };
    const create = (extraEnv: Record<string, string>, s: unknown) =>
      runCli(
        [
          "tax-account:create",
          "--org",
          taxId,
          "--name",
          "诺诺",
          "--channel",
          "nuonuo",
          "--settings",
          JSON.stringify(s),
          "--default",
        ],
        { ...env, ...extraEnv },
      );

    const refused = await create({}, settings);
    expect(refused.code).toBe(1);
    expect(refused.json).toMatchObject({
      error: {
        code: "VALIDATION_FAILED",
        details: { fields: { "settings.apiUrl": expect.stringContaining("内网") } },
      },
    });
    const missing = await create({}, { appKey: "k" });
    expect(missing.json).toMatchObject({
      error: { details: { fields: { "settings.appSecret": "缺少设置项 appSecret" } } },
    });

    const created = await create({ PIAOMA_ALLOW_PRIVATE_URLS: "true" }, settings);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json).toEqual({ id: expect.stringMatching(/^tba_/) });
    expect(created.stdout + created.stderr).not.toContain(DEFAULT_APP.appSecret);

    const id = (created.json as { id: string }).id;
    const tested = await runCli(["tax-account:test", "--id", id], {
      ...env,
      PIAOMA_ALLOW_PRIVATE_URLS: "true",
    });
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.json).toMatchObject({ id, channel: "nuonuo", status: "online", message: "连接正常" });
    expect(tested.stdout).not.toContain(DEFAULT_APP.appSecret);

    // 金蝶: the same commands; 测试连接 is the account check of the organization's tax ID.
    const kingdee = await startKingdeeStandin({
      tenant: { encryption: "aes", aesPassword: "cli-aes-password" },
    });
    try {
      const kd = (s: unknown) =>
        runCli(
          [
            "tax-account:create",
            "--org",
            taxId,
            "--name",
            "金蝶",
            "--channel",
            "kingdee",
            "--settings",
            JSON.stringify(s),
          ],
          { ...env, PIAOMA_ALLOW_PRIVATE_URLS: "true" },
        );
      const made = await kd(kingdee.adapterSettings());
      expect(made.code, made.stderr).toBe(0);
      const kdId = (made.json as { id: string }).id;
      const kdTested = await runCli(["tax-account:test", "--id", kdId], {
        ...env,
        PIAOMA_ALLOW_PRIVATE_URLS: "true",
      });
      expect(kdTested.json).toMatchObject({ id: kdId, channel: "kingdee", status: "online" });
      expect(kdTested.stdout + made.stdout).not.toContain("cli-aes-password");
    } finally {
      await kingdee.close();
    }
  }, 240_000);
});

describe("piaoma sandbox:confirm", () => {
  it("answers a 确认单 number it does not know with NOT_FOUND (the answer itself: src/modules/invoices/red-confirmation.test.ts)", async () => {
    const res = await runCli(["sandbox:confirm", "--number", "44030026120300000001", "--refuse"], env);
    expect(res.code).toBe(1);
    expect(res.json).toMatchObject({ error: { code: "NOT_FOUND", message: "红字确认单不存在" } });
  });
});
