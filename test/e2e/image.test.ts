import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { clonePostgresTemplate, describePostgres } from "../support/db";
import { repoRoot, type ServerProcess, startServer } from "../support/processes";

const run = promisify(execFile);

/**
 * The container image without a container engine: the Dockerfile's build stage is
 * `scripts/build-image-fs.sh /image` (test/deploy/compose.test.ts holds it to that), so this runs the
 * same script into a temporary folder, checks what the tree holds, starts it as the image's CMD does
 * (production, its own node_modules) and asks it the image's HEALTHCHECK.
 */
describePostgres("the container image's file tree", () => {
  let tree: string;
  let dataDir: string;
  let db: { url: string; drop(): Promise<void> };
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    tree = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-image-"));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-image-data-"));
    db = await clonePostgresTemplate();
    await run("bash", [path.join(repoRoot, "scripts/build-image-fs.sh"), tree], { maxBuffer: 16 << 20 });
  }, 600_000);
  afterAll(async () => {
    await server?.stop("SIGKILL");
    await db?.drop();
    for (const dir of [tree, dataDir]) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("holds the built pages, the program and production dependencies only", () => {
    expect(fs.existsSync(path.join(tree, "dist/web/admin/index.html"))).toBe(true);
    expect(fs.existsSync(path.join(tree, "dist/web/scan/index.html"))).toBe(true);
    expect(fs.existsSync(path.join(tree, "dist/web/my/index.html"))).toBe(true);
    // A production build, compressed copies beside its scripts — in the image's own folder (the build
    // once wrote both into the checkout's dist/web instead, under the test runner's NODE_ENV).
    expect(JSON.parse(fs.readFileSync(path.join(tree, "dist/web/build.json"), "utf8"))).toEqual({
      production: true,
    });
    expect(fs.readdirSync(path.join(tree, "dist/web/assets")).some((f) => f.endsWith(".js.br"))).toBe(true);
    expect(fs.existsSync(path.join(tree, "src/main.ts"))).toBe(true);
    expect(fs.existsSync(path.join(tree, "drizzle"))).toBe(true);
    // No page sources, no tests, no build or test tools.
    expect(fs.existsSync(path.join(tree, "web"))).toBe(false);
    const tests = fs.readdirSync(path.join(tree, "src"), { recursive: true, encoding: "utf8" });
    expect(tests.filter((f) => f.endsWith(".test.ts"))).toEqual([]);
    const installed = fs.readdirSync(path.join(tree, "node_modules"));
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8"));
    // (Some dev dependencies are also production ones' dependencies: dayjs, yaml.)
    const toolsAndPageLibraries = ["vite", "vitest", "typescript", "drizzle-kit", "playwright-core"];
    toolsAndPageLibraries.push("antd", "react", "react-dom", "echarts", "@vitejs", "@biomejs", "@20minutes");
    for (const dev of toolsAndPageLibraries) expect(installed, dev).not.toContain(dev);
    for (const dep of Object.keys(pkg.dependencies)) {
      expect(fs.existsSync(path.join(tree, "node_modules", dep)), dep).toBe(true);
    }
  });

  it("starts as the image's CMD does, answers its HEALTHCHECK, and stops cleanly on SIGTERM", async () => {
    server = await startServer(
      {
        NODE_ENV: "production",
        DATABASE_URL: db.url,
        PIAOMA_SECRET: "image-secret-image-secret-image-secret-00",
        PIAOMA_DATA_DIR: dataDir,
      },
      120_000,
      [],
      tree,
    );
    const port = new URL(server.baseUrl).port;
    const check = await run(process.execPath, [path.join(tree, "bin/healthcheck.mjs")], {
      cwd: tree,
      env: { ...process.env, PORT: port },
    }).then(
      () => 0,
      (e: { code?: number }) => e.code ?? 1,
    );
    expect(check).toBe(0);
    const admin = await fetch(`${server.baseUrl}/admin/`);
    expect(admin.status).toBe(200);
    expect(await admin.text()).toMatch(/<script type="module"[^>]+\/assets\//);
    expect(await server.stop("SIGTERM")).toBe(0);
    // Stopped: the HEALTHCHECK now fails.
    const after = await run(process.execPath, [path.join(tree, "bin/healthcheck.mjs")], {
      env: { ...process.env, PORT: port },
    }).then(
      () => 0,
      (e: { code?: number }) => e.code ?? 1,
    );
    expect(after).toBe(1);
  }, 180_000);
});
