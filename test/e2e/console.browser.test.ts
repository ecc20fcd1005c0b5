import fs from "node:fs/promises";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { chinaDateIso } from "../../src/domain";
import { demoLogin } from "../../src/modules/demo/demo.data";
import { seedDemo } from "../../src/modules/demo/demo.seed";
import { createTestApp, type TestApp } from "../support/app";
import {
  consoleContext,
  describeBrowser,
  fillDateRange,
  freshPage,
  launchBrowser,
  openConsole,
  screenshotPath,
} from "../support/browser";
import { loginAs, makeUser } from "../support/console";
import { makeOrganization } from "../support/factories";
import { decodeQrCodes, describeWithTools, pdfToPngs } from "../support/system-tools";

/**
 * The operator's whole day in Chromium: log in, configure the organization, create an item, create
 * a receipt code with two lines and a discount, see the totals, preview, save, copy, disable the
 * copy, print the original, and follow the printed QR to the consumer page. Screenshots of every
 * page go to dist/screenshots for a person to look at.
 *
 * Each step starts on its own page (a fresh browser context, signed in through the API), and what it
 * builds on — the milk item, the configured drawer, an original code, a copy and a disabled code
 * for the audit log — is made through the console API beforehand: one step failing (a dialog left
 * open on a loaded machine) fails that step only.
 */
