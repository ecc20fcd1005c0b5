import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "web/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    reporters: ["default", "./test/support/summary-reporter.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll waits for pages and background work; on a loaded two-core machine a second (the
    // default) is not enough, so it waits as long as a browser test step does.
    expect: { poll: { timeout: 30_000, interval: 100 } },
    // Two cores: PGlite instances are memory-hungry, so keep the pool small.
    maxWorkers: 2,
  },
});
