import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bannerLines, writeDemoCredentials } from "./banner";
import { loadConfig } from "./config";
import type { DemoInfo } from "./modules/demo/demo.seed";

const config = loadConfig({ PIAOMA_DATA_DIR: "/srv/piaoma/data" }, "/srv/piaoma");
const demo: DemoInfo = {
  orgId: "org_1",
  taxId: "91440300PMDEM0017W",
  username: "demo",
  password: "piaoma-demo",
  passwordUnchanged: true,
  consumerUrl: "http://127.0.0.1:3000/s/abc",
  created: true,
  appKey: "pk_demo",
  appSecret: "sk-very-secret-value",
};
const file = "/srv/piaoma/data/demo-credentials.txt";

describe("the start banner", () => {
  it("shows the demo password and App Secret on a terminal", () => {
    const text = bannerLines(config, "1.0.0", demo, { terminal: true, credentialsFile: file }).join("\n");
    expect(text).toContain("演示登录 Demo login   demo / piaoma-demo");
    expect(text).toContain("开放接口 App Secret  sk-very-secret-value");
    expect(text).toContain("--app-secret sk-very-secret-value");
  });

  it("names the credentials file instead when the output is not a terminal (a log)", () => {
    const text = bannerLines(config, "1.0.0", demo, { terminal: false, credentialsFile: file }).join("\n");
    expect(text).not.toContain("piaoma-demo");
    expect(text).not.toContain("sk-very-secret-value");
    expect(text).toContain(`演示登录 Demo login   demo / 见 see ${file}`);
    expect(text).toContain(`开放接口 App Secret  见 see ${file}`);
    expect(text).toContain("开放接口 App Key     pk_demo");
    expect(text).toContain("扫码页 Consumer page http://127.0.0.1:3000/s/abc");
  });

  it("never prints a changed password, terminal or not", () => {
    const changed = { ...demo, password: "(已修改 changed)", passwordUnchanged: false };
    for (const terminal of [true, false]) {
      const text = bannerLines(config, "1.0.0", changed, { terminal, credentialsFile: file }).join("\n");
      expect(text).toContain("demo / (已修改 changed)");
    }
  });

  it("writes the credentials file readable by its owner only, replacing a looser one", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-banner-"));
    try {
      const target = path.join(dir, "data", "demo-credentials.txt");
      fs.mkdirSync(path.dirname(target));
      fs.writeFileSync(target, "old", { mode: 0o644 });
      writeDemoCredentials(target, demo);
      expect(fs.statSync(target).mode & 0o777).toBe(0o600);
      const text = fs.readFileSync(target, "utf8");
      expect(text).toContain("demo / piaoma-demo");
      expect(text).toContain("开放接口 App Secret  sk-very-secret-value");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
