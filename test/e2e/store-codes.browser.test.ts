import { eq } from "drizzle-orm";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { systemActor } from "../../src/context";
import { createReceiptCode } from "../../src/modules/receipt-codes/receipt-codes.service";
import { pendingSubmissions, storeCodes } from "../../src/platform/db/schema";
import { createTestApp, type TestApp } from "../support/app";
import {
  collectPageErrors,
  consoleContext,
  describeBrowser,
  freshPage,
  launchBrowser,
  openConsole,
  screenshotPath,
} from "../support/browser";
import { loginAs, makeUser } from "../support/console";
import { makeOrganization, makeUscc } from "../support/factories";

/**
 * 门店码 end to end: the operator creates a store code in the console (1440×900), a consumer on a
 * phone (390×844) submits title and amount on /m/{token} and waits; the operator matches the
 * submission to the sale's order number in 待匹配; the consumer's waiting page turns into the
 * receipt's page with the issued invoice.
 */
describeBrowser("门店码 in Chromium", () => {
  let app: TestApp;
  let browser: Browser;
  let phone: BrowserContext;
  let desk: BrowserContext;
  let baseUrl: string;
  let orgId: string;
  let cookie: string;
  const errors: string[] = [];

  beforeAll(async () => {
    app = await createTestApp("pglite");
    baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
    app.ctx.config.publicUrl = baseUrl;
    orgId = (await makeOrganization(app.ctx.database, { name: "门店示范餐饮有限公司" })).id;
    const user = await makeUser(app.ctx.database, { role: "operator", orgIds: [orgId] });
    cookie = (await loginAs(app, user.username, user.password)).cookie;
    browser = await launchBrowser();
    phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: "zh-CN",
      timezoneId: "Asia/Shanghai",
    });
    desk = await consoleContext(browser, { viewport: { width: 1440, height: 900 } });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it("operator creates a store code, the consumer submits, the operator matches, the invoice appears", async () => {
    // The operator creates the store code.
    const console1 = await freshPage(desk, baseUrl, errors);
    await openConsole(console1, baseUrl, cookie, "/store-codes");
    await console1.getByTestId("store-code-name").fill("一楼 5 号桌");
    await console1.getByTestId("store-code-create").click();
    await console1.getByText("已新增门店码").waitFor();
    await console1.getByTestId("store-code-print").first().waitFor();
    const [store] = await app.ctx.database.db.select().from(storeCodes).where(eq(storeCodes.orgId, orgId));
    expect(store).toMatchObject({ name: "一楼 5 号桌", active: true });
    await expect.poll(() => console1.getByText(`/m/${store!.token}`).count()).toBeGreaterThan(0);

    // The consumer scans it and submits title and amount.
    const page = await phone.newPage();
    collectPageErrors(page, errors);
    await page.goto(`${baseUrl}/m/${store!.token}`);
    await expect.poll(() => page.getByTestId("store-name").textContent()).toBe("一楼 5 号桌");
    const buyerName = "上海门店扫码科技有限公司";
    await page.getByLabel("抬头名称").fill(buyerName);
    await page.getByLabel("税号").fill(makeUscc("91310000"));
    await page.getByLabel("电子邮箱").fill("store-e2e@example.com");
    await page.locator("#f-store-amount").fill("88.00");
    await page.getByTestId("submit").click();
    const next = page.locator('[data-testid="confirm-sheet-yes"], [data-testid="pending-waiting"]').first();
    await next.waitFor().catch(async (e) => {
      throw new Error(
        `${(e as Error).message}\n${await page.locator("body").innerText()}\n${errors.join("\n")}`,
      );
    });
    if ((await next.getAttribute("data-testid")) === "confirm-sheet-yes") await next.click();
    await page.getByTestId("pending-waiting").waitFor();
    expect(page.url()).toMatch(/\/m\/p\/[A-Za-z0-9_-]+$/);
    await page.screenshot({ path: screenshotPath("store-code-waiting"), fullPage: true });

    // The sale, then the operator matches the submission to it in 待匹配.
    const sale = await createReceiptCode(app.ctx, {
      actor: systemActor("test"),
      orgId,
      source: "manual",
      input: {
        serialNo: `STORE-E2E-${Date.now()}`,
        drawer: "张会计",
        lines: [
          {
            name: "套餐",
            shortName: "餐饮服务",
            taxCode: "3070401000000000000",
            taxRate: "0.06",
            amount: "88.00",
          },
        ],
      },
    });
    const [pending] = await app.ctx.database.db
      .select()
      .from(pendingSubmissions)
      .where(eq(pendingSubmissions.orgId, orgId));
    const console2 = await freshPage(desk, baseUrl, errors);
    await openConsole(console2, baseUrl, cookie, "/store-codes");
    const table = console2.getByTestId("pending-table");
    await table.getByText(buyerName).waitFor();
    await expect.poll(() => table.textContent()).toContain("88.00");
    await console2.getByTestId(`match-order-${pending!.id}`).fill(sale.serialNo);
    await console2.getByTestId(`match-${pending!.id}`).click();
    await console2.getByText("已匹配，正在开票").waitFor();
    await console2.screenshot({ path: screenshotPath("store-code-console"), fullPage: true });

    // The consumer's waiting page moves to the receipt's page with the issued invoice.
    await page.waitForURL(`${baseUrl}/s/${sale.token}`, { timeout: 30_000 });
    await page.getByTestId("invoice").waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId("invoice-buyer").first().textContent()).toContain(buyerName);
    await expect
      .poll(async () => (await page.getByTestId("invoice-number").first().textContent())?.trim())
      .toMatch(/^\d{20}$/);
    await page.screenshot({ path: screenshotPath("store-code-issued"), fullPage: true });
    expect(errors).toEqual([]);
  }, 180_000);
});
