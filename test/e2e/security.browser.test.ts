import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/app";
import { collectPageErrors, describeBrowser, launchBrowser } from "../support/browser";

/**
 * The pages the console and consumer tests do not open, under their Content-Security-Policy: the
 * interactive API documentation and the signed link's error page must work without a violation.
 */
describeBrowser("pages under their Content-Security-Policy", () => {
  let app: TestApp;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    app = await createTestApp("pglite", { startJobs: false });
    baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  // Each test opens its own page (its own browser context), closed after it even when it fails.
  const pages: Page[] = [];
  afterEach(async () => {
    for (const page of pages.splice(0)) await page.close();
  });

  async function open(url: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: "zh-CN" });
    pages.push(page);
    const errors: string[] = [];
    collectPageErrors(page, errors);
    await page.goto(`${baseUrl}${url}`);
    return { page, errors };
  }

  it("renders /docs (Swagger UI) with the open API's operations", async () => {
    const { page, errors } = await open("/docs");
    await page.locator(".opblock-summary-path").first().waitFor();
    expect(await page.locator(".opblock-summary-path").allTextContents()).toContain("/api/scan/{token}");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("styles the signed link's error page", async () => {
    const { page, errors } = await open("/q/pk_unknown?o=A1&a=1.00&t=1&d=x&sig=00");
    await page.getByRole("heading", { name: "开票链接无效" }).waitFor();
    // The page's own <style> applies: the card is centred on a grey background.
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(
      "rgb(245, 246, 248)",
    );
    expect(errors).toEqual([]);
    await page.close();
  });
});
