import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKingdeeStandin } from "../../src/standins/kingdee";
import { createNuonuoStandin, DEFAULT_APP } from "../../src/standins/nuonuo/nuonuo-standin";
import type { RunningStandin } from "../../src/standins/server";
import { makeUscc } from "../support/factories";
import { runCli, startStandinProcess } from "../support/processes";

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

describe("the README's 金蝶 demo", () => {
  it("runs as written: `piaoma standin kingdee` prints the README's settings, tax-account:create takes them, 测试连接 is online", async () => {
    const readme = fs.readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const block = /```sh\n(npx piaoma standin kingdee[\s\S]*?)```/.exec(readme)?.[1] ?? "";
    // The command as the shell reads it: continued lines joined (the JSON may span lines inside its quotes).
    const create =
      /PIAOMA_ALLOW_PRIVATE_URLS=true npx piaoma tax-account:create [^']*--settings '[^']+'/.exec(
        block.replace(/\\\n\s*/g, " "),
      )?.[0] ?? "";
    expect(create).toMatch(/^PIAOMA_ALLOW_PRIVATE_URLS=true npx piaoma tax-account:create /);
    const flag = (name: string) => new RegExp(`--${name} (\\S+)`).exec(create)?.[1] ?? "";
    const settings = JSON.parse(/--settings '([^']+)'/.exec(create)?.[1] ?? "null") as Record<string, string>;

    const demoDir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-readme-kingdee-"));
    const demoEnv = { PIAOMA_DATA_DIR: demoDir, PIAOMA_ALLOW_PRIVATE_URLS: "true" };
    const kingdee = await startStandinProcess("kingdee");
    try {
      expect((await runCli(["seed"], demoEnv)).code).toBe(0);
      // The stand-in prints exactly these settings (on the port it was given).
      const origin = new URL(String(kingdee.info.url)).origin;
      const here = { ...settings, baseUrl: settings.baseUrl!.replace("http://127.0.0.1:4300", origin) };
      expect(kingdee.info.settings).toEqual(here);

      const made = await runCli(
        [
          "tax-account:create",
          "--org",
          flag("org"),
          "--name",
          flag("name"),
          "--channel",
          flag("channel"),
          "--settings",
          JSON.stringify(here),
          ...(create.includes(" --default ") ? ["--default"] : []),
        ],
        demoEnv,
      );
      expect(made.code, made.stderr).toBe(0);
      const id = (made.json as { id: string }).id;
      const tested = await runCli(["tax-account:test", "--id", id], demoEnv);
      expect(tested.json).toMatchObject({ id, channel: "kingdee", status: "online" });
    } finally {
      await kingdee.stop();
      fs.rmSync(demoDir, { recursive: true, force: true });
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

describe("piaoma standin", () => {
  it("starts each stand-in, prints where it listens and what to configure, and speaks its service's protocol", async () => {
    const started = await Promise.all(
      ["nuonuo", "kingdee", "wechat", "tianyancha"].map((s) => startStandinProcess(s)),
    );
    try {
      const [nuonuo, kingdee, wechat, tyc] = started.map((s) => s.info);
      expect(nuonuo).toMatchObject({ standin: "nuonuo", settings: { appKey: DEFAULT_APP.appKey } });
      expect(kingdee).toMatchObject({ standin: "kingdee" });

      // WeChat: the printed app gets a token, a made-up secret is refused with WeChat's code.
      expect(wechat).toMatchObject({ standin: "wechat", env: { PIAOMA_WECHAT_API_URL: wechat?.url } });
      const app = wechat?.app as { appId: string; secret: string };
      const token = (secret: string) =>
        fetch(
          `${wechat?.url}/cgi-bin/token?grant_type=client_credential&appid=${app.appId}&secret=${secret}`,
        ).then((r) => r.json() as Promise<Record<string, unknown>>);
      expect(await token(app.secret)).toMatchObject({ access_token: expect.any(String), expires_in: 7200 });
      expect((await token("wrong")).errcode).toBe(40125);

      // 天眼查: the printed token finds the printed companies; no token, no answer.
      expect(tyc).toMatchObject({ standin: "tianyancha", env: { PIAOMA_TIANYANCHA_API_URL: tyc?.url } });
      const search = (auth?: string) =>
        fetch(`${tyc?.url}/services/open/search/2.0?word=${encodeURIComponent("杭州示例")}`, {
          headers: auth ? { Authorization: auth } : {},
        }).then((r) => r.json() as Promise<{ error_code: number; result: { items?: unknown[] } | null }>);
      const found = await search(tyc?.token as string);
      expect(found.error_code).toBe(0);
      expect(found.result?.items?.length).toBe(2);
      expect((await search()).error_code).not.toBe(0);
    } finally {
      await Promise.all(started.map((s) => s.stop()));
    }
  });

  it("names the services it knows when asked for another", async () => {
    const result = await runCli(["standin", "baiwang"], env);
    expect(result.code).not.toBe(0);
    expect(result.json).toMatchObject({ error: { code: "BAD_REQUEST" } });
    expect(String((result.json as { error: { message: string } }).error.message)).toMatch(
      /nuonuo, kingdee, wechat, tianyancha, aliyun-sms, tencent-sms \(got baiwang\)/,
    );
  });
});
