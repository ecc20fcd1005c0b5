import { ensureWebBuilt } from "../../src/platform/web";

const shared = globalThis as typeof globalThis & { piaomaWebBuild?: Promise<void> };

/**
 * Builds the web pages (when their sources changed since the last build) for the projects that
 * serve them (http, e2e: vitest.config.ts), once per `vitest run`. PIAOMA_TEST_SKIP_WEB=1 skips it
 * for back-end-only runs while web/ is being edited (the last build is served); never in CI.
 */
export default async function setup(): Promise<void> {
  if (process.env.PIAOMA_TEST_SKIP_WEB === "1" && process.env.CI !== "true") return;
  shared.piaomaWebBuild ??= ensureWebBuilt();
  await shared.piaomaWebBuild;
}
