import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// The rules engine is pure and shared with the web pages: it may import only its own files and
// decimal.js (no I/O, no framework, no clock).
describe("src/domain purity", () => {
  const dir = import.meta.dirname;
  const sources = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && f !== "test-support.ts");

  it.each(sources)("%s imports only ./… and decimal.js", (file) => {
    const text = fs.readFileSync(path.join(dir, file), "utf8");
    const specifiers = [
      ...text.matchAll(/\bfrom\s+"([^"]+)"|\bimport\s*\(\s*"([^"]+)"\s*\)|\brequire\(\s*"([^"]+)"\s*\)/g),
    ].map((m) => m[1] ?? m[2] ?? m[3]);
    expect(specifiers.filter((s) => !s?.startsWith("./") && s !== "decimal.js")).toEqual([]);
    expect(text).not.toMatch(/\bDate\.now\(|\bMath\.random\(|\bprocess\./);
  });
});
