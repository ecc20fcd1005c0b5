import { eq } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { systemActor } from "../../src/context";
import { createReceiptCode } from "../../src/modules/receipt-codes/receipt-codes.service";
import { receiptCodeConfigs, receiptCodes } from "../../src/platform/db/schema";
import { createTestApp, type TestApp } from "../support/app";
import { collectPageErrors, describeBrowser, launchBrowser, screenshotPath } from "../support/browser";
import { makeOrganization, makeUscc } from "../support/factories";

/**
 * 输入开票码 and 合并开票 on the consumer page, driven like a phone against the whole app: a typed
 * code opens the receipt's page; on it, other receipts added by code and by pasted link are shown
 * together and issued as one invoice, which every one of their pages then shows.
 */
const PHONE_UA =
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36";

describeBrowser("typed code and 合并开票 on a phone", () => {
  let app: TestApp;
  let browser: Browser;
  let baseUrl: string;
  let orgId: string;
  let serial = 0;

  beforeAll(async () => {
    app = await createTestApp("pglite");
    baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
    app.config.publicUrl = baseUrl;
    orgId = (await makeOrganization(app.ctx.database, { name: "合并示范餐饮有限公司" })).id;
    await app.ctx.database.db
      .update(receiptCodeConfigs)
      .set({ mergeEnabled: true, mergeMaxReceipts: 4 })
      .where(eq(receiptCodeConfigs.orgId, orgId));
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });
  const phones: BrowserContext[] = [];
  afterEach(async () => {
    for (const context of phones.splice(0)) await context.close();
  });

  /** A receipt of one line at the given amount. */
  function receiptCode(amount: string, name: string) {
    serial += 1;
    return createReceiptCode(app.ctx, {
      actor: systemActor("test"),
      orgId,
      source: "manual",
      input: {
        serialNo: `MRG-${Date.now()}-${serial}`,
        drawer: "张会计",
        lines: [{ name, shortName: "餐饮服务", taxCode: "3070401000000000000", taxRate: "0.06", amount }],
      },
    });
  }

  async function phone(): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({
      viewport: { width: 375, height: 740 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      userAgent: PHONE_UA,
      locale: "zh-CN",
      timezoneId: "Asia/Shanghai",
    });
    phones.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    collectPageErrors(page, errors);
    return { page, errors };
  }

  it("opens a receipt's page from its typed 开票码, and says so for a wrong one", async () => {
    const code = await receiptCode("58.00", "牛肉面");
    const { page, errors } = await phone();
    await page.goto(`${baseUrl}/s`);
    const input = page.getByTestId("short-code-input");
    await input.fill("XXX 999");
    await page.getByTestId("short-code-submit").click();
    await expect.poll(() => page.getByTestId("short-code-error").textContent()).toContain("没有找到该开票码");
    await page.screenshot({ path: screenshotPath("consumer-typed-code-375"), fullPage: true });

    // Typed as people do: lower case, a space in the middle.
    await input.fill(`${code.shortCode.slice(0, 3).toLowerCase()} ${code.shortCode.slice(3)}`);
    await page.getByTestId("short-code-submit").click();
    await page.waitForURL(`${baseUrl}/s/${code.token}`);
    await page.getByTestId("submit").waitFor();
    await expect(page.getByTestId("total-amount").first().textContent()).resolves.toBe("¥58.00");
    expect(errors).toEqual([]);
  });

  it("adds receipts by code and by link, shows them together, issues one invoice every page shows", async () => {
    const [a, b, c] = [
      await receiptCode("100.00", "午餐套餐"),
      await receiptCode("36.00", "鲜榨橙汁"),
      await receiptCode("64.00", "晚餐小食"),
    ];
    const disabled = await receiptCode("20.00", "米饭");
    await app.ctx.database.db
      .update(receiptCodes)
      .set({ status: "disabled" })
      .where(eq(receiptCodes.id, disabled.id));

    const { page, errors } = await phone();
    await page.goto(`${baseUrl}/s/${a.token}`);
    await page.getByTestId("submit").waitFor();
    await page.getByTestId("merge-open").click();

    // A receipt that cannot be added: the reason, in Chinese, and nothing added.
    await page.getByTestId("merge-input").fill(disabled.shortCode);
    await page.getByTestId("merge-add").click();
    await expect
      .poll(() => page.getByTestId("merge-error").textContent())
      .toBe(`小票 ${disabled.serialNo} 已被商家停用，不能合并`);

    await page.getByTestId("merge-input").fill(b.shortCode.toLowerCase());
    await page.getByTestId("merge-add").click();
    await expect.poll(() => page.getByTestId("merge-receipt").count()).toBe(1);
    await page.getByTestId("merge-input").fill(`${baseUrl}/s/${c.token}`);
    await page.getByTestId("merge-add").click();
    await expect.poll(() => page.getByTestId("merge-receipt").count()).toBe(2);
    const merged = page.getByTestId("merge-result");
    for (const line of ["午餐套餐", "鲜榨橙汁", "晚餐小食"]) {
      await expect(merged.getByText(line).isVisible()).resolves.toBe(true);
    }
    await expect(page.getByTestId("merge-total").getByTestId("total-amount").textContent()).resolves.toBe(
      "¥200.00",
    );
    // The submit bar says what the submit will invoice: all three.
    await expect(page.getByTestId("submit-total").textContent()).resolves.toBe("¥200.00");
    await page.screenshot({ path: screenshotPath("consumer-merge-375"), fullPage: true });

    await page.getByRole("radio", { name: "企业", exact: true }).check();
    await page.getByLabel("抬头名称").fill("杭州合并示例科技有限公司");
    await page.getByLabel("税号").fill(makeUscc());
    await page.getByLabel("电子邮箱").fill("buyer@example.com");
    await page.getByTestId("submit").click();
    await page.getByTestId("confirm-sheet-yes").click();
    await page.getByTestId("invoice").waitFor({ timeout: 20_000 });
    await expect(page.getByTestId("invoice-total").textContent()).resolves.toBe("¥200.00");
    const number = (await page.getByTestId("invoice-number").textContent())?.trim();
    expect(number).toMatch(/^\d{20}$/);
    await page.screenshot({ path: screenshotPath("consumer-merge-issued-375"), fullPage: true });

    // Every receipt's page now shows that invoice, not a form.
    for (const code of [b, c]) {
      const again = await page.context().newPage();
      await again.goto(`${baseUrl}/s/${code.token}`);
      await again.getByTestId("invoice").waitFor();
      await expect(again.getByTestId("invoice-number").textContent()).resolves.toBe(number);
      await expect(again.getByTestId("submit").count()).resolves.toBe(0);
      await again.close();
    }
    expect(errors).toEqual([]);
  });
});
