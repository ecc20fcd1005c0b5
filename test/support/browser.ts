import fs from "node:fs";
import path from "node:path";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { describe, expect } from "vitest";

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

/**
 * Types a range into an antd RangePicker (the console's YYYY-MM-DD date filters) as a person with a
 * keyboard would: the start day, Enter, the end day, Enter; then waits until the calendar popup has
 * closed and both inputs show the days. `inputs` finds the picker's two inputs: a `data-testid` given
 * to a RangePicker lands on both.
 */
export async function fillDateRange(inputs: Locator, from: string, to: string): Promise<void> {
  const page = inputs.page();
  const start = inputs.nth(0);
  const end = inputs.nth(1);
  await start.click();
  await start.fill(from);
  await start.press("Enter");
  await end.click();
  await end.fill(to);
  await end.press("Enter");
  await expect.poll(() => page.locator(".ant-picker-dropdown:visible").count()).toBe(0);
  await expect.poll(() => Promise.all([start.inputValue(), end.inputValue()])).toEqual([from, to]);
}

/**
 * Collects what should never happen on a page: uncaught errors and Content-Security-Policy
 * violations (Chromium reports each on the console, and the page's `securitypolicyviolation` event
 * is echoed there too, frames included), so a test can end with `expect(errors).toEqual([])`.
 */
export function collectPageErrors(page: Page, errors: string[]): void {
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    const text = m.text();
    if (/Content Security Policy|^CSP violation/.test(text)) errors.push(text);
  });
  void page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      console.error(
        `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} in ${e.documentURI}`,
      ),
    );
  });
}
