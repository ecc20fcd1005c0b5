import path from "node:path";
import { describe, expect, it } from "vitest";
import { testFilesByTier, tierOf } from "./tiers";

// Import lines as a test file would write them, put together here so that this file itself, read
// by the same rule, stays in the small tier.
const importOf = (helper: string) => `import { x } from "../../../test/support/${helper}";`;

describe("test tiers (vitest projects)", () => {
  it("puts a file where what it imports needs it", () => {
    expect(tierOf("src/domain/money.test.ts", 'import { add } from "./money";')).toBe("small");
    expect(tierOf("src/x/x.test.ts", importOf("db"))).toBe("medium");
    expect(tierOf("src/x/x.test.ts", `${importOf("app")}\n${importOf("db")}`)).toBe("http");
    expect(tierOf("src/platform/http.test.ts", `await app${"."}inject({ url: "/" });`)).toBe("http");
    expect(tierOf("test/e2e/cli.test.ts", importOf("db"))).toBe("e2e");
    expect(tierOf("test/docs/guide.test.ts", "")).toBe("e2e");
  });

  it("places every test file of the repository in exactly one tier", () => {
    const tiers = testFilesByTier(path.resolve(import.meta.dirname, "../.."));
    const all = Object.values(tiers).flat();
    expect(new Set(all).size).toBe(all.length);
    expect(tiers.small).toContain("test/support/tiers.test.ts");
    expect(tiers.small).toContain("src/domain/money.test.ts");
    expect(tiers.e2e).toContain("test/e2e/console.browser.test.ts");
    for (const tier of Object.values(tiers)) expect(tier.length).toBeGreaterThan(0);
  });
});
