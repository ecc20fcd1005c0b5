import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The pages share the rules engine (src/domain) with the server and read the API's shapes from its
 * zod schemas — as types only. An `import` that is not `import type` from any other server file
 * would put zod and server code into the bundles (the consumer page's size is a performance
 * target), so every import reaching outside web/ is one of the two, and zod itself is imported as a type.
 */
describe("the web pages import from the server only the rules engine, and types", () => {
  const webDir = import.meta.dirname;
  const sources = fs
    .readdirSync(webDir, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f));

  it("finds the pages' sources", () => {
    expect(sources.length).toBeGreaterThan(30);
  });

  it.each(sources)("%s", (file) => {
    const text = fs
      .readFileSync(path.join(webDir, file), "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "");
    const refused: string[] = [];
    // Whole statements (they span lines), `export … from` included; `import type` is erased.
    for (const m of text.matchAll(/\b(import|export)\s+(type\s+)?([^;]*?)\s*from\s+"([^"]+)"/g)) {
      const [, , typeOnly, , specifier] = m as unknown as [
        string,
        string,
        string | undefined,
        string,
        string,
      ];
      if (specifier === "zod") {
        if (!typeOnly) refused.push(m[0]);
        continue;
      }
      const target = path.resolve(webDir, path.dirname(file), specifier);
      if (!specifier.startsWith(".") || target.startsWith(webDir + path.sep)) continue;
      const inDomain = target.startsWith(path.resolve(webDir, "../src/domain") + path.sep);
      if (!inDomain && !typeOnly) refused.push(m[0]);
    }
    expect(refused).toEqual([]);
  });
});
