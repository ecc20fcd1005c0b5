import fs from "node:fs";
import path from "node:path";
import type { Config } from "./config";
import type { DemoInfo } from "./modules/demo/demo.seed";

export const DEMO_CREDENTIALS_FILE = "demo-credentials.txt";

/**
 * What `piaoma serve` prints once it listens. The demo password and App Secret go only to a
 * terminal: when the output is a pipe (a service manager, `docker logs`, a log collector), it is
 * kept and shipped, so those two are written instead to a file in the data folder readable only by
 * its owner, and the banner names the file.
 */
export function bannerLines(
  config: Config,
  version: string,
  demo: DemoInfo | undefined,
  options: { terminal: boolean; credentialsFile: string },
): string[] {
  const db = config.database.kind === "pglite" ? `PGlite in ${config.database.dataDir}` : "PostgreSQL";
  const lines = [
    "",
    `票码 Piaoma ${version} is running (${db}, roles: ${config.roles.join(",")})`,
    `  控制台 Console       ${config.publicUrl}/admin/`,
  ];
  if (demo) {
    const seeFile = `见 see ${options.credentialsFile}`;
    // A changed password is never printed (seedDemo says so instead of giving it).
    const password = options.terminal || !demo.passwordUnchanged ? demo.password : seeFile;
    const secret = options.terminal ? demo.appSecret : seeFile;
    lines.push(`  演示登录 Demo login   ${demo.username} / ${password}`);
    if (demo.consumerUrl) lines.push(`  扫码页 Consumer page ${demo.consumerUrl}`);
    lines.push(
      `  开放接口 App Key     ${demo.appKey}`,
      `  开放接口 App Secret  ${secret}`,
      `  试用商户 Try it      ${tryIt(demo, options.terminal ? demo.appSecret : "<App Secret>")}`,
    );
  }
  lines.push(
    `  接口文档 API docs    ${config.publicUrl}/docs`,
    `  健康检查 Health      ${config.publicUrl}/health`,
    "",
  );
  return lines;
}

function tryIt(demo: DemoInfo, secret: string): string {
  return `npx piaoma demo-merchant --app-key ${demo.appKey} --app-secret ${secret}`;
}

/** Writes the demo's password and App Secret to `file` with mode 0600 (replacing an older one). */
export function writeDemoCredentials(file: string, demo: DemoInfo): void {
  const text = [
    "# 票码 Piaoma demo credentials, written because the server's output is not a terminal.",
    `演示登录 Demo login   ${demo.username} / ${demo.passwordUnchanged ? demo.password : "(已修改 changed)"}`,
    `开放接口 App Key     ${demo.appKey}`,
    `开放接口 App Secret  ${demo.appSecret}`,
    `试用商户 Try it      ${tryIt(demo, demo.appSecret)}`,
    "",
  ].join("\n");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Removed first: writeFileSync's mode applies only to a file it creates.
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, text, { mode: 0o600 });
}
