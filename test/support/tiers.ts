import fs from "node:fs";
import path from "node:path";

/**
 * The four test tiers (vitest projects), by what a test needs:
 * - small: nothing but the code (rules, renderers, the pages' logic, configuration) — seconds;
 * - medium: a database (test/support/db), no application;
 * - http: the whole application in-process (test/support/app), driven through `inject()`;
 * - e2e: processes and browsers (test/e2e, test/docs, the multi-process test).
 * A file's tier follows from the helpers it imports, not from a list, so a test that is added or
 * moves lands in the right tier by itself.
 */
export type Tier = "small" | "medium" | "http" | "e2e";

const E2E = [/^test\/e2e\//, /^test\/docs\//, /^test\/reliability\/multi-process\.test\.ts$/];
const SOURCES = ["src", "test", "web"];

export function tierOf(file: string, text: string): Tier {
  if (E2E.some((pattern) => pattern.test(file))) return "e2e";
  // (channel-scenarios drives the whole application: the §7.6 list every channel adapter runs.)
  if (/support\/(app|channel-scenarios)"/.test(text) || /\.inject\(/.test(text)) return "http";
  if (/support\/(db|global-setup)"/.test(text)) return "medium";
  return "small";
}

/** Every test file under src/, test/ and web/ (paths relative to `root`, with /), by tier. */
export function testFilesByTier(root: string): Record<Tier, string[]> {
  const tiers: Record<Tier, string[]> = { small: [], medium: [], http: [], e2e: [] };
  for (const dir of SOURCES) {
    for (const entry of fs.readdirSync(path.join(root, dir), { recursive: true, encoding: "utf8" })) {
      const file = `${dir}/${entry.split(path.sep).join("/")}`;
      if (!file.endsWith(".test.ts") || file.includes("/node_modules/")) continue;
      tiers[tierOf(file, fs.readFileSync(path.join(root, file), "utf8"))].push(file);
    }
  }
  return tiers;
}
