import fs from "node:fs";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { describe } from "vitest";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const hasChromium = fs.existsSync(CHROMIUM);

if (!hasChromium && process.env.CI === "true") {
  throw new Error(`CI=true but Chromium is missing at ${CHROMIUM}: the browser tests must run in CI`);
}

/** Browser suites run wherever Chromium is installed, must run in CI, and are skipped elsewhere. */
export const describeBrowser = hasChromium ? describe : describe.skip;

/**
 * Headless Debian Chromium as root, with no network chatter. Playwright gives every launch a fresh
 * temporary profile of its own.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Where screenshots go for a person to look at (not asserted pixel by pixel). */
export function screenshotPath(name: string): string {
  const dir = path.resolve("dist/screenshots");
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.png`);
}
