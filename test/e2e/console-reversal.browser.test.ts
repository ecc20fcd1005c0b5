import { eq } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { taxBureauAccounts } from "../../src/platform/db/schema";
import { createTestApp, submitAsCompany, type TestApp } from "../support/app";
import {
  consoleContext,
  describeBrowser,
  dialogSettled,
  freshPage,
  launchBrowser,
  openConsole,
} from "../support/browser";
import { type ConsoleClient, loginAs, makeUser } from "../support/console";
import { makeOrganization, makeReceiptCode } from "../support/factories";

/**
 * 红冲 as a finance operator completes it in Chromium (issue 20, item 9): 红冲并重开 with a corrected
 * buyer name, the list showing the red invoice and the corrected blue one; and a red invoice waiting
 * for its 红字确认单 (a sandbox account that requires one), confirmed through the console's sandbox
 * button, then issued. The invoices are made through the consumer API before the tests.
 */
describeBrowser("红冲并重开 and the 红字确认单 in the console", () => {
  let app: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let baseUrl: string;
  let orgId: string;
  let client: ConsoleClient;
  /** An issued blue invoice the operator reissues to a corrected buyer. */
  const reissued = { serialNo: `RE-${Date.now()}`, number: "" };
  /** A red invoice waiting for the buyer's confirmation (its blue one still issued). */
  const pending = { serialNo: `RC-${Date.now()}`, blueNumber: "", redId: "" };
  const errors: string[] = [];

  beforeAll(async () => {
    app = await createTestApp("pglite");
    baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
    app.ctx.config.publicUrl = baseUrl;
    const org = await makeOrganization(app.ctx.database, { name: "票码红冲测试酒店" });
    orgId = org.id;
    const admin = await makeUser(app.ctx.database, { orgIds: [orgId] });
    client = await loginAs(app, admin.username, admin.password);
    const issued = async (serialNo: string) => {
      const code = await makeReceiptCode(app.ctx, orgId, { serialNo });
      const res = await submitAsCompany(app, code.token);
      expect(res.json().status, res.body).toBe("issued");
      return res.json().invoices[0] as { id: string; number: string };
    };
    reissued.number = (await issued(reissued.serialNo)).number;
    // The sandbox account requires a 红字确认单 while this one is reversed: the red invoice waits.
    const blue = await issued(pending.serialNo);
    pending.blueNumber = blue.number;
    const requireConfirmation = (on: boolean) =>
      app.ctx.database.db
        .update(taxBureauAccounts)
        .set({ settings: on ? { redConfirmation: "required" } : {} })
        .where(eq(taxBureauAccounts.orgId, orgId));
    await requireConfirmation(true);
    const red = await client.post(`/orgs/${orgId}/invoices/${blue.id}/reverse`, { reason: "销货退回" });
    expect(red.statusCode, red.body).toBe(201);
    expect(red.json()).toMatchObject({
      status: "confirmation_pending",
      redConfirmation: { status: "pending" },
    });
    pending.redId = red.json().id;
    await requireConfirmation(false);
    browser = await launchBrowser();
    context = await consoleContext(browser);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });
  beforeEach(async () => {
    page = await freshPage(context, baseUrl, errors);
  });
  afterEach(() => {
    expect(errors.splice(0)).toEqual([]);
  });

  /** 发票管理 filtered by a receipt's 小票流水号, `count` invoices listed. */
  const listBySerial = async (serialNo: string, count: number) => {
    await page.getByLabel("小票流水号").fill(serialNo);
    await page.getByTestId("invoice-search").click();
    await page.getByText(`共 ${count} 张`).waitFor();
  };
  const rows = () => page.locator(".ant-table-tbody tr.ant-table-row");
  const detail = () => page.getByTestId("invoice-detail");

  it("红冲并重开: the title corrected, the list shows the red invoice and the corrected blue one, the details link them", async () => {
    await openConsole(page, baseUrl, client.cookie, "/invoices");
    await listBySerial(reissued.serialNo, 1);
    await page.getByTestId(`invoice-${reissued.number}`).click();
    await detail().getByText("上海某某科技有限公司").waitFor();
    await page.getByTestId("reverse").click();
    const dialog = page.locator(".ant-modal").filter({ hasText: "红冲方式" });
    await dialogSettled(dialog);
    await dialog.getByTestId("reverse-mode").getByText("红冲并重开").click();
    const name = dialog.getByTestId("reissue-name");
    await expect.poll(() => name.inputValue()).toBe("上海某某科技有限公司");
    await name.fill("上海某某信息技术有限公司");
    const answer = page.waitForResponse(
      (r) => r.request().method() === "POST" && r.url().endsWith("/reissue"),
    );
    await page.locator("#confirm-reverse").click();
    expect((await answer).status()).toBe(201);
    await page.getByText("已红冲，并按新的购买方重新开具").waitFor();
    // The old invoice, reloaded in the drawer: reversed, its red invoice linked.
    await detail().getByTestId("invoice-status").getByText("已红冲").waitFor();
    const redNumber = (await page.getByTestId("open-red").textContent()) ?? "";
    expect(redNumber).toMatch(/^\d{20}$/);

    // The list of the purchase: the reversed blue, its red, the corrected blue one.
    await page.keyboard.press("Escape");
    await detail().waitFor({ state: "detached" });
    await listBySerial(reissued.serialNo, 3);
    const text = async (n: string) =>
      (await rows()
        .filter({ has: page.getByTestId(`invoice-${n}`) })
        .textContent()) ?? "";
    expect(await text(reissued.number)).toContain("已红冲");
    expect(await text(reissued.number)).toContain("上海某某科技有限公司");
    const red = await text(redNumber);
    expect(red).toContain("红字");
    expect(red).toContain("-¥");
    const corrected = rows().filter({ hasText: "上海某某信息技术有限公司" });
    await expect(corrected.count()).resolves.toBe(1);
    expect(await corrected.textContent()).toContain("已开具");
    expect(await corrected.textContent()).not.toContain("红字");

    // The corrected invoice names the one it replaced; the old one links to it.
    await corrected.locator("a").first().click();
    await detail().getByTestId("reissue-of").getByText(reissued.number).click();
    await detail().getByTestId("reissued-as").waitFor();
    const correctedNumber = (await detail().getByTestId("reissued-as").locator("a").textContent()) ?? "";
    expect(correctedNumber).toMatch(/^\d{20}$/);
    expect(correctedNumber).not.toBe(reissued.number);
    expect(await corrected.textContent()).toContain(correctedNumber);
    await page.keyboard.press("Escape");
    await detail().waitFor({ state: "detached" });
    // The red invoice's detail names the blue one it reverses, and opens it.
    await page.getByTestId(`invoice-${redNumber}`).click();
    await detail().getByText(`对应蓝字发票 ${reissued.number}`).waitFor();
    await detail().locator("a", { hasText: reissued.number }).click();
    await expect.poll(() => detail().getByTestId("open-red").textContent()).toBe(redNumber);
  });

  it("shows a red invoice's 红字确认单 待确认, confirmed through 沙箱：购买方确认, then issued", async () => {
    await openConsole(page, baseUrl, client.cookie, "/invoices");
    await listBySerial(pending.serialNo, 2);
    // The list says the 确认单 waits.
    await expect.poll(() => page.getByTestId("red-confirmation-tag").textContent()).toBe("确认单待确认");
    await page.getByTestId(`invoice-${pending.redId}`).click();
    const confirmation = detail().getByTestId("red-confirmation");
    await expect.poll(() => confirmation.getByTestId("red-confirmation-status").textContent()).toBe("待确认");
    expect(await detail().getByTestId("invoice-status").textContent()).toBe("待确认");
    await detail().getByText(`对应蓝字发票 ${pending.blueNumber}`).waitFor();
    await page.getByTestId("sandbox-confirm").click();
    await page.getByText(/确认单已确认，红字发票号码 \d{20}/).waitFor();
    await expect.poll(() => confirmation.getByTestId("red-confirmation-status").textContent()).toBe("已确认");
    expect(await detail().getByTestId("invoice-status").textContent()).toBe("已开具");
    expect(await page.getByTestId("sandbox-confirm").count()).toBe(0);
    // The blue invoice is reversed now.
    await detail().locator("a", { hasText: pending.blueNumber }).click();
    await detail().getByTestId("invoice-status").getByText("已红冲").waitFor();
  });
});
