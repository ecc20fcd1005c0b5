import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, submitAsCompany, type TestApp } from "../support/app";
import {
  collectPageErrors,
  consoleContext,
  describeBrowser,
  freshPage,
  launchBrowser,
  openConsole,
} from "../support/browser";
import { loginAs, makeUser } from "../support/console";
import { makeOrganization, makeReceiptCode, makeUscc } from "../support/factories";

/**
 * 换开 in Chromium: on the re-scan page of an invoiced receipt the consumer asks for the invoice to
 * be issued again with the right title (申请重开, a reason and the corrected buyer); the operator
 * sees it in the console's 换开申请 and approves; scanning again shows the new invoice (with the
 * corrected title) beside the reversed one, and the request's outcome.
 */
describeBrowser("换开 in Chromium", () => {
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
    orgId = (await makeOrganization(app.ctx.database)).id;
    const user = await makeUser(app.ctx.database, { role: "operator", orgIds: [orgId] });
    cookie = (await loginAs(app, user.username, user.password)).cookie;
    browser = await launchBrowser();
    phone = await browser.newContext({
      viewport: { width: 375, height: 740 },
      isMobile: true,
      hasTouch: true,
      locale: "zh-CN",
      timezoneId: "Asia/Shanghai",
    });
    desk = await consoleContext(browser);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it("the consumer applies, the operator approves, the new invoice appears on the re-scan", async () => {
    const code = await makeReceiptCode(app.ctx, orgId);
    const submitted = await submitAsCompany(app, code.token);
    expect(submitted.json().status).toBe("issued");
    const oldNumber = submitted.json().invoices[0].number as string;
    const taxId = makeUscc("91440300");

    const page: Page = await phone.newPage();
    collectPageErrors(page, errors);
    await page.goto(`${baseUrl}/s/${code.token}`);
    await page.getByTestId("correction-open").click();
    await page.getByTestId("correction-reason").selectOption("title");
    await page.getByTestId("correction-name").fill("深圳更正名称科技有限公司");
    // A wrong tax ID is refused on the page, with the submit's words.
    await page.getByTestId("correction-tax-id").fill("12345");
    await page.getByTestId("correction-submit").click();
    await expect.poll(() => page.getByTestId("correction-status").textContent()).toContain("纳税人识别号");
    await page.getByTestId("correction-tax-id").fill(taxId);
    await page.getByTestId("correction-submit").click();
    await expect.poll(() => page.getByTestId("correction-status").textContent()).toContain("等待商家处理");

    const desk1 = await freshPage(desk, baseUrl, errors);
    await openConsole(desk1, baseUrl, cookie, "/corrections");
    const table = desk1.getByTestId("corrections-table");
    await table.getByText("深圳更正名称科技有限公司").waitFor();
    await expect.poll(() => table.textContent()).toContain(oldNumber);
    await table.getByRole("button", { name: "同意并重开" }).click();
    await desk1.getByText("已同意：原发票已红冲").waitFor();

    // Scanning again: the corrected invoice, the old one reversed, and the outcome in words.
    await page.goto(`${baseUrl}/s/${code.token}`);
    const buyers = page.getByTestId("invoice-buyer");
    await expect.poll(() => buyers.allTextContents()).toContain("深圳更正名称科技有限公司");
    const numbers = await page.getByTestId("invoice-number").allTextContents();
    expect(numbers).toContain(oldNumber);
    expect(numbers.filter((n) => /^\d{20}$/.test(n.trim()))).toHaveLength(3);
    await expect.poll(() => page.getByTestId("correction-status").textContent()).toContain("商家已同意重开");
    expect(errors).toEqual([]);
  }, 120_000);
});
