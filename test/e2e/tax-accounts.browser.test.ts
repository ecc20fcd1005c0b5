import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { demoLogin } from "../../src/modules/demo/demo.data";
import { seedDemo } from "../../src/modules/demo/demo.seed";
import { startKingdeeStandin } from "../../src/standins/kingdee";
import { createNuonuoStandin, DEFAULT_APP } from "../../src/standins/nuonuo/nuonuo-standin";
import { type RunningStandin, standinControl } from "../../src/standins/server";
import { createTestApp, type TestApp } from "../support/app";
import { consoleContext, describeBrowser, freshPage, launchBrowser, openConsole } from "../support/browser";
import { loginAs } from "../support/console";

/** 基础资料 · 电子税局账号 in Chromium: a 诺诺 account through its fields, 测试连接 against the stand-in (masking: tax-accounts.routes.test.ts). */
describeBrowser("电子税局账号 in Chromium", () => {
  let app: TestApp;
  let standin: RunningStandin;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let baseUrl: string;
  let cookie: string;
  const errors: string[] = [];

  beforeAll(async () => {
    app = await createTestApp("pglite", { startJobs: false, env: { PIAOMA_ALLOW_PRIVATE_URLS: "true" } });
    baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
    await seedDemo(app.ctx, { onlyIfEmpty: false });
    cookie = (await loginAs(app, demoLogin.username, demoLogin.password)).cookie;
    standin = await createNuonuoStandin().start();
    browser = await launchBrowser();
    context = await consoleContext(browser);
  });
  afterAll(async () => {
    await browser?.close();
    await standin?.close();
    await app?.close();
  });
  afterEach(() => {
    expect(errors.splice(0)).toEqual([]);
  });

  it("adds a 诺诺 account through its fields and tests the connection", async () => {
    page = await freshPage(context, baseUrl, errors);
    await openConsole(page, baseUrl, cookie, "/base-data");
    await page.getByRole("tab", { name: "电子税局账号" }).click();
    await page.getByRole("button", { name: "新增账号" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.locator("#name").fill("诺诺测试");
    await dialog.locator("#channel").click();
    await page.locator(".ant-select-item-option", { hasText: "诺诺 诺税通" }).click();
    await dialog.locator("#settings_appKey").fill(DEFAULT_APP.appKey);
    await dialog.locator("#settings_appSecret").fill(DEFAULT_APP.appSecret);
    await dialog.locator("#settings_apiUrl").fill(`${standin.url}/open/v1/services`);
    await dialog.locator("#settings_tokenUrl").fill(`${standin.url}/accessToken`);
    await dialog.getByRole("button", { name: /保\s?存/ }).click();
    const row = page.getByRole("row", { name: /诺诺测试/ });
    await row.waitFor();
    await expect.poll(() => row.textContent()).toContain("诺诺 诺税通");

    await row.getByRole("button", { name: "测试连接" }).click();
    await page.getByText("在线：连接正常").waitFor();
    await expect
      .poll(() =>
        page
          .getByRole("dialog")
          .getByText(/授信额度/)
          .textContent(),
      )
      .toContain("1000000.00");
    // The row shows the figure read, and when.
    await expect
      .poll(() => row.getByTestId("tax-account-credit").textContent())
      .toMatch(/可用 ¥1000000\.00.*读取/);
  }, 120_000);

  it("shows the login QR as a scannable image with its expiry, refreshes it, and turns online once scanned", async () => {
    await standinControl(standin.url, "scenario", { session: "loggedOut" });
    page = await freshPage(context, baseUrl, errors);
    await openConsole(page, baseUrl, cookie, "/base-data");
    await page.getByRole("tab", { name: "电子税局账号" }).click();
    const row = page.getByRole("row", { name: /诺诺测试/ });
    await row.getByRole("button", { name: "测试连接" }).click();
    const dialog = page.getByRole("dialog");
    await dialog
      .getByText(/需重新认证/)
      .first()
      .waitFor();
    const code = dialog.getByTestId("reauth-qr-code");
    // An image (antd draws the QR on a canvas), not the text.
    await code.locator("canvas").waitFor();
    const first = await code.getAttribute("data-value");
    expect(first).toMatch(/\/qr\/login\//);
    await expect.poll(() => dialog.getByTestId("reauth-qr-expiry").textContent()).toMatch(/前有效/);
    expect(await dialog.locator("pre").count()).toBe(0);

    // 刷新二维码: 诺诺 hands out a new one.
    await dialog.getByRole("button", { name: "刷新二维码" }).click();
    await expect.poll(() => code.getAttribute("data-value")).not.toBe(first);

    // Scanned on the phone: the dialog, polling, finds the account back.
    await standinControl(standin.url, "qr/scan", {});
    await dialog.getByText("在线：连接正常").waitFor({ timeout: 20_000 });
    await expect.poll(() => row.textContent()).toContain("在线");
  }, 120_000);

  it("adds a 金蝶 account through its fields (用户类型 and 加密策略 picked from lists) and tests the connection", async () => {
    const kingdee = await startKingdeeStandin({ tenant: { encryption: "aes", aesPassword: "browser-aes" } });
    try {
      const s = kingdee.adapterSettings();
      page = await freshPage(context, baseUrl, errors);
      await openConsole(page, baseUrl, cookie, "/base-data");
      await page.getByRole("tab", { name: "电子税局账号" }).click();
      await page.getByRole("button", { name: "新增账号" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.locator("#name").fill("金蝶测试");
      await dialog.locator("#channel").click();
      await page.locator(".ant-select-item-option", { hasText: "金蝶发票云旗舰版" }).click();
      for (const key of ["baseUrl", "appId", "appSecret", "accountId", "user", "businessSystemCode"] as const)
        await dialog.locator(`#settings_${key}`).fill(String(s[key]));
      await dialog.locator("#settings_userType").click();
      await page.locator(".ant-select-item-option", { hasText: "手机号（Mobile）" }).click();
      await dialog.locator("#settings_encryption").click();
      await page.locator(".ant-select-item-option", { hasText: "AES" }).click();
      await dialog.locator("#settings_aesPassword").fill("browser-aes");
      await dialog.getByRole("button", { name: /保\s?存/ }).click();
      const row = page.getByRole("row", { name: /金蝶测试/ });
      await row.waitFor();
      await expect.poll(() => row.textContent()).toContain("金蝶发票云旗舰版");

      await row.getByRole("button", { name: "测试连接" }).click();
      await page.getByText(/在线：连接正常/).waitFor();
      await expect
        .poll(() =>
          page
            .getByRole("dialog")
            .getByText(/授信额度/)
            .textContent(),
        )
        .toContain("可用 1000000.00");
    } finally {
      await kingdee.close();
    }
  }, 120_000);
});
