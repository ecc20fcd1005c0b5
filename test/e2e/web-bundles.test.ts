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
