import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/app";
import { describeBrowser, launchBrowser, screenshotPath } from "../support/browser";

describeBrowser("console in Chromium", () => {
  let app: TestApp;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    app = await createTestApp("pglite");
    baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it("opens the console, which renders in Chinese and reaches the server", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: "zh-CN" });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${baseUrl}/admin/`);
    await expect(page.title()).resolves.toBe("票码 · 开票管理控制台");
    await page.getByText("服务运行正常").waitFor();
    await expect(page.getByTestId("health").textContent()).resolves.toContain("ok");
    await page.screenshot({ path: screenshotPath("console-home") });
    expect(errors).toEqual([]);
  });
});
