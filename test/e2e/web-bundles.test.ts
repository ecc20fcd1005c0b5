import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { webBuildDir } from "../../src/platform/web";

/**
 * The pages read the API's types from the server's zod schemas (web/*\/api-types.ts), as types only:
 * the built scripts must hold none of zod (web/server-imports.test.ts checks the sources; this
 * checks what the browser gets). zod keeps its internals on `_zod` and names its error class, and a
 * minifier renames neither.
 */
describe("the built pages carry no zod", () => {
  const assets = path.join(webBuildDir, "assets");
  const scripts = fs.readdirSync(assets).filter((f) => f.endsWith(".js"));

  it("finds the console's and the consumer page's scripts", () => {
    expect(scripts.some((f) => f.startsWith("admin-"))).toBe(true);
    expect(scripts.some((f) => f.startsWith("scan-"))).toBe(true);
  });

  it.each(scripts)("%s", (file) => {
    const text = fs.readFileSync(path.join(assets, file), "utf8");
    // The matches only, not the whole minified file, when it fails.
    expect(text.match(/\b_zod\b|ZodError/g) ?? []).toEqual([]);
  });
});

/**
 * The console is served as a production build whatever built it (issue 20 item 4): the test setup
 * runs under NODE_ENV=test, which once gave React's development build. React's development build
 * carries its warnings' text, which the production one drops; ECharts' map component is a part the
 * statistics page never draws, so its absence shows the tree-shaken import (echart.tsx).
 */
describe("the console's build is a production one with only the ECharts parts in use", () => {
  const assets = path.join(webBuildDir, "assets");
  const scripts = fs.readdirSync(assets).filter((f) => f.endsWith(".js"));
  const text = (f: string) => fs.readFileSync(path.join(assets, f), "utf8");

  it("records a production build", () => {
    expect(JSON.parse(fs.readFileSync(path.join(webBuildDir, "build.json"), "utf8"))).toEqual({
      production: true,
    });
  });

  it("holds no React development build", () => {
    expect(scripts.filter((f) => text(f).includes('unique "key" prop'))).toEqual([]);
  });

  it("holds no ECharts part the statistics page does not use", () => {
    expect(scripts.filter((f) => /\bMapDraw\b/.test(text(f)))).toEqual([]);
    const stats = scripts.find((f) => f.startsWith("stats-page-"));
    expect(stats).toBeDefined();
    // The whole library made this chunk 1.1 MB; the parts in use are about half of that.
    expect(fs.statSync(path.join(assets, stats as string)).size).toBeLessThan(700 * 1024);
  });

  it("has a brotli and a gzip copy of every large script for the server to send", () => {
    for (const f of scripts.filter((s) => fs.statSync(path.join(assets, s)).size >= 1024)) {
      expect(fs.existsSync(path.join(assets, `${f}.br`)), f).toBe(true);
      expect(fs.existsSync(path.join(assets, `${f}.gz`)), f).toBe(true);
    }
  });
});
