import { defineConfig } from "vitest/config";
import { testFilesByTier } from "./test/support/tiers.ts";

const tiers = testFilesByTier(import.meta.dirname);

const databases = "test/support/global-setup.ts";
const webPages = "test/support/global-setup-web.ts";

/** What every tier shares. */
const common = {
  testTimeout: 60_000,
  hookTimeout: 120_000,
  // expect.poll waits for pages and background work; on a loaded two-core machine a second (the
  // default) is not enough, so it waits as long as a browser test step does.
  expect: { poll: { timeout: 30_000, interval: 100 } },
};

/**
 * Four projects (test/support/tiers.ts says which file is which): `small` needs no database and no
 * web build and runs alone in seconds (`npx vitest run --project small`); `medium` gets the
 * template databases; `http` and `e2e` also get the built pages. `vitest run` runs them all.
 */
export default defineConfig({
  test: {
    projects: [
      // The small tier shares one module graph per worker: its files hold no state, and importing each
      // file's modules afresh was a third of its time.
      { test: { ...common, name: "small", include: tiers.small, isolate: false } },
      { test: { ...common, name: "medium", include: tiers.medium, globalSetup: [databases] } },
      { test: { ...common, name: "http", include: tiers.http, globalSetup: [databases, webPages] } },
      { test: { ...common, name: "e2e", include: tiers.e2e, globalSetup: [databases, webPages] } },
    ],
    reporters: ["default", "./test/support/summary-reporter.ts"],
    // Two cores: PGlite instances are memory-hungry, so keep the pool small (for all projects).
    maxWorkers: 2,
  },
});
