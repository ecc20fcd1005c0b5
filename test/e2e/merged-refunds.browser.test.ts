import { eq } from "drizzle-orm";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { receiptCodeConfigs, receiptCodes } from "../../src/platform/db/schema";
import { createTestApp, submitAsCompany, type TestApp } from "../support/app";
import {
  collectPageErrors,
  consoleContext,
  describeBrowser,
  launchBrowser,
  openConsole,
  screenshotPath,
} from "../support/browser";
import { loginAs, makeUser } from "../support/console";
import { makeOrganization } from "../support/factories";
import { type AppKeys, makeCredentials, openRequest } from "../support/open-api";
import { PURCHASE_LINES } from "../support/refunds";

/**
 * A merchant's refund of one receipt of a merged invoice (合并开票), in the console: the invoice's
 * detail lists it under that receipt's order number, with what it took and that it was reversed
 * (the receipt code's own list is the console API's, refunds.merged.test.ts).
 */
describeBrowser("refund of a merged receipt in the console", () => {
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  let orgId: string;
  let keys: AppKeys;
  let cookie: string;
  const errors: string[] = [];

  beforeAll(async () => {
    app = await createTestApp("pglite");
    baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
    app.ctx.config.publicUrl = baseUrl;
    orgId = (await makeOrganization(app.ctx.database)).id;
    await app.ctx.database.db
      .update(receiptCodeConfigs)
      .set({ mergeEnabled: true })
      .where(eq(receiptCodeConfigs.orgId, orgId));
    keys = await makeCredentials(app, orgId);
    const user = await makeUser(app.ctx.database, { orgIds: [orgId] });
    cookie = (await loginAs(app, user.username, user.password)).cookie;
    browser = await launchBrowser();
    page = await (await consoleContext(browser)).newPage();
    collectPageErrors(page, errors);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it("shows the added receipt's refund on the merged invoice, under the receipt's order number", async () => {
    const push = async (orderNo: string, lines: unknown[]) => {
      const res = await openRequest(app, keys, {
        method: "POST",
        url: "/open/v1/receipt-codes",
        body: { orderNo, drawer: "张三", lines },
      });
      const { id, token } = res.json() as { id: string; token: string };
      const [row] = await app.ctx.database.db.select().from(receiptCodes).where(eq(receiptCodes.id, id));
      return { id, token, shortCode: row!.shortCode };
    };
    const { coffee, lunch, tea, cake } = PURCHASE_LINES;
    const a = await push("MRB-A", [coffee, lunch]);
    const b = await push("MRB-B", [tea, cake]);
    const submitted = await submitAsCompany(app, a.token, { mergeCodes: [b.shortCode] });
    const number = submitted.json().invoices[0].number as string;
    const refunded = await openRequest(app, keys, {
      method: "POST",
      url: "/open/v1/receipt-codes/MRB-B/refunds",
      body: { refundNo: "MRB-R1", reason: "销货退回", lines: [{ lineNo: 2 }] },
    });
    expect(refunded.json()).toMatchObject({ status: "reversing", totalAmount: "20.00" });

    await openConsole(page, baseUrl, cookie, "/invoices");
    await page.getByText(/共 \d+ 张/).waitFor();
    await page.getByTestId("filter-number").fill(number);
    await page.getByTestId("invoice-search").click();
    await page.getByTestId(`invoice-${number}`).click();
    const refunds = page.getByTestId("invoice-detail").getByTestId("refunds");
    const row = refunds.getByRole("row").filter({ hasText: "MRB-R1" });
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/MRB-R1.*MRB-B.*销货退回.*¥20\.00.*已红冲/);
    await page.waitForTimeout(400); // the drawer's slide-in, for the picture
    await page.screenshot({ path: screenshotPath("merged-refund-invoice") });

    expect(errors).toEqual([]);
  });
});
