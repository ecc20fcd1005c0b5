import fs from "node:fs";
import path from "node:path";
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Locator,
  type Page,
} from "playwright-core";
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
 * temporary profile of its own. `extraArgs`: more flags, e.g. a fake camera (camera.ts).
 */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
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
      ...extraArgs,
    ],
  });
}

/**
 * The page a test starts on, in the file's browser context: the context's other pages closed (with
 * any dialog or half-done click of an earlier test), its cookies cleared, and what the console keeps
 * in the browser (the chosen organization, in localStorage) emptied — so a test that fails cannot
 * make the next ones fail too. One context per file rather than per test keeps its HTTP cache: the
 * console's scripts load once. The page's errors go to `errors` (collectPageErrors).
 */
export async function freshPage(context: BrowserContext, baseUrl: string, errors: string[]): Promise<Page> {
  for (const open of context.pages()) await open.close();
  await context.clearCookies();
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  collectPageErrors(page, errors);
  await page.goto(`${baseUrl}/health`);
  await page.evaluate(() => {
    localStorage.clear();
    sessionStorage.clear();
  });
  return page;
}

/**
 * A browser context for one test file's console pages (desktop size, Chinese), asking for reduced
 * motion: the console then opens dialogs and drawers without their animation, so a click right after
 * one opens is never lost to a dialog still zooming in (seen on CI; `dialogSettled` was the first fix).
 */
export function consoleContext(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  return browser.newContext({
    viewport: { width: 1280, height: 800 },
    locale: "zh-CN",
    reducedMotion: "reduce",
    ...options,
  });
}

/**
 * Opens the console at `path` (below /admin, e.g. "/invoices") in a session made beforehand
 * (`loginAs(app, …).cookie`): a test starts on a known page whatever the tests before it did, and
 * pays for no login (logging in through the form is the login test's business).
 */
export async function openConsole(
  page: Page,
  baseUrl: string,
  sessionCookie: string,
  path = "/",
): Promise<void> {
  const eq = sessionCookie.indexOf("=");
  await page
    .context()
    .addCookies([{ name: sessionCookie.slice(0, eq), value: sessionCookie.slice(eq + 1), url: baseUrl }]);
  await page.goto(`${baseUrl}/admin${path}`);
  await page.getByTestId("menu-receipt-codes").waitFor();
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

/**
 * Waits until an antd dialog (Modal, Modal.confirm) has finished zooming in: a click on one of its
 * buttons while it still animates was seen to be lost now and then (CI, 2026-12-04).
 */
export async function dialogSettled(dialog: Locator): Promise<void> {
  await dialog.waitFor();
  const modal = dialog.locator("xpath=ancestor-or-self::*[contains(@class, 'ant-modal')][1]");
  await expect
    .poll(async () => (await modal.getAttribute("class")) ?? "", { timeout: 30_000 })
    .not.toMatch(/ant-zoom/);
}
