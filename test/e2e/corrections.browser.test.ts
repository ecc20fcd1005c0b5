import { eq } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { correctionRequests, receiptCodeConfigs } from "../../src/platform/db/schema";
import { createTestApp, submitAsCompany, type TestApp } from "../support/app";
import {
  collectPageErrors,
  consoleContext,
  describeBrowser,
  dialogSettled,
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
 * corrected title) beside the reversed one, and the request's outcome. A refusal reaches the page
 * with its reason; a purchase split over the limit is corrected whole, its invoices listed.
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

  it("refused: the note and a 非企业性单位 buyer reach the console, the refusal and its reason the page", async () => {
    const code = await makeReceiptCode(app.ctx, orgId);
    expect((await submitAsCompany(app, code.token)).json().status).toBe("issued");
    const page: Page = await phone.newPage();
    collectPageErrors(page, errors);
    await page.goto(`${baseUrl}/s/${code.token}`);
    await page.getByTestId("correction-open").click();
    await page.getByTestId("correction-reason").selectOption("other");
    await page.getByTestId("correction-note").fill("应开给协会而不是公司");
    await page.getByTestId("correction-buyer-type").selectOption("non_enterprise");
    await page.getByTestId("correction-name").fill("上海市某某行业协会");
    await page.getByTestId("correction-tax-id").fill(makeUscc("51310000"));
    await page.getByTestId("correction-more").click();
    await page.getByTestId("correction-address").fill("上海市黄浦区某路 1 号");
    await page.getByTestId("correction-phone").fill("021-12345678");
    await page.getByTestId("correction-submit").click();
    await expect.poll(() => page.getByTestId("correction-status").textContent()).toContain("等待商家处理");
    const [row] = await app.ctx.database.db
      .select()
      .from(correctionRequests)
      .where(eq(correctionRequests.receiptCodeId, code.id));
    expect(row).toMatchObject({
      note: "应开给协会而不是公司",
      buyerType: "non_enterprise",
      buyerAddress: "上海市黄浦区某路 1 号",
      buyerPhone: "021-12345678",
    });

    const desk1 = await freshPage(desk, baseUrl, errors);
    await openConsole(desk1, baseUrl, cookie, "/corrections");
    const table = desk1.getByTestId("corrections-table");
    const line = table.locator("tr", { hasText: "上海市某某行业协会" });
    await expect.poll(() => line.textContent()).toContain("应开给协会而不是公司");
    await line.getByRole("button", { name: "拒绝" }).click();
    const dialog = desk1.getByRole("dialog");
    await dialogSettled(dialog);
    await dialog.getByRole("textbox").fill("协会不是本单付款方");
    await dialog.getByRole("button", { name: "拒绝并通知消费者" }).click();
    await desk1.getByText("已拒绝，并已通知消费者").waitFor();

    await page.goto(`${baseUrl}/s/${code.token}`);
    const status = page.getByTestId("correction-status");
    await expect.poll(() => status.textContent()).toContain("商家未同意重开申请：协会不是本单付款方");
    // Nothing was reversed: one invoice, to the old title, and 申请重开 offered again.
    expect(await page.getByTestId("invoice-buyer").allTextContents()).toEqual(["上海某某科技有限公司"]);
    await page.getByTestId("correction-open").waitFor();
    expect(errors).toEqual([]);
  }, 120_000);

  it("a split purchase: the form lists both invoices (number, amount), approval re-issues both", async () => {
    const [before] = await app.ctx.database.db
      .select()
      .from(receiptCodeConfigs)
      .where(eq(receiptCodeConfigs.orgId, orgId));
    await app.ctx.database.db
      .update(receiptCodeConfigs)
      .set({ limitAmount: "500.00", limitText: "500.00", overLimitPolicy: "split" })
      .where(eq(receiptCodeConfigs.orgId, orgId));
    try {
      const code = await makeReceiptCode(app.ctx, orgId);
      const submitted = (await submitAsCompany(app, code.token)).json();
      const blues = submitted.invoices as Array<{ number: string; totals: { totalAmount: string } }>;
      expect(blues).toHaveLength(2);
      const page: Page = await phone.newPage();
      collectPageErrors(page, errors);
      await page.goto(`${baseUrl}/s/${code.token}`);
      await page.getByTestId("correction-open").click();
      const listed = page.getByTestId("correction-invoice");
      await expect.poll(() => listed.count()).toBe(2);
      const texts = await listed.allTextContents();
      for (const [i, blue] of blues.entries()) {
        expect(texts[i]).toContain(blue.number);
        expect(texts[i]).toContain(Number(blue.totals.totalAmount).toFixed(2));
      }
      await expect.poll(() => page.getByTestId("correction-invoices").textContent()).toContain("共 2 张");
      await page.getByTestId("correction-name").fill("深圳拆票更正科技有限公司");
      await page.getByTestId("correction-tax-id").fill(makeUscc("91440300"));
      await page.getByTestId("correction-submit").click();
      await expect.poll(() => page.getByTestId("correction-status").textContent()).toContain("等待商家处理");

      const desk1 = await freshPage(desk, baseUrl, errors);
      await openConsole(desk1, baseUrl, cookie, "/corrections");
      const line = desk1
        .getByTestId("corrections-table")
        .locator("tr", { hasText: "深圳拆票更正科技有限公司" });
      await expect.poll(() => line.textContent()).toContain("整单 2 张一并重开");
      for (const blue of blues) expect(await line.textContent()).toContain(blue.number);
      await line.getByRole("button", { name: "同意并重开" }).click();
      await desk1.getByText("已同意：原发票已红冲").waitFor();

      await page.goto(`${baseUrl}/s/${code.token}`);
      const buyers = page.getByTestId("invoice-buyer");
      await expect
        .poll(async () => (await buyers.allTextContents()).filter((b) => b === "深圳拆票更正科技有限公司"))
        .toHaveLength(2);
      expect(errors).toEqual([]);
    } finally {
      await app.ctx.database.db
        .update(receiptCodeConfigs)
        .set({
          limitAmount: before!.limitAmount,
          limitText: before!.limitText,
          overLimitPolicy: before!.overLimitPolicy,
        })
        .where(eq(receiptCodeConfigs.orgId, orgId));
    }
  }, 120_000);

  it("a merged receipt: applied from the receipt added to the merge, the console shows both receipts", async () => {
    await app.ctx.database.db
      .update(receiptCodeConfigs)
      .set({ mergeEnabled: true })
      .where(eq(receiptCodeConfigs.orgId, orgId));
    try {
      const [a, b] = [await makeReceiptCode(app.ctx, orgId), await makeReceiptCode(app.ctx, orgId)];
      const submitted = await submitAsCompany(app, a.token, { mergeCodes: [b.shortCode] });
      const [blue] = submitted.json().invoices as Array<{ number: string }>;
      const page: Page = await phone.newPage();
      collectPageErrors(page, errors);
      await page.goto(`${baseUrl}/s/${b.token}`);
      await page.getByTestId("correction-open").click();
      await expect
        .poll(() => page.getByTestId("correction-invoice").allTextContents())
        .toEqual([expect.stringContaining(blue!.number)]);
      await page.getByTestId("correction-name").fill("深圳合并更正科技有限公司");
      await page.getByTestId("correction-tax-id").fill(makeUscc("91440300"));
      await page.getByTestId("correction-submit").click();
      await expect.poll(() => page.getByTestId("correction-status").textContent()).toContain("等待商家处理");

      const desk1 = await freshPage(desk, baseUrl, errors);
      await openConsole(desk1, baseUrl, cookie, "/corrections");
      const line = desk1
        .getByTestId("corrections-table")
        .locator("tr", { hasText: "深圳合并更正科技有限公司" });
      await expect.poll(() => line.textContent()).toContain("合并 2 张小票");
      expect(await line.textContent()).toContain(a.serialNo);
      expect(await line.textContent()).toContain(b.serialNo);
      // Both receipts' pages show the request, scanned again.
      for (const code of [b, a]) {
        await page.goto(`${baseUrl}/s/${code.token}`);
        await expect
          .poll(() => page.getByTestId("correction-status").textContent())
          .toContain("新抬头：深圳合并更正科技有限公司）已提交");
      }
      expect(errors).toEqual([]);
    } finally {
      await app.ctx.database.db
        .update(receiptCodeConfigs)
        .set({ mergeEnabled: false })
        .where(eq(receiptCodeConfigs.orgId, orgId));
    }
  }, 120_000);
});