describeBrowser("console in Chromium", () => {
  describeWithTools(["pdftoppm", "zbarimg"], "operator flow", () => {
    let app: TestApp;
    let browser: Browser;
    let baseUrl: string;
    let orgId: string;
    /** The code the later steps copy, filter and print, made before them: 价税合计 821.00. */
    let original: { serialNo: string; url: string };
    /** demo's session, made once: each step opens its page in it. */
    let demoCookie: string;
    let context: BrowserContext;
    let page: Page;
    const errors: string[] = [];

    beforeAll(async () => {
      app = await createTestApp("pglite");
      baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
      // The QR must lead to this very server.
      app.ctx.config.publicUrl = baseUrl;
      orgId = (await seedDemo(app.ctx, { onlyIfEmpty: false }))!.orgId;
      const demo = await loginAs(app, demoLogin.username, demoLogin.password);
      demoCookie = demo.cookie;
      const ok = async (res: Promise<{ statusCode: number; body: string }>) => {
        const answer = await res;
        if (answer.statusCode >= 300) throw new Error(`fixture refused: ${answer.statusCode} ${answer.body}`);
        return JSON.parse(answer.body);
      };
      await ok(
        demo.post(`/orgs/${orgId}/items`, {
          code: "MILK-1L",
          name: "纯牛奶",
          shortName: "乳制品",
          taxCode: "1030201000000000000",
          taxRate: "0.13",
          unit: "盒",
          unitPrice: "12.50",
        }),
      );
      const config = await ok(demo.get(`/orgs/${orgId}/config`));
      await ok(
        demo.put(`/orgs/${orgId}/config`, {
          limit: config.limit,
          invoiceTypes: config.invoiceTypes,
          defaultInvoiceType: config.defaultInvoiceType,
          validDays: config.validDays,
          overLimitPolicy: config.overLimitPolicy,
          defaultDrawer: "李会计",
          defaultPayee: config.defaultPayee,
          defaultReviewer: config.defaultReviewer,
          defaultTaxAccountId: config.defaultTaxAccountId,
        }),
      );
      // 776.00 at 6% and 50.00 − 5.00 at 13%: the same purchase the form step types in.
      const lines = [
        {
          name: "标准间",
          shortName: "住宿服务",
          taxCode: "3070402000000000000",
          taxRate: "0.06",
          unit: "间夜",
          quantity: "2",
          unitPrice: "388.00",
        },
        {
          name: "纯牛奶",
          shortName: "乳制品",
          taxCode: "1030201000000000000",
          taxRate: "0.13",
          unit: "盒",
          quantity: "4",
          unitPrice: "12.50",
        },
        { kind: "discount", amount: "-5.00" },
      ];
      const made = await ok(demo.post(`/orgs/${orgId}/receipt-codes`, { serialNo: "POS-00-0001", lines }));
      expect(made.totals.totalAmount).toBe("821.00");
      original = { serialNo: made.serialNo, url: made.url };
      const copy = await ok(
        demo.post(`/orgs/${orgId}/receipt-codes`, { serialNo: "POS-00-0002", lines, copiedFromId: made.id }),
      );
      await ok(demo.post(`/orgs/${orgId}/receipt-codes/${copy.id}/disable`));
      const slip = await demo.get(`/orgs/${orgId}/receipt-codes/${made.id}/slip.pdf?format=80mm`);
      expect(slip.statusCode).toBe(200);
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
      // No uncaught error or CSP violation on any page of the step.
      expect(errors.splice(0)).toEqual([]);
    });
    const signIn = (path: string) => openConsole(page, baseUrl, demoCookie, path);

    const option = (text: string) =>
      page.locator(".ant-select-dropdown:visible .ant-select-item-option").filter({ hasText: text }).first();
    /** Screenshots wait for transient toasts and closing dialogs, so they show the page itself. */
    const shot = async (name: string, options: { top?: boolean } = {}) => {
      await expect.poll(() => page.locator(".ant-message-notice").count(), { timeout: 10_000 }).toBe(0);
      await expect.poll(() => page.locator(".ant-modal-wrap:visible .ant-modal-confirm").count()).toBe(0);
      if (options.top) await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: screenshotPath(name) });
    };

    it("logs in and configures the organization, refusing a bad limit at its field", async () => {
      await page.goto(`${baseUrl}/admin/`);
      await expect(page.title()).resolves.toBe("票码 · 开票管理控制台");
      await page.getByText("账号登录").waitFor();
      await shot("console-login");
      await page.getByLabel("用户名").fill("demo");
      await page.getByLabel("密码").fill("wrong-password");
      await page.getByRole("button", { name: "登 录" }).click();
      await page.getByText("用户名或密码错误").waitFor();
      await page.getByLabel("密码").fill("piaoma-demo");
      await page.getByRole("button", { name: "登 录" }).click();
      await page.getByTestId("menu-receipt-codes").waitFor();

      await page.getByTestId("menu-config").click();
      await page.getByTestId("seller-info").getByText("91440300PMDEM0017W").waitFor();
      await page.getByTestId("config-limit").fill("123456789012345678901");
      await page.getByRole("button", { name: "保 存" }).click();
      await page.getByText("限额最多 20 个字符").waitFor();
      await page.getByTestId("config-limit").fill("20000.00");
      await page.getByLabel("默认开票人").fill("李会计");
      // The organization's consumers start as 个人 (the printed code's page shows it, below).
      await page.getByRole("radio", { name: "个人" }).check();
      await page.getByRole("button", { name: "保 存" }).click();
      await page.getByText("小票码配置已保存").waitFor();
      await shot("console-config", { top: true });
    }, 60_000);

    it("creates an item in 基础资料", async () => {
      await signIn("/base-data");
      await page.getByText("销售方名称").first().waitFor();
      await shot("console-base-data-organization");
      await page.getByRole("tab", { name: "电子税局账号" }).click();
      await page.getByText("沙箱税局账号").waitFor();
      await shot("console-base-data-tax-accounts");
      await page.getByRole("tab", { name: "设备" }).click();
      await page.getByText("前台收银 1 号机").waitFor();
      await shot("console-base-data-devices");
      await page.getByRole("tab", { name: "开票项" }).click();
      await page.getByRole("button", { name: "新增开票项" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.locator("#code").fill("YOGURT-200");
      await dialog.locator("#name").fill("原味酸奶");
      await dialog.locator("#shortName").fill("乳制品");
      await dialog.locator("#taxCode").fill("103020100000");
      await dialog.locator("#unit").fill("杯");
      await dialog.locator("#unitPrice").fill("6.50");
      await dialog.getByRole("button", { name: "保 存" }).click();
      await dialog.getByText("税收分类编码应为19位数字").waitFor();
      await dialog.locator("#taxCode").fill("1030201000000000000");
      await dialog.getByRole("button", { name: "保 存" }).click();
      // Saved and closed (the closing modal would take the clicks of the next steps).
      await dialog.waitFor({ state: "hidden" });
      await page.getByRole("cell", { name: "原味酸奶" }).waitFor();
      const search = page.getByPlaceholder("搜索名称、编码、简称或税收分类编码");
      await search.fill("酸奶");
      await search.press("Enter");
      await expect.poll(() => page.locator("tr.ant-table-row:visible").count()).toBe(1);
      await page.locator("tr.ant-table-row:visible").getByText("YOGURT-200").waitFor();
      await shot("console-base-data-items");
    }, 60_000);

    it("creates a receipt code with two lines and a discount, sees the totals, previews and saves", async () => {
      await signIn("/receipt-codes");
      await page.getByRole("button", { name: "新 增" }).click();
      await page.getByTestId("serial-no").fill("POS-01-0001");
      await expect(page.getByTestId("drawer").inputValue()).resolves.toBe("李会计");

      await page.getByTestId("line-0-item").click();
      await page.keyboard.type("标准间");
      await option("标准间").click();
      await page.getByTestId("line-0-quantity").fill("2");

      await page.getByTestId("add-line").click();
      await page.getByTestId("line-1-item").click();
      await page.keyboard.type("牛奶");
      await option("纯牛奶").click();
      await page.getByTestId("line-1-quantity").fill("4");
      await page.getByTestId("add-discount").click();
      await page.getByTestId("line-2-amount").fill("-5.00");

      // 776.00 at 6% → 732.08 + 43.92; 50.00 at 13% → 44.25 + 5.75; −5.00 at 13% → −4.42 − 0.58.
      await expect.poll(() => page.getByTestId("total-amount").textContent()).toBe("¥821.00");
      await expect(page.getByTestId("total-excl").textContent()).resolves.toBe("¥771.91");
      await expect(page.getByTestId("total-tax").textContent()).resolves.toBe("¥49.09");
      await page.getByTestId("totals").scrollIntoViewIfNeeded();
      await shot("console-receipt-code-form");

      const preview = page.waitForResponse((r) => r.url().endsWith("/receipt-codes/preview"));
      await page.getByTestId("preview").click();
      const res = await preview;
      expect(res.status()).toBe(200);
      expect(res.headers()["content-type"]).toBe("application/pdf");
      await page.getByTestId("preview-frame").waitFor();
      await shot("console-receipt-code-preview");
      await page.keyboard.press("Escape");
      await page.getByTestId("preview-frame").waitFor({ state: "hidden" });

      await page.getByTestId("save").click();
      const savedUrl = (await page.getByTestId("saved-url").textContent()) ?? "";
      expect(savedUrl).toMatch(new RegExp(`^${baseUrl}/s/[A-Za-z0-9_-]{24}$`));
      await page.getByRole("dialog").getByRole("button", { name: "返回列表" }).click();
      await page.getByTestId("row-serial").filter({ hasText: "POS-01-0001" }).waitFor();
    }, 60_000);

    it("copies the code into a new form with a new (suggested) serial number, then disables the copy", async () => {
      await signIn("/receipt-codes");
      await page.getByRole("row").filter({ hasText: original.serialNo }).click();
      await page.getByRole("button", { name: "新增（复制）" }).click();
      await page.getByText("新增小票码（复制）").waitFor();
      await expect.poll(() => page.getByTestId("total-amount").textContent()).toBe("¥821.00");
      // A copy needs a new serial number: the form suggests one (issue 20, item 6); one is typed here.
      await expect.poll(() => page.getByTestId("serial-no").inputValue()).toMatch(/\d{8}-\d{4}$/);
      await page.getByTestId("serial-no").fill("POS-01-0002");
      await page.getByTestId("save").click();
      const link = (await page.getByTestId("saved-url").textContent()) ?? "";
      expect(link).toMatch(new RegExp(`^${baseUrl}/s/[A-Za-z0-9_-]{24}$`));
      // After saving: 复制链接 puts the link on the clipboard, 打印小票 opens the print dialog for
      // this code, 继续新增 gives an empty form.
      await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
      await page.getByTestId("saved-copy").click();
      await page.getByText("已复制开票链接").waitFor();
      await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(link);
      await page.getByTestId("saved-print").click();
      const printDialog = page.locator(".ant-modal").filter({ hasText: "打印小票 POS-01-0002" });
      const printHref = (await printDialog.getByTestId("print-link").getAttribute("href")) ?? "";
      const { rows } = await app.ctx.database.executeSql(
        "select id from receipt_codes where serial_no = $1",
        ["POS-01-0002"],
      );
      expect(printHref).toContain(`/receipt-codes/${(rows[0] as { id: string }).id}/slip.pdf?format=`);
      await printDialog.getByRole("button", { name: "取 消" }).click();
      await page.getByTestId("saved-add-another").click();
      await page.getByTestId("saved-url").waitFor({ state: "hidden" });
      // A fresh form, with a suggested number (date and sequence) rather than the last one.
      await expect.poll(() => page.getByTestId("serial-no").inputValue()).toMatch(/^\d{8}-\d{4}$/);
      await page.getByRole("button", { name: "返回列表" }).click();

      const copyRow = page.getByRole("row").filter({ hasText: "POS-01-0002" });
      // 详情 from the list: the code's link, scans and 复制链接.
      await copyRow.getByTestId("row-detail").click();
      const drawer = page.getByTestId("code-detail");
      await expect(drawer.getByTestId("code-url").textContent()).resolves.toBe(link);
      await expect(drawer.getByTestId("code-scans").textContent()).resolves.toBe("0");
      await page.evaluate(() => navigator.clipboard.writeText("旧内容"));
      await drawer.getByTestId("code-copy").click();
      await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(link);
      await page.keyboard.press("Escape");
      await drawer.waitFor({ state: "hidden" });
      await copyRow.click();
      await page.getByRole("button", { name: "禁 用" }).click();
      await page.getByRole("button", { name: "确认禁用" }).click();
      await copyRow.getByText("已禁用").waitFor();
      await expect(
        page.getByRole("row").filter({ hasText: original.serialNo }).getByText("可开票").count(),
      ).resolves.toBe(1);
      await shot("console-receipt-codes");
    }, 60_000);

    it("filters the list by 创建日期 with the range picker, sending the days as from/to", async () => {
      await signIn("/receipt-codes");
      const today = chinaDateIso(new Date());
      const tomorrow = chinaDateIso(new Date(Date.now() + 86_400_000));
      const picker = page.getByTestId("filter-created");
      const search = async (from: string, to: string) => {
        await fillDateRange(picker, from, to);
        const request = page.waitForRequest((r) => r.url().includes("/receipt-codes?"));
        await page.getByRole("button", { name: /^查 ?询$/ }).click();
        const sent = new URL((await request).url()).searchParams;
        expect([sent.get("from"), sent.get("to")]).toEqual([from, to]);
      };
      const row = page.getByTestId("row-serial").filter({ hasText: original.serialNo });
      await search(tomorrow, tomorrow);
      await expect.poll(() => row.count()).toBe(0);
      await search(today, today);
      await row.waitFor();
      await shot("console-receipt-codes-dates");
      await page.getByRole("button", { name: /^重 ?置$/ }).click();
      await expect.poll(() => picker.first().inputValue()).toBe("");
    }, 60_000);

    it("prints the original; the slip's QR decodes to its URL, which opens the consumer page", async () => {
      await signIn("/receipt-codes");
      await page.getByRole("row").filter({ hasText: original.serialNo }).click();
      await page.getByRole("button", { name: "打 印" }).first().click();
      await page.getByText("58 mm 热敏纸").click();
      await shot("console-print");
      const href = await page.getByTestId("print-link").getAttribute("href");
      expect(href).toContain("format=58mm");
      const slip = await page.request.get(`${baseUrl}${href}`);
      expect(slip.headers()["content-type"]).toBe("application/pdf");
      const { files, cleanup } = await pdfToPngs(Buffer.from(await slip.body()), { dpi: 200 });
      try {
        const codes = (await Promise.all(files.map(decodeQrCodes))).flat();
        expect(codes).toEqual([original.url]);
      } finally {
        await cleanup();
      }
      await page.keyboard.press("Escape");

      const consumer = await context.newPage();
      await consumer.setViewportSize({ width: 390, height: 844 });
      const opened = await consumer.goto(original.url);
      expect(opened?.status()).toBe(200);
      const token = original.url.split("/s/")[1];
      const scan = await consumer.request.get(`${baseUrl}/api/scan/${token}`);
      expect(scan.status()).toBe(200);
      expect((await scan.json()).totals.totalAmount).toBe("821.00");
      // The default buyer type chosen in 小票码配置 (the first step) is what the consumer page starts with.
      await consumer.getByTestId("submit").waitFor();
      await expect(consumer.getByRole("radio", { name: "个人" }).isChecked()).resolves.toBe(true);
      await consumer.close();
    }, 60_000);

    it("adds a user with a role in the organization, changes it, and shows the audit log of who did what", async () => {
      await signIn("/users");
      await page.getByRole("cell", { name: "demo", exact: true }).waitFor();
      // A new user: a role and active flag per organization the admin administers.
      await page.getByRole("button", { name: "新增用户" }).click();
      const dialog = page.locator(".ant-modal:visible");
      await dialog.getByLabel("用户名").fill("cashier2");
      await dialog.getByLabel("初始密码").fill("cashier-pass-2");
      // Options read "只读 — 只读与统计", "开票员 — …基础资料只读": matched from the start.
      const roleOption = (label: string) =>
        page
          .locator(".ant-select-dropdown:visible .ant-select-item-option")
          .filter({ hasText: new RegExp(`^${label} —`) });
      await dialog.getByLabel(/角色$/).click();
      await roleOption("只读").click();
      await dialog.getByRole("button", { name: "保 存" }).click();
      await page.getByText("用户已保存").waitFor();
      const row = page.getByRole("row").filter({ hasText: "cashier2" });
      await row.getByText(/· 只读/).waitFor();
      await row.getByRole("button", { name: "编辑" }).click();
      await dialog.getByText("所属组织与角色").waitFor();
      await shot("console-user-edit");
      await dialog.getByLabel(/角色$/).click();
      await roleOption("开票员").click();
      await dialog.getByRole("button", { name: "保 存" }).click();
      await row.getByText(/· 开票员/).waitFor();
      await shot("console-users");
      await page.getByTestId("menu-audit").click();
      await page.getByText("打印小票").first().waitFor();
      for (const action of ["禁用小票码", "复制小票码", "新增小票码", "新增开票项", "修改小票码配置"])
        await page.getByRole("cell", { name: action, exact: true }).first().waitFor();
      await page.getByRole("cell", { name: "修改用户", exact: true }).first().waitFor();
      await shot("console-audit");
      await fs.access(screenshotPath("console-audit"));
    }, 60_000);

    /**
     * The user menu opens on click; a click that lands while the menu is still animating in can be
     * lost, so open it and choose the item until `done` shows.
     */
    const chooseInUserMenu = (name: string, done: () => Promise<boolean>) =>
      expect
        .poll(
          async () => {
            if (await done()) return true;
            const item = page.getByRole("menuitem", { name });
            if (await item.isVisible()) await item.click();
            else await page.getByTestId("user-menu").click();
            await page.waitForTimeout(300);
            return done();
          },
          { timeout: 30_000 },
        )
        .toBe(true);

    it("changes the user's own password (修改密码), logs in with the new one, and follows its role in each organization", async () => {
      // A user of its own: demo keeps its password for the other steps.
      const owner = await makeUser(app.ctx.database, {
        orgIds: [orgId],
        role: "admin",
        displayName: "周经理",
      });
      await openConsole(
        page,
        baseUrl,
        (await loginAs(app, owner.username, owner.password)).cookie,
        "/receipt-codes",
      );
      const dialog = page.locator(".ant-modal:visible");
      await chooseInUserMenu("修改密码", () => dialog.getByText("确认新密码").isVisible());
      await page.getByTestId("current-password").fill("not-the-password");
      await page.getByTestId("new-password").fill("owner-pass-2");
      await page.getByTestId("confirm-password").fill("owner-pass-2");
      await dialog.getByRole("button", { name: "保 存" }).click();
      await dialog.getByText("当前密码不正确").waitFor();
      await page.getByTestId("current-password").fill(owner.password);
      await dialog.getByRole("button", { name: "保 存" }).click();
      await page.getByText("密码已修改").waitFor();

      // Meanwhile the user joins a second organization as a viewer: the menus follow its role in the
      // organization it is looking at.
      const second = await makeOrganization(app.ctx.database, { name: "票码二店有限公司" });
      await app.ctx.database.executeSql(
        "insert into user_organizations (user_id, org_id, role) values ($1, $2, 'viewer')",
        [owner.id, second.id],
      );
      await chooseInUserMenu("退出登录", () => page.getByText("账号登录").isVisible());
      await page.getByLabel("用户名").fill(owner.username);
      await page.getByLabel("密码").fill("owner-pass-2");
      await page.getByRole("button", { name: "登 录" }).click();
      await page.getByTestId("menu-receipt-codes").waitFor();
      await expect(page.getByTestId("current-role").textContent()).resolves.toBe("管理员");
      await page.getByTestId("menu-users").click();
      await page.getByTestId("org-switcher").click();
      await option("票码二店有限公司").click();
      await expect.poll(() => page.getByTestId("current-role").textContent()).toBe("只读");
      expect(await page.getByTestId("menu-users").count()).toBe(0);
      await page.getByText("您在当前组织不是管理员").waitFor();
      await page.getByTestId("org-switcher").click();
      await option("票码示范酒店").click();
      await page.getByRole("cell", { name: owner.username, exact: true }).waitFor();
    }, 60_000);
  });
});
