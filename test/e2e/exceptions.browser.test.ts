import { eq } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { demoLogin } from "../../src/modules/demo/demo.data";
import { seedDemo } from "../../src/modules/demo/demo.seed";
import { invoices, taxBureauAccounts } from "../../src/platform/db/schema";
import { createTestApp, type TestApp } from "../support/app";
import { consoleContext, describeBrowser, freshPage, launchBrowser, openConsole } from "../support/browser";
import { loginAs } from "../support/console";
import { makeReceiptCode, makeUscc } from "../support/factories";

/**
 * 异常中心 in Chromium: an invoice the channel refused shows on the page with its reason and the
 * menu's badge counts it; 重试 (the channel accepting again) issues it, and the row and the count go.
 */
describeBrowser("异常中心 in Chromium", () => {
  let app: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let baseUrl: string;
  let cookie: string;
  let orgId: string;
  const errors: string[] = [];

  beforeAll(async () => {
    app = await createTestApp("pglite");
    baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
    app.ctx.config.publicUrl = baseUrl;
    orgId = (await seedDemo(app.ctx, { onlyIfEmpty: false }))!.orgId;
    cookie = (await loginAs(app, demoLogin.username, demoLogin.password)).cookie;
    browser = await launchBrowser();
    context = await consoleContext(browser);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });
  afterEach(() => {
    expect(errors.splice(0)).toEqual([]);
  });

  const setChannel = (settings: object) =>
    app.ctx.database.db.update(taxBureauAccounts).set({ settings }).where(eq(taxBureauAccounts.orgId, orgId));
  const badge = () => page.getByTestId("badge-exceptions");
  /** The badge's number (none shown: nothing open). */
  const count = async () =>
    (await badge().count()) === 0 ? 0 : Number((await badge().textContent())?.replace(/\D/g, "") || "0");

  it("shows a failed invoice with its reason and retries it in one click", async () => {
    await setChannel({ mode: "reject", message: "购买方纳税人状态异常" });
    const code = await makeReceiptCode(app.ctx, orgId, { serialNo: `EXC-${Date.now()}` });
    const res = await app.http.inject({
      method: "POST",
      url: `/api/scan/${code.token}/submit`,
      payload: {
        invoiceType: "digital_special",
        buyer: { type: "enterprise", name: "上海浦江贸易有限公司", taxId: makeUscc("91310000") },
        email: "buyer@example.com",
      },
    });
    const invoice = res.json().invoices[0] as { id: string; status: string };
    expect(invoice.status).toBe("failed");

    page = await freshPage(context, baseUrl, errors);
    await openConsole(page, baseUrl, cookie, "/receipt-codes");
    // The menu counts it wherever the operator is.
    await badge().waitFor();
    const before = await count();
    expect(before).toBeGreaterThanOrEqual(1);
    await page.getByTestId("menu-exceptions").click();
    const row = page.getByRole("row", { name: /购买方纳税人状态异常/ });
    await row.waitFor();
    await expect.poll(() => row.textContent()).toContain("开具失败");
    await expect.poll(() => row.textContent()).toContain("上海浦江贸易有限公司");

    await setChannel({});
    await page.getByTestId(`exception-action-${invoice.id}`).click();
    await page.getByText("重试：已处理").waitFor();
    await row.waitFor({ state: "detached" });
    await expect.poll(count).toBe(before - 1);
    const [saved] = await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, invoice.id));
    expect(saved?.status).toBe("issued");
  }, 120_000);
});
