import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/app";
import {
  consoleContext,
  describeBrowser,
  dialogSettled,
  fillDateRange,
  freshPage,
  launchBrowser,
  openConsole,
} from "../support/browser";
import { loginAs, makeUser } from "../support/console";
import { makeOrganization, makeReceiptCode } from "../support/factories";

/**
 * What a finance operator expects of the console (issue 20), in Chromium: a production build that
 * shows the page's shape while it loads, every problem of a form at its field as it is typed, Chinese
 * everywhere, and what each role may do. Each test starts on its own page, signed in beforehand.
 */
describeBrowser("the console a finance operator enjoys", () => {
  let app: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let baseUrl: string;
  let orgId: string;
  let adminCookie: string;
  const errors: string[] = [];

  beforeAll(async () => {
    app = await createTestApp("pglite");
    baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
    app.ctx.config.publicUrl = baseUrl;
    const org = await makeOrganization(app.ctx.database, { name: "票码测试酒店" });
    orgId = org.id;
    await makeReceiptCode(app.ctx, orgId, { serialNo: "F-0001" });
    const admin = await makeUser(app.ctx.database, { orgIds: [orgId] });
    const adminClient = await loginAs(app, admin.username, admin.password);
    adminCookie = adminClient.cookie;
    const item = await adminClient.post(`/orgs/${orgId}/items`, {
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
    context = await consoleContext(browser);
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

  it("loads compressed scripts and shows skeletons, not a spinner, while the session and the page load (item 4)", async () => {
    const encodings = new Map<string, string>();
    page.on("response", (r) => {
      const url = new URL(r.url());
      if (url.pathname.startsWith("/assets/") && url.pathname.endsWith(".js"))
        encodings.set(url.pathname, r.headers()["content-encoding"] ?? "none");
    });
    // The session answers late: the skeleton stands in for the console meanwhile.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route("**/api/console/session", async (route) => {
      await held;
      await route.continue();
    });
    const eq = adminCookie.indexOf("=");
    await context.addCookies([
      { name: adminCookie.slice(0, eq), value: adminCookie.slice(eq + 1), url: baseUrl },
    ]);
    await page.goto(`${baseUrl}/admin/receipt-codes`);
    await page.getByTestId("boot-skeleton").waitFor();
    expect(await page.locator(".ant-spin").count()).toBe(0);
    expect(await page.locator(".ant-skeleton-active").count()).toBeGreaterThan(0);
    release();
    await page.getByTestId("row-serial").filter({ hasText: "F-0001" }).waitFor();
    await page.unroute("**/api/console/session");
    // Every script of any size came compressed (brotli, which Chromium offers).
    const sent = [...encodings.entries()];
    expect(sent.length).toBeGreaterThan(3);
    const entry = sent.find(([p]) => p.startsWith("/assets/admin-"));
    expect(entry?.[1]).toBe("br");
  });

  it("shows a skeleton while a page's script is on its way (item 4)", async () => {
    await openConsole(page, baseUrl, adminCookie, "/receipt-codes");
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route("**/assets/audit-page-*.js", async (route) => {
      await held;
      await route.continue();
    });
    await page.getByTestId("menu-audit").click();
    await page.getByTestId("page-skeleton").waitFor();
    release();
    await page.getByTestId("page-skeleton").waitFor({ state: "detached" });
    await page.unroute("**/assets/audit-page-*.js");
  });

  const option = (text: string) =>
    page.locator(".ant-select-dropdown:visible .ant-select-item-option").filter({ hasText: text }).first();
  /** The error antd shows under the form field that holds `testId`. */
  const fieldError = (testId: string) =>
    page
      .locator(".ant-form-item")
      .filter({ has: page.getByTestId(testId) })
      .last()
      .locator(".ant-form-item-explain-error");

  it("checks the receipt-code form as it is typed: each problem at its field, the other amounts kept (item 1)", async () => {
    await openConsole(page, baseUrl, adminCookie, "/receipt-codes/new");
    await page.getByTestId("serial-no").fill("F-0002");
    await page.getByTestId("line-0-item").click();
    await page.keyboard.type("牛奶");
    await option("纯牛奶").click();
    await page.getByTestId("line-0-quantity").fill("4");
    await expect.poll(() => page.getByTestId("total-amount").textContent()).toBe("¥50.00");
    await page.getByTestId("add-discount").click();
    // A discount of 0, then +20, then more than the line: each said at the discount's own cell,
    // while the item row keeps its tax on screen.
    const discount = page.getByTestId("line-1-amount");
    await discount.fill("0");
    await expect.poll(() => fieldError("line-1-amount").textContent()).toBe("第2行折扣金额必须小于0");
    await expect(page.getByTestId("totals-pending").textContent()).resolves.toContain("1 处待修改");
    const itemTax = page.locator(".lines-table tbody tr").first().locator("td.money").last();
    await expect.poll(() => itemTax.textContent()).toBe("5.75");
    await discount.fill("+20");
    await expect.poll(() => fieldError("line-1-amount").textContent()).toContain("格式不正确");
    await discount.fill("-500");
    await expect
      .poll(() => fieldError("line-1-amount").textContent())
      .toContain("绝对值须小于被折扣行金额 50.00");
    await discount.fill("-5");
    await expect.poll(() => page.getByTestId("total-amount").textContent()).toBe("¥45.00");
    await expect.poll(() => fieldError("line-1-amount").count()).toBe(0);
    // 开票人 and the number are checked in the browser too.
    await page.getByTestId("drawer").fill("王");
    await page.getByTestId("drawer").fill("");
    await expect.poll(() => fieldError("drawer").textContent()).toBe("请填写开票人");
    await page.getByTestId("serial-no").fill("收银 1");
    await expect.poll(() => fieldError("serial-no").textContent()).toBe("小票流水号只能包含字母、数字和符号");
  });

  it("shows every problem at once on 保存 without asking the server, then the server's duplicate number at its field (item 1)", async () => {
    await openConsole(page, baseUrl, adminCookie, "/receipt-codes/new");
    let posted = 0;
    page.on("request", (r) => {
      if (r.method() === "POST" && r.url().endsWith("/receipt-codes")) posted += 1;
    });
    // The suggested number (item 6) cleared by hand: an empty one is refused in the browser.
    await expect.poll(() => page.getByTestId("serial-no").inputValue()).not.toBe("");
    await page.getByTestId("serial-no").fill("");
    await page.getByTestId("drawer").fill("");
    await page.getByTestId("save").click();
    await expect.poll(() => fieldError("serial-no").textContent()).toBe("请填写小票流水号");
    await expect.poll(() => fieldError("drawer").textContent()).toBe("请填写开票人");
    await expect.poll(() => fieldError("line-0-item").textContent()).toContain("不能为空");
    expect(posted).toBe(0);
    // Fixed in the browser; the number in use is only known to the server, shown at its field.
    await page.getByTestId("serial-no").fill("F-0001");
    await page.getByTestId("drawer").fill("王会计");
    await page.getByTestId("line-0-item").click();
    await page.keyboard.type("牛奶");
    await option("纯牛奶").click();
    await expect.poll(() => page.getByTestId("total-amount").textContent()).toBe("¥12.50");
    const answer = page.waitForResponse(
      (r) => r.request().method() === "POST" && r.url().endsWith("/receipt-codes"),
    );
    await page.getByTestId("save").click();
    expect((await answer).status()).toBe(409);
    await expect.poll(() => fieldError("serial-no").textContent()).toBe("该小票流水号已存在");
    expect(posted).toBe(1);
  });

  it("answers an empty 新增设备 in Chinese at its field, never zod's English (item 2)", async () => {
    await openConsole(page, baseUrl, adminCookie, "/base-data");
    await page.getByRole("tab", { name: "设备" }).click();
    await page.getByRole("button", { name: "新增设备" }).click();
    const dialog = page.getByRole("dialog");
    await dialogSettled(dialog);
    const answer = page.waitForResponse(
      (r) => r.request().method() === "POST" && r.url().endsWith("/devices"),
    );
    await dialog.getByRole("button", { name: /保\s*存/ }).click();
    expect((await answer).status()).toBe(422);
    const error = dialog.locator(".ant-form-item-explain-error").first();
    await error.waitFor();
    const text = (await error.textContent()) ?? "";
    expect(text).toMatch(/[\u4e00-\u9fa5]/);
    expect(text).not.toMatch(/Invalid|expected|received/i);
  });

  /** The error antd shows under the field labelled `label` of `scope` (a dialog). */
  const labelledItem = (scope: Locator, label: string) =>
    scope
      .locator(".ant-form-item")
      .filter({ has: scope.page().locator(".ant-form-item-label").getByText(label, { exact: true }) })
      .last();
  const labelledError = (scope: Locator, label: string) =>
    labelledItem(scope, label).locator(".ant-form-item-explain-error");
  /** The input of a field by its label (the page's own form may reuse the same ids, so not getByLabel). */
  const labelledInput = (scope: Locator, label: string) => labelledItem(scope, label).locator("input");
  /** Saves the dialog and waits for the server's refusal (422) of the POST to `path`. */
  const saveRefused = async (dialog: Locator, path: string) => {
    const answer = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith(path));
    await dialog.getByRole("button", { name: /保\s*存/ }).click();
    expect((await answer).status()).toBe(422);
  };

  it("refuses a bad 新增组织 with each field's own Chinese sentence (item 2)", async () => {
    await openConsole(page, baseUrl, adminCookie, "/base-data");
    await page.getByRole("button", { name: "新增组织" }).click();
    const dialog = page.getByRole("dialog").filter({ hasText: "新增组织" });
    await dialogSettled(dialog);
    // 销售方名称 left untouched (the form sends no key for it), a check digit that does not match,
    // an address over 200 characters, an e-mail without @.
    await labelledInput(dialog, "统一社会信用代码").fill("91310000MA1K000000");
    await labelledInput(dialog, "地址").fill("上海".repeat(101));
    await labelledInput(dialog, "联系邮箱").fill("finance.example.com");
    await saveRefused(dialog, "/orgs");
    await expect.poll(() => labelledError(dialog, "销售方名称").textContent()).toBe("请填写销售方名称");
    await expect
      .poll(() => labelledError(dialog, "统一社会信用代码").textContent())
      .toBe("统一社会信用代码格式或校验位不正确");
    await expect.poll(() => labelledError(dialog, "地址").textContent()).toBe("不能超过 200 个字符");
    await expect.poll(() => labelledError(dialog, "联系邮箱").textContent()).toBe("联系邮箱格式不正确");
    expect(await dialog.locator(".ant-alert-error").count()).toBe(0);
  });

  it("refuses a missing or blank 电子税局账号 name with its Chinese sentence (item 2)", async () => {
    await openConsole(page, baseUrl, adminCookie, "/base-data");
    await page.getByRole("tab", { name: "电子税局账号" }).click();
    await page.getByRole("button", { name: "新增账号" }).click();
    const dialog = page.getByRole("dialog").filter({ hasText: "新增电子税局账号" });
    await dialogSettled(dialog);
    // Never typed into (no key sent), then only spaces: the same sentence both times.
    await saveRefused(dialog, "/tax-accounts");
    await expect.poll(() => labelledError(dialog, "账号名称").textContent()).toBe("请填写账号名称");
    await labelledInput(dialog, "账号名称").fill("   ");
    await expect.poll(() => labelledError(dialog, "账号名称").count()).toBe(0);
    await saveRefused(dialog, "/tax-accounts");
    await expect.poll(() => labelledError(dialog, "账号名称").textContent()).toBe("请填写账号名称");
    expect(await dialog.locator(".ant-alert-error").count()).toBe(0);
  });

  it("refuses a bad 新增用户 with the user name's rule and the password's length in Chinese (item 2)", async () => {
    await openConsole(page, baseUrl, adminCookie, "/users");
    await page.getByRole("button", { name: "新增用户" }).click();
    const dialog = page.getByRole("dialog").filter({ hasText: "新增用户" });
    await dialogSettled(dialog);
    await labelledInput(dialog, "用户名").fill("王会计");
    await labelledInput(dialog, "初始密码").fill("1234567");
    await saveRefused(dialog, "/users");
    await expect
      .poll(() => labelledError(dialog, "用户名").textContent())
      .toBe("用户名为 3–64 位字母、数字或 _ . @ -");
    await expect.poll(() => labelledError(dialog, "初始密码").textContent()).toBe("密码至少 8 位");
    expect(await dialog.locator(".ant-alert-error").count()).toBe(0);
  });

  it("shows 操作日志 as readable labels, changes as before → after (item 2)", async () => {
    const admin = await makeUser(app.ctx.database, { orgIds: [orgId] });
    const client = await loginAs(app, admin.username, admin.password);
    const config = (await client.get(`/orgs/${orgId}/config`)).json();
    const saved = await client.put(`/orgs/${orgId}/config`, {
      limit: "12345.67",
      invoiceTypes: config.invoiceTypes,
      defaultInvoiceType: config.defaultInvoiceType,
      validDays: 45,
      overLimitPolicy: config.overLimitPolicy === "reject" ? "split" : "reject",
      defaultDrawer: config.defaultDrawer,
      defaultPayee: config.defaultPayee,
      defaultReviewer: config.defaultReviewer,
      defaultTaxAccountId: config.defaultTaxAccountId,
    });
    expect(saved.statusCode).toBe(200);
    const before = config.overLimitPolicy === "reject" ? "拒绝开票" : "拆分开票";
    const after = config.overLimitPolicy === "reject" ? "拆分开票" : "拒绝开票";
    await openConsole(page, baseUrl, adminCookie, "/audit");
    const row = page.getByRole("row").filter({ hasText: "修改小票码配置" }).first();
    await row.waitFor();
    const details = row.getByTestId("audit-details");
    await expect.poll(() => details.textContent()).toContain(`有效期（天）：${config.validDays} → 45`);
    expect(await details.textContent()).toContain(`超限额处理：${before} → ${after}`);
    expect(await details.textContent()).toContain("→ 12345.67");
    // No raw keys or values on the page.
    const all = (await page.locator("[data-testid=audit-details]").allTextContents()).join("\n");
    expect(all).not.toMatch(/overLimitPolicy|validDays|serialNo|\breject\b|\bsplit\b|manual/);
  });

  it("brings a 只读 user home to 发票管理, hides what it cannot use and answers 403 pages (item 8)", async () => {
    const viewer = await makeUser(app.ctx.database, { orgIds: [orgId], role: "viewer" });
    const cookie = (await loginAs(app, viewer.username, viewer.password)).cookie;
    await openConsole(page, baseUrl, cookie, "/");
    await expect.poll(() => new URL(page.url()).pathname).toBe("/admin/invoices");
    expect(await page.getByTestId("menu-users").count()).toBe(0);
    expect(await page.getByTestId("menu-audit").count()).toBe(0);
    await page.getByTestId("menu-receipt-codes").click();
    await page.getByTestId("row-serial").filter({ hasText: "F-0001" }).waitFor();
    expect(await page.getByRole("button", { name: /新\s*增/ }).count()).toBe(0);
    expect(await page.getByRole("button", { name: /禁\s*用/ }).count()).toBe(0);
    // Typed-in addresses of pages the role may not use: a 403 page with the way home.
    for (const path of ["/receipt-codes/new", "/users", "/audit"]) {
      await page.goto(`${baseUrl}/admin${path}`);
      await page.getByText("无权访问此页面").waitFor();
    }
    await page.getByRole("button", { name: "返回首页" }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe("/admin/invoices");
    // 修改密码 is in the user menu.
    await page.getByTestId("user-menu").click();
    await page.getByRole("menuitem", { name: "修改密码" }).waitFor();
  });

  it("filters 操作日志 by day, operator and action, and exports what is filtered (item 8)", async () => {
    const clerk = await makeUser(app.ctx.database, {
      orgIds: [orgId],
      role: "operator",
      username: `clerk${Date.now() % 100000}`,
      displayName: "出纳小周",
    });
    const client = await loginAs(app, clerk.username, clerk.password);
    const made = await client.post(`/orgs/${orgId}/receipt-codes`, {
      serialNo: "AUD-0001",
      drawer: "小周",
      lines: [
        {
          name: "纯牛奶",
          shortName: "乳制品",
          taxCode: "1030201000000000000",
          taxRate: "0.13",
          amount: "12.50",
        },
      ],
    });
    expect(made.statusCode).toBe(201);
    expect((await client.post(`/orgs/${orgId}/receipt-codes/${made.json().id}/disable`)).statusCode).toBe(
      200,
    );
    await openConsole(page, baseUrl, adminCookie, "/audit");
    await page.getByTestId("audit-operator").fill("小周");
    await page.getByTestId("list-search").click();
    await expect.poll(() => page.getByTestId("list-total").textContent()).toBe("共 2 条");
    const actions = page.locator("[data-testid=audit-table] tbody tr td:nth-child(3)");
    expect((await actions.allTextContents()).sort()).toEqual(["新增小票码", "禁用小票码"]);
    // Narrowed to one action.
    await page.getByTestId("audit-action").click();
    await page.keyboard.type("禁用小票码");
    await option("禁用小票码").click();
    await page.getByTestId("list-search").click();
    await expect.poll(() => page.getByTestId("list-total").textContent()).toBe("共 1 条");
    // The export holds what is filtered, in Chinese.
    const download = page.waitForEvent("download");
    await page.getByTestId("audit-export").click();
    const file = await (await download).path();
    const csv = (await import("node:fs")).readFileSync(file, "utf8");
    const lines = csv
      .replace(/^\uFEFF/, "")
      .trim()
      .split("\r\n");
    expect(lines[0]).toBe("时间,操作人,操作,详情");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain("出纳小周");
    expect(lines[1]).toContain("禁用小票码");
    expect(lines[1]).toContain("流水号：AUD-0001");
    // A day range that ends before today finds none of it.
    await page.getByRole("button", { name: /重\s*置/ }).click();
    await fillDateRange(page.getByTestId("audit-dates"), "2020-01-01", "2020-01-31");
    await page.getByTestId("list-search").click();
    await expect.poll(() => page.getByTestId("list-total").textContent()).toBe("共 0 条");
  });

  it("offers the last paper size chosen when printing a slip again (item 3, part)", async () => {
    await openConsole(page, baseUrl, adminCookie, "/receipt-codes");
    const row = page.getByRole("row").filter({ hasText: "F-0001" });
    await row.getByRole("button", { name: /打\s*印/ }).click();
    await page.getByTestId("slip-format").getByText("58 mm 热敏纸").click();
    await expect.poll(() => page.getByTestId("print-link").getAttribute("href")).toContain("format=58mm");
    await page
      .getByRole("dialog")
      .getByRole("button", { name: /取\s*消/ })
      .click();
    await page.reload();
    await row.getByRole("button", { name: /打\s*印/ }).click();
    await expect.poll(() => page.getByTestId("print-link").getAttribute("href")).toContain("format=58mm");
  });
});
