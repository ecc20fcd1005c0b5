import fs from "node:fs/promises";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { chinaDateCompact } from "../../src/domain";
import { createTestApp, type TestApp } from "../support/app";
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
 * The receipt-code form protects typed work and is quick with a keyboard; 开票项 are set up with a
 * 税收分类编码 search and an import that can skip bad rows (issue 20, items 6 and 7). Chromium at
 * 1440×900, each test on its own page.
 */
describeBrowser("the console's forms: typed work kept, items set up quickly", () => {
  let app: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let baseUrl: string;
  let orgId: string;
  let otherOrgId: string;
  let admin: ConsoleClient;
  const today = chinaDateCompact(new Date());
  const errors: string[] = [];

  beforeAll(async () => {
    app = await createTestApp("pglite");
    baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
    app.ctx.config.publicUrl = baseUrl;
    orgId = (await makeOrganization(app.ctx.database, { name: "票码表单酒店" })).id;
    otherOrgId = (await makeOrganization(app.ctx.database, { name: "票码第二分店" })).id;
    // Today's third code of POS-01 exists: the form suggests the fourth.
    await makeReceiptCode(app.ctx, orgId, { serialNo: `POS-01-${today}-0003` });
    const user = await makeUser(app.ctx.database, { orgIds: [orgId, otherOrgId] });
    admin = await loginAs(app, user.username, user.password);
    expect(
      (await admin.post(`/orgs/${orgId}/devices`, { deviceNo: "POS-01", name: "一号收银台" })).statusCode,
    ).toBe(201);
    const item = await admin.post(`/orgs/${orgId}/items`, {
      code: "MILK-1L",
      name: "纯牛奶",
      shortName: "乳制品",
      taxCode: "1030201000000000000",
      taxRate: "0.13",
      unit: "盒",
      unitPrice: "12.50",
    });
    expect(item.statusCode).toBe(201);
    browser = await launchBrowser();
    context = await consoleContext(browser, {
      viewport: { width: 1440, height: 900 },
      acceptDownloads: true,
    });
  });
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

  const option = (text: string) =>
    page.locator(".ant-select-dropdown:visible .ant-select-item-option").filter({ hasText: text }).first();
  const leaveDialog = () => page.locator(".ant-modal-confirm").filter({ hasText: "放弃未保存的修改" });
  /** Answers the leave question once it has finished opening (a click during the zoom-in can be lost). */
  const answerLeave = async (testId: "leave-cancel" | "leave-confirm") => {
    await dialogSettled(leaveDialog());
    await page.getByTestId(testId).click();
  };
  const path = () => new URL(page.url()).pathname;
  const pickMilk = async (line: number) => {
    await page.getByTestId(`line-${line}-item`).click();
    await page.keyboard.type("牛奶");
    await option("纯牛奶").click();
  };

  it("suggests the serial number, adds a line on Enter, saves on Ctrl+S, with the lines in view at 900 px", async () => {
    await openConsole(page, baseUrl, admin.cookie, "/receipt-codes/new");
    const serial = page.getByTestId("serial-no");
    await expect.poll(() => serial.inputValue()).toBe(`${today}-0001`);
    // The lines are on screen without scrolling: the optional fields are folded under 更多.
    const amount = await page.getByTestId("line-0-amount").boundingBox();
    expect(amount && amount.y + amount.height).toBeLessThan(900);
    expect(await page.getByTestId("remark").isVisible()).toBe(false);
    // Choosing the device counts on from that device's codes of today.
    await page.getByTestId("device-no").click();
    await option("POS-01").click();
    await expect.poll(() => serial.inputValue()).toBe(`POS-01-${today}-0004`);

    await page.getByTestId("drawer").fill("孙会计");
    await pickMilk(0);
    await page.getByTestId("line-0-quantity").fill("2");
    await page.getByTestId("line-0-amount").press("Enter");
    await page.getByTestId("line-1-amount").waitFor();
    // The new line's item picker has the focus: typing searches at once.
    await page.keyboard.type("牛奶");
    await option("纯牛奶").click();
    await page.getByTestId("line-1-quantity").fill("1");
    // Enter in a line that is not the last adds nothing.
    await page.getByTestId("line-0-amount").press("Enter");
    expect(await page.getByTestId("line-2-amount").count()).toBe(0);
    await expect.poll(() => page.getByTestId("total-amount").textContent()).toBe("¥37.50");

    await page.getByTestId("line-1-quantity").click();
    await page.keyboard.press("Control+s");
    await page.getByTestId("saved-url").waitFor();
    const saved = await admin.get(`/orgs/${orgId}/receipt-codes?serialNo=POS-01-${today}-0004`);
    expect(saved.json().items.map((c: { serialNo: string }) => c.serialNo)).toEqual([`POS-01-${today}-0004`]);
    // Saved work is not unsaved: 继续新增 opens a fresh form with the next suggestion, no question asked.
    await page.getByTestId("saved-add-another").click();
    await expect.poll(() => serial.inputValue()).toBe(`${today}-0001`);
    await page.getByTestId("device-no").click();
    await option("POS-01").click();
    await expect.poll(() => serial.inputValue()).toBe(`POS-01-${today}-0005`);
    // A typed number is the operator's: choosing the device again leaves it alone.
    await serial.fill("MY-OWN-1");
    await page.getByTestId("device-no").click();
    await option("POS-01").click();
    expect(await serial.inputValue()).toBe("MY-OWN-1");
    // ⌘S too; a duplicate is refused at the field by the server.
    await serial.fill(`POS-01-${today}-0004`);
    await page.getByTestId("drawer").fill("孙会计");
    await pickMilk(0);
    await page.keyboard.press("Meta+s");
    await expect
      .poll(() =>
        page
          .locator(".ant-form-item")
          .filter({ has: serial })
          .locator(".ant-form-item-explain-error")
          .textContent(),
      )
      .toBe("该小票流水号已存在");
  });

  it("asks before 取消, 返回列表, the browser's back, switching organization and closing the tab lose typed work", async () => {
    await openConsole(page, baseUrl, admin.cookie, "/receipt-codes");
    await page.getByRole("button", { name: /^新\s?增$/ }).click();
    await expect.poll(() => page.getByTestId("serial-no").inputValue()).toBe(`${today}-0001`);
    // Nothing typed yet (the suggested number is not work): 取消 leaves at once.
    await page.getByRole("button", { name: /^取\s?消$/ }).click();
    await expect.poll(path).toBe("/admin/receipt-codes");

    await page.getByRole("button", { name: /^新\s?增$/ }).click();
    const drawer = page.getByTestId("drawer");
    await drawer.click();
    await page.keyboard.type("赵");
    const typed = await drawer.inputValue();
    // 取消 → 继续编辑 keeps the page and what was typed.
    await page.getByRole("button", { name: /^取\s?消$/ }).click();
    // The context asks for reduced motion (consoleContext): the question is there without its zoom-in.
    await leaveDialog().waitFor();
    expect(await leaveDialog().evaluate((el) => el.closest(".ant-modal")?.className ?? "")).not.toMatch(
      /zoom/,
    );
    await answerLeave("leave-cancel");
    await leaveDialog().waitFor({ state: "hidden" });
    expect(path()).toBe("/admin/receipt-codes/new");
    expect(await drawer.inputValue()).toBe(typed);

    // The browser's back: the address comes back and the question is asked.
    await page.goBack();
    await leaveDialog().waitFor();
    expect(path()).toBe("/admin/receipt-codes/new");
    await answerLeave("leave-cancel");
    await leaveDialog().waitFor({ state: "hidden" });
    expect(await drawer.inputValue()).toBe(typed);

    // Switching the organization asks too, and staying keeps the organization.
    await page.getByTestId("org-switcher").click();
    await option("票码第二分店").click();
    await answerLeave("leave-cancel");
    await expect.poll(() => page.getByTestId("org-switcher").textContent()).toContain("票码表单酒店");
    expect(await drawer.inputValue()).toBe(typed);

    // Closing the tab: the browser's own question (beforeunload).
    const unload = page.waitForEvent("dialog");
    await page.close({ runBeforeUnload: true });
    const dialog = await unload;
    expect(dialog.type()).toBe("beforeunload");
    await dialog.dismiss();
    expect(page.isClosed()).toBe(false);

    // 返回列表 → 放弃修改并离开 leaves, and the list asks nothing more.
    await page.getByRole("button", { name: "返回列表" }).click();
    await answerLeave("leave-confirm");
    await expect.poll(path).toBe("/admin/receipt-codes");
    await page.getByTestId("menu-base-data").click();
    await expect.poll(path).toBe("/admin/base-data");
    expect(await leaveDialog().count()).toBe(0);
  });

  it("links the empty item picker to a new item, in a new tab that leaves the form as it is", async () => {
    await openConsole(page, baseUrl, admin.cookie, "/receipt-codes/new");
    await page.getByTestId("drawer").fill("钱会计");
    await page.getByTestId("line-0-item").click();
    await page.keyboard.type("不存在的商品");
    const link = page.getByTestId("item-picker-add");
    await link.waitFor();
    expect(await link.getAttribute("target")).toBe("_blank");
    const opened = context.waitForEvent("page");
    await link.click();
    const tab = await opened;
    await tab.getByTestId("item-code").waitFor();
    expect(new URL(tab.url()).search).toBe("?tab=items&new=1");
    await tab.close();
    expect(await page.getByTestId("drawer").inputValue()).toBe("钱会计");
  });

  it("fills 简称 and rate from a 税收分类编码 search by name or code prefix", async () => {
    await openConsole(page, baseUrl, admin.cookie, "/base-data?tab=items");
    await page.getByTestId("item-new").click();
    await page.getByTestId("item-code").fill("DINNER");
    await page.getByTestId("item-name").fill("晚餐");
    const search = page.locator(
      '[data-testid="tax-code-search"] input, input[data-testid="tax-code-search"]',
    );
    await search.click();
    await page.keyboard.type("30704");
    const options = page.locator(".ant-select-dropdown:visible .ant-select-item-option");
    await expect.poll(() => options.count()).toBe(2);
    await search.fill("");
    await page.keyboard.type("餐饮");
    await page.getByTestId("tax-code-option-3070401000000000000").click();
    expect(await search.inputValue()).toBe("3070401000000000000");
    expect(await page.getByTestId("item-short-name").inputValue()).toBe("餐饮服务");
    const rate = page
      .locator(".ant-modal .ant-form-item")
      .filter({ has: page.getByText("税率", { exact: true }) });
    await expect.poll(() => rate.textContent()).toContain("6%");
    await page
      .locator(".ant-modal-footer")
      .getByRole("button", { name: /^保\s?存$/ })
      .click();
    await page.locator(".ant-table-row").filter({ hasText: "DINNER" }).waitFor();
    const saved = (await admin.get(`/orgs/${orgId}/items?q=DINNER`)).json().items[0];
    expect(saved).toMatchObject({ shortName: "餐饮服务", taxCode: "3070401000000000000", taxRate: "0.06" });
  });

  it("imports with bad rows skipped and offers an error report of every problem of every row", async () => {
    await openConsole(page, baseUrl, admin.cookie, "/base-data?tab=items");
    await page.getByTestId("items-import").click();
    const csv = [
      "编码,项目名称,税收分类简称,税收分类编码,税率",
      "TEA,绿茶,茶饮料,1030201000000000000,13%",
      "BAD-1,,餐饮服务,307,6%",
      "BAD-2,洗衣,居民日常服务,3070500000000000000,7%",
    ].join("\n");
    const chooser = page.waitForEvent("filechooser");
    // Without skipping, nothing is imported and every problem is listed.
    await page.getByTestId("import-choose-file").click();
    await (await chooser).setFiles({ name: "items.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await page.getByTestId("import-refused").waitFor();
    const rows = page.getByTestId("import-errors").locator("tbody tr");
    await expect.poll(() => rows.count()).toBe(3);
    expect((await admin.get(`/orgs/${orgId}/items?q=TEA`)).json().total).toBe(0);

    await page.getByTestId("import-skip-bad-rows").click();
    const chooser2 = page.waitForEvent("filechooser");
    await page.getByTestId("import-choose-file").click();
    await (await chooser2).setFiles({ name: "items.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await expect
      .poll(() => page.getByTestId("import-summary").textContent())
      .toBe("新增 1 个，更新 0 个，跳过 2 行有误的数据");
    expect((await admin.get(`/orgs/${orgId}/items?q=TEA`)).json().total).toBe(1);
    expect(await rows.allTextContents()).toEqual([
      expect.stringMatching(/^3项目名称/),
      expect.stringMatching(/^3税收分类编码/),
      expect.stringMatching(/^4税率/),
    ]);

    const download = page.waitForEvent("download");
    await page.getByTestId("import-error-report").click();
    const file = await download;
    expect(file.suggestedFilename()).toBe("开票项导入错误报告.csv");
    const report = (await fs.readFile((await file.path()) as string, "utf8"))
      .replace(/^\uFEFF/, "")
      .split("\r\n");
    expect(report[0]).toBe("行号,列,错误说明");
    expect(report.slice(1).map((l) => l.split(",").slice(0, 2).join(","))).toEqual([
      "3,项目名称",
      "3,税收分类编码",
      "4,税率",
    ]);
    for (const line of report.slice(1)) expect(line.split(",")[2]).toMatch(/[\u4e00-\u9fa5]/);
  });
});
