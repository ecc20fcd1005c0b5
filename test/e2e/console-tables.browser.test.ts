import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/app";
import {
  consoleContext,
  describeBrowser,
  freshPage,
  launchBrowser,
  openConsole,
  screenshotPath,
} from "../support/browser";
import { type ConsoleClient, loginAs, makeUser } from "../support/console";
import { makeOrganization, makeReceiptCode, makeUscc } from "../support/factories";
import { type MerchantServer, makeCredentials, startMerchant } from "../support/open-api";

/**
 * The console's tables at 1280×800 (issue 20 item 10): the list pages fit without a horizontal
 * scroll bar, a long 购买方 or 小票流水号 is cut with an ellipsis and shown whole in a tooltip, money
 * has two decimals, a focused field is outlined in a calm colour (red is for errors), the sidebar
 * folds to its icons and stays folded after a reload, and 事件通知记录 names the invoice by its
 * number and delivers an event again (重新投递) to a real receiver on loopback.
 */
describeBrowser("the console's tables at 1280 px in Chromium", () => {
  let app: TestApp;
  let merchant: MerchantServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let baseUrl: string;
  let orgId: string;
  let admin: ConsoleClient;
  let issued: { id: string; number: string };
  const errors: string[] = [];
  const LONG_BUYER = "深圳市前海深港现代服务业合作区某某供应链管理与国际贸易有限公司第二分公司";
  const LONG_SERIAL = "POS-03-20261204-FRONTDESK-000123456789";

  const submit = async (token: string, buyerName: string) => {
    const res = await app.http.inject({
      method: "POST",
      url: `/api/scan/${token}/submit`,
      payload: {
        invoiceType: "digital_normal",
        buyer: { type: "enterprise", name: buyerName, taxId: makeUscc("91440300") },
        email: "buyer@example.com",
      },
    });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json();
  };

  beforeAll(async () => {
    merchant = await startMerchant((_r, res) => {
      res.end("ok");
    });
    app = await createTestApp("pglite", { env: { PIAOMA_ALLOW_PRIVATE_URLS: "true" } });
    baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
    orgId = (
      await makeOrganization(app.ctx.database, {
        name: "杭州票码示范餐饮管理有限公司",
        webhookUrl: `${merchant.url}/hooks`,
      })
    ).id;
    await makeCredentials(app, orgId);
    const user = await makeUser(app.ctx.database, { role: "admin", orgIds: [orgId], displayName: "王财务" });
    admin = await loginAs(app, user.username, user.password);

    // One invoice issued at once (its event goes to the receiver) …
    const first = await submit((await makeReceiptCode(app.ctx, orgId)).token, "上海某某科技有限公司");
    expect(first.status).toBe("issued");
    issued = { id: first.invoices[0].id, number: first.invoices[0].number };
    // … then a rule holds the next one for 待审核, with a long buyer and serial number.
    expect((await admin.post(`/orgs/${orgId}/review-rules`, { minAmount: "500.00" })).statusCode).toBe(201);
    const held = await makeReceiptCode(app.ctx, orgId, { serialNo: LONG_SERIAL });
    await submit(held.token, LONG_BUYER);
    const waiting = await admin.get(`/orgs/${orgId}/invoices?status=awaiting_review`);
    expect(waiting.json().total).toBe(1);

    browser = await launchBrowser();
    context = await consoleContext(browser);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await merchant?.close();
  });
  beforeEach(async () => {
    page = await freshPage(context, baseUrl, errors);
  });
  afterEach(() => {
    expect(errors.splice(0)).toEqual([]);
  });

  const open = (path: string) => openConsole(page, baseUrl, admin.cookie, path);
  /** How far the page, and each table's own scroll box, is wider than what shows. */
  const overflow = () =>
    page.evaluate(() => {
      const root = document.scrollingElement ?? document.documentElement;
      const boxes = [...document.querySelectorAll<HTMLElement>(".ant-table-content, .ant-table-body")];
      const wide = [...document.querySelectorAll<HTMLElement>("body *")]
        .filter((e) => e.getBoundingClientRect().right > root.clientWidth + 1)
        .slice(0, 3)
        .map((e) => `${e.tagName}.${e.className}`);
      return {
        page: root.scrollWidth - root.clientWidth,
        ...(wide.length ? { wide } : {}),
        tables: boxes.map((b) => b.scrollWidth - b.clientWidth).filter((d) => d > 1),
      };
    });

  it("the list pages fit 1280 px without a horizontal scroll", async () => {
    const pages: Array<[string, string | null]> = [
      ["/review", "review-table"],
      ["/corrections", "corrections-table"],
      ["/exceptions", "exceptions-table"],
      ["/store-codes", "pending-table"],
      ["/users", "users-table"],
      ["/audit", "audit-table"],
      ["/base-data?tab=tax", null],
      ["/base-data?tab=items", "items-table"],
      ["/open-api", null],
      ["/receipt-codes", null],
      ["/invoices", null],
    ];
    for (const [path, table] of pages) {
      await open(path);
      if (table) await page.getByTestId(table).waitFor();
      else await page.locator(".ant-table").first().waitFor();
      if (path === "/open-api") {
        await page.getByRole("tab", { name: "事件通知记录" }).click();
        await page.getByTestId("webhook-events").locator("tr.ant-table-row").first().waitFor();
      }
      expect(await overflow(), path).toEqual({ page: 0, tables: [] });
    }
  }, 120_000);

  it("a cut 购买方 and 小票流水号 show whole in a tooltip; money has two decimals", async () => {
    await open("/review");
    const row = page.getByTestId("review-table").locator("tr.ant-table-row").first();
    await row.waitFor();
    for (const text of [LONG_BUYER, LONG_SERIAL]) {
      const cell = row.locator(".cell-text", { hasText: text });
      // Cut: the text is wider than its cell, which keeps one line.
      expect(await cell.evaluate((e) => e.scrollWidth > e.clientWidth)).toBe(true);
      await cell.hover();
      await page.locator(".ant-tooltip:visible", { hasText: text }).waitFor();
      await page.mouse.move(0, 0);
      await expect.poll(() => page.locator(".ant-tooltip:visible").count()).toBe(0);
    }
    const amount = row.locator("td.money");
    expect((await amount.innerText()).trim()).toBe("¥800.00");
    await page.screenshot({ path: screenshotPath("console-tables-review") });

    // The invoice list and the receipt-code list cut them the same way.
    const showsWhole = async (cell: ReturnType<typeof page.locator>, text: string) => {
      expect(await cell.evaluate((e) => e.scrollWidth > e.clientWidth)).toBe(true);
      await cell.hover();
      await page.locator(".ant-tooltip:visible", { hasText: text }).waitFor();
      await page.mouse.move(0, 0);
      await expect.poll(() => page.locator(".ant-tooltip:visible").count()).toBe(0);
    };
    await open("/invoices");
    const invoiceRow = page.locator("tr.ant-table-row", { hasText: LONG_SERIAL });
    await invoiceRow.waitFor();
    await showsWhole(invoiceRow.locator(".cell-text", { hasText: LONG_BUYER }), LONG_BUYER);
    await showsWhole(invoiceRow.locator(".cell-text", { hasText: LONG_SERIAL }), LONG_SERIAL);
    await open("/receipt-codes");
    const serial = page.getByTestId("row-serial").filter({ hasText: LONG_SERIAL });
    await serial.waitFor();
    await showsWhole(serial, LONG_SERIAL);

    // The statistics show money the same way.
    await open("/stats");
    await expect
      .poll(async () => (await page.getByTestId("kpi-amount").innerText()).replace(/\s/g, ""))
      .toMatch(/¥\d{1,3}(,\d{3})*\.\d{2}$/);
  }, 60_000);

  it("a focused field is outlined in the calm primary colour, not red", async () => {
    await open("/audit");
    const input = page.getByTestId("audit-operator");
    await input.click();
    const { border, shadow } = await input.evaluate((e) => {
      const box = e.closest(".ant-input-affix-wrapper") ?? e;
      const s = getComputedStyle(box);
      return { border: s.borderColor, shadow: s.boxShadow };
    });
    const rgb = (css: string) =>
      (css.match(/\d+/g) ?? []).slice(0, 3).map(Number) as [number, number, number];
    const [r, , b] = rgb(border);
    // Blue dominates; nothing of the brand's red (#c0392b) in the outline or its glow.
    expect(b).toBeGreaterThan(r);
    expect(border).not.toContain("192, 57, 43");
    expect(shadow).not.toMatch(/192, 57, 43|255, 77, 79/);
  });

  it("the sidebar folds to its icons and stays folded after a reload", async () => {
    await open("/review");
    const sider = page.getByTestId("console-sider");
    const width = async () => Math.round((await sider.boundingBox())?.width ?? 0);
    expect(await width()).toBe(208);
    // Every menu entry has its icon.
    expect(await sider.locator(".ant-menu-item").count()).toBe(
      await sider.locator(".ant-menu-item .anticon").count(),
    );
    await page.getByTestId("sider-toggle").click();
    await expect.poll(width).toBe(64);
    await page.reload();
    await page.getByTestId("review-table").waitFor();
    expect(await width()).toBe(64);
    // Folded, the work area is wider and the menu still leads to the pages.
    await sider
      .locator(".ant-menu-item")
      .filter({ has: page.locator(".anticon-audit") })
      .click();
    await page.getByTestId("audit-table").waitFor();
    await page.screenshot({ path: screenshotPath("console-tables-folded") });
    await page.getByTestId("sider-toggle").click();
    await expect.poll(width).toBe(208);
    await page.reload();
    await page.getByTestId("audit-table").waitFor();
    expect(await width()).toBe(208);
  });

  it("事件通知记录 names the invoice by its number, and 重新投递 delivers the event again", async () => {
    const received = () =>
      merchant.received.filter((r) => r.url === "/hooks").map((r) => JSON.parse(r.body) as { id: string });
    await expect.poll(() => received().length, { timeout: 20_000 }).toBe(1);
    const eventId = received()[0]!.id;

    await open("/open-api");
    await page.getByRole("tab", { name: "事件通知记录" }).click();
    const table = page.getByTestId("webhook-events");
    const row = table.locator("tr.ant-table-row", { hasText: eventId });
    await row.getByText("已送达").waitFor();
    expect((await row.getByTestId("event-invoice").innerText()).trim()).toBe(issued.number);
    // The internal id is not what an operator reads.
    expect(await table.innerText()).not.toContain(issued.id);
    expect(await row.getByTestId("event-attempts").getAttribute("data-count")).toBe("1");

    await row.getByTestId(`redeliver-${eventId}`).click();
    await page.getByText("已重新投递（第 2 次）").waitFor();
    await expect.poll(() => received().length, { timeout: 20_000 }).toBe(2);
    expect(received()[1]!.id).toBe(eventId);
    await expect
      .poll(() => row.getByTestId("event-attempts").getAttribute("data-count"), { timeout: 20_000 })
      .toBe("2");
    await row.getByText("已送达").waitFor();
    await row.locator(".ant-table-row-expand-icon").click();
    await page.getByTestId(`attempts-${eventId}`).getByText("第 2 次").waitFor();
    await page.screenshot({ path: screenshotPath("console-tables-events") });
  }, 60_000);
});
