import fs from "node:fs/promises";
import ExcelJS from "exceljs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { amountInCapitals, chinaDateIso } from "../../src/domain";
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
import { makeOrganization, makeReceiptCode, makeUscc } from "../support/factories";
import { startSmtp, type TestSmtp } from "../support/smtp";
import { seedStatsData } from "../support/stats-seed";
import { describeWithTools, pdfToText } from "../support/system-tools";

/**
 * The finance operator after invoices exist, in Chromium: find an invoice by its number, resend it
 * to another address (the mail arrives at an SMTP server in this process), reverse it (the red
 * invoice has negative amounts, its PDF says 红字 with capitals beginning with 负, the consumer page
 * shows both), export the list and read the .xlsx back; then the dashboard, whose numbers must be
 * the database's, screenshot at 1280×800 for a person to look at. Each test starts on its own page,
 * signed in beforehand; the purchases it works on are made before the tests (one of them already
 * reversed through the console API for the tests that look at a red invoice), so one test failing
 * does not fail the next.
 */
describeBrowser("operations in Chromium", () => {
  describeWithTools(["pdftotext"], "invoices, reversal, export, dashboard", () => {
    let app: TestApp;
    let smtp: TestSmtp;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let baseUrl: string;
    let orgId: string;
    let orgName: string;
    let demoCookie: string;
    /** A purchase invoiced through the consumer API: found, resent and reversed in the console. */
    let number: string;
    /** Another, reversed before the tests: its blue and red invoices on the phone, in the export. */
    const reversed = { token: "", serialNo: "", number: "", redNumber: "" };
    const errors: string[] = [];

    beforeAll(async () => {
      smtp = await startSmtp();
      app = await createTestApp("pglite", { env: { SMTP_URL: smtp.url } });
      baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
      app.ctx.config.publicUrl = baseUrl;
      const demo = await seedDemo(app.ctx, { onlyIfEmpty: false });
      orgId = demo!.orgId;
      const named = await app.ctx.database.executeSql("select name from organizations where id = $1", [
        orgId,
      ]);
      orgName = (named.rows[0] as { name: string }).name;
      // A month of generated operations for the dashboard, beside the invoices issued for real below.
      const { rows } = await app.ctx.database.executeSql(
        "select id from tax_bureau_accounts where org_id = $1",
        [orgId],
      );
      await seedStatsData(app.ctx.database.executeSql, {
        orgId,
        taxAccountId: (rows[0] as { id: string }).id,
        codes: 1200,
        days: 30,
        endAt: new Date(),
        prefix: "e2e",
      });
      // Purchases invoiced through the consumer API, the real path.
      const purchase = async (serialNo: string) => {
        const code = await makeReceiptCode(app.ctx, orgId, { serialNo });
        const res = await app.http.inject({
          method: "POST",
          url: `/api/scan/${code.token}/submit`,
          payload: {
            invoiceType: "digital_special",
            buyer: { type: "enterprise", name: "上海浦江贸易有限公司", taxId: makeUscc("91310000") },
            email: "buyer@example.com",
          },
        });
        const invoice = res.json().invoices[0] as { id: string; number: string };
        return { token: code.token, ...invoice };
      };
      number = (await purchase(`OPS-${Date.now()}`)).number;
      reversed.serialNo = `OPS-R-${Date.now()}`;
      const blue = await purchase(reversed.serialNo);
      const session = await loginAs(app, demoLogin.username, demoLogin.password);
      demoCookie = session.cookie;
      const red = await session.post(`/orgs/${orgId}/invoices/${blue.id}/reverse`, { reason: "销货退回" });
      expect(red.statusCode, red.body).toBe(201);
      expect(red.json().number).toMatch(/^\d{20}$/);
      Object.assign(reversed, { token: blue.token, number: blue.number, redNumber: red.json().number });
      // Each issued invoice is mailed to the buyer: the two blue ones and the red one.
      await smtp.waitFor(3);

      browser = await launchBrowser();
      context = await consoleContext(browser, { acceptDownloads: true });
    }, 120_000);
    afterAll(async () => {
      await browser?.close();
      await app?.close();
      await smtp?.close();
    });
    beforeEach(async () => {
      page = await freshPage(context, baseUrl, errors);
    });
    afterEach(() => {
      // No uncaught error or CSP violation on any page of the test.
      expect(errors.splice(0)).toEqual([]);
    });

    const signIn = (path: string) => openConsole(page, baseUrl, demoCookie, path);
    /** 发票管理 filtered by an invoice number, with that invoice's detail open. */
    const openInvoice = async (invoiceNumber: string) => {
      await signIn("/invoices");
      await page.getByText(/共 \d+ 张/).waitFor();
      await page.getByTestId("filter-number").fill(invoiceNumber);
      await page.getByTestId("invoice-search").click();
      await page.getByText("共 1 张").waitFor();
      await page.getByTestId(`invoice-${invoiceNumber}`).click();
      return page.getByTestId("invoice-detail");
    };
    /** The mail that arrives (each submit and resend sends one), however many came before it. */
    const mailTo = (address: string, subject: string) =>
      expect
        .poll(() => smtp.mails.find((m) => m.to.includes(address) && m.subject.includes(subject)), {
          timeout: 20_000,
        })
        .toBeTruthy()
        .then(() => smtp.mails.find((m) => m.to.includes(address) && m.subject.includes(subject))!);

    const shot = (name: string) => page.screenshot({ path: screenshotPath(name) });

    it("finds the invoice by number and opens its detail", async () => {
      await signIn("/invoices");
      await page.getByText(/共 \d+ 张/).waitFor();
      await page.getByTestId("filter-number").fill(number);
      await page.getByTestId("invoice-search").click();
      await page.getByText("共 1 张").waitFor();
      await shot("operations-invoices");
      await page.getByTestId(`invoice-${number}`).click();
      const detail = page.getByTestId("invoice-detail");
      await detail.getByText("上海浦江贸易有限公司").waitFor();
      await expect(detail.getByTestId("invoice-detail-org").textContent()).resolves.toBe(orgName);
      await expect(detail.getByTestId("invoice-total").textContent()).resolves.toBe("¥800.00");
      await detail.getByTestId("deliveries").getByText("buyer@example.com").waitFor();
      await page.waitForTimeout(400); // the drawer's slide-in, for the picture
      await shot("operations-invoice-detail");
    });

    it("resends it to another address; the e-mail arrives with the invoice attached", async () => {
      await openInvoice(number);
      await page.getByTestId("resend").click();
      // The drawer is a dialog too: the modal is found by its class and title.
      const dialog = page.locator(".ant-modal").filter({ hasText: "重新发送发票" });
      await dialog.getByTestId("resend-email").fill("accountant@example.com");
      await dialog.getByRole("button", { name: "发 送" }).click();
      await page.getByText("已提交发送").waitFor();
      const mail = await mailTo("accountant@example.com", number);
      expect(mail?.attachments.map((a) => a.filename).sort()).toEqual([`${number}.pdf`, `${number}.xml`]);
      await page.getByTestId("deliveries").getByText("操作员重发").waitFor();
    });

    it("reverses one room (部分红冲), then the rest: a red invoice with negative amounts, 红字, （负数） capitals and the blue number in its PDF", async () => {
      await openInvoice(number);
      // 部分红冲 first: one of the two rooms (line 2, net 700.00 for 2) → 350.00; 450.00 remain.
      await page.getByTestId("reverse").click();
      const partial = page.locator(".ant-modal").filter({ hasText: "确认红冲" });
      // No reason is preselected, and the dialog refuses to go on without one.
      await expect(partial.locator("input[type=radio][value='开票有误']").isChecked()).resolves.toBe(false);
      await page.locator("#confirm-reverse").click();
      await partial.getByTestId("reverse-error").getByText("请选择红冲原因").waitFor();
      await partial.getByText("销货退回").click();
      await expect(partial.getByTestId("reverse-error").count()).resolves.toBe(0);
      await partial.getByText("按明细行与数量").click();
      await partial.getByTestId("reverse-line-2").fill("1");
      await shot("operations-reverse-dialog");
      await page.locator("#confirm-reverse").click();
      await page.getByTestId("invoice-status").getByText("部分红冲").waitFor();
      await page.getByTestId("reversible-total").getByText("可红冲合计 ¥450.00").waitFor();

      await page.getByTestId("reverse").click();
      const dialog = page.locator(".ant-modal").filter({ hasText: "确认红冲" });
      await dialog.getByText("销货退回").click();
      await dialog.getByText("全额（剩余全部）").click();
      await page.locator("#confirm-reverse").click();
      // The partial reversal's toast may still show beside this one: the status tag tells them apart.
      await page.getByText("已红冲，红字发票号码").last().waitFor();
      await page.getByTestId("invoice-status").getByText("已红冲").waitFor();
      const redNumber = (await page.getByTestId("open-red").textContent()) ?? "";
      expect(redNumber).toMatch(/^\d{20}$/);
      const detail = page.getByTestId("invoice-detail");
      // A click that lands while the success toast is still animating can be lost: click until the
      // red invoice's detail shows.
      await expect
        .poll(
          async () => {
            if (await detail.getByText("红冲原因「销货退回」").isVisible()) return true;
            await page
              .getByTestId("open-red")
              .click({ timeout: 5_000 })
              .catch(() => {});
            await page.waitForTimeout(500);
            return detail.getByText("红冲原因「销货退回」").isVisible();
          },
          { timeout: 45_000 },
        )
        .toBe(true);
      await expect(detail.getByTestId("invoice-total").textContent()).resolves.toBe("-¥450.00");
      await page.waitForTimeout(400);
      await shot("operations-red-invoice");

      const href = await detail.getByTestId("download-pdf").getAttribute("href");
      const pdf = await page.request.get(`${baseUrl}${href}`);
      expect(pdf.status()).toBe(200);
      const text = await pdfToText(Buffer.from(await pdf.body()));
      expect(text).toContain("红字");
      // （负数） capitals (DOMAIN.md §4) and the red 备注 naming the blue invoice, not the reason (§8).
      expect(text).toContain(amountInCapitals("-450.00"));
      expect(text).toContain("（负数）");
      expect(text.replace(/\s+/g, "")).toContain(`被红冲蓝字数电发票号码：${number}`);
      expect(text).toContain("-450.00");
      // The red invoice goes to the buyer like the blue one did.
      await mailTo("buyer@example.com", redNumber);
    });

    it("shows both invoices of a reversed purchase on the consumer page", async () => {
      const phone = page;
      await phone.setViewportSize({ width: 390, height: 844 });
      await phone.goto(`${baseUrl}/s/${reversed.token}`);
      await phone.getByText(reversed.number).waitFor();
      await phone.getByText(reversed.redNumber).waitFor();
      await phone.getByText("红字发票").first().waitFor();
      await phone.getByText("已红冲").first().waitFor();
      await phone.screenshot({ path: screenshotPath("operations-consumer-blue-and-red"), fullPage: true });
    });

    it("exports the filtered list to .xlsx and reads it back", async () => {
      await signIn("/invoices");
      await page.getByLabel("小票流水号").fill(reversed.serialNo);
      await page.getByTestId("invoice-search").click();
      await page.getByText("共 2 张").waitFor();
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByTestId("export-xlsx").click(),
      ]);
      expect(download.suggestedFilename()).toMatch(/^发票列表-\d{8}\.xlsx$/);
      const book = new ExcelJS.Workbook();
      await book.xlsx.load((await fs.readFile(await download.path())) as unknown as ArrayBuffer);
      const sheet = book.getWorksheet("发票")!;
      const header = sheet.getRow(1).values as unknown[];
      const col = (name: string) => header.indexOf(name);
      const rows = [2, 3].map((r) => sheet.getRow(r));
      const byColor = Object.fromEntries(
        rows.map((r) => [r.getCell(col("红蓝字")).value, r.getCell(col("价税合计")).value]),
      );
      expect(sheet.rowCount).toBe(3);
      expect(byColor).toEqual({ 蓝字: 800, 红字: -800 });
      expect(rows.map((r) => r.getCell(col("发票号码")).value).sort()).toEqual(
        [reversed.number, reversed.redNumber].sort(),
      );
      expect(rows.map((r) => r.getCell(col("状态")).value).sort()).toEqual(["已开具", "已红冲"].sort());
    });

    it("filters by 开票日期 with the range picker, sending the days as from/to", async () => {
      const today = chinaDateIso(new Date());
      const yesterday = chinaDateIso(new Date(Date.now() - 86_400_000));
      await signIn("/invoices");
      await page.getByLabel("小票流水号").fill(reversed.serialNo);
      const picker = page.getByTestId("filter-issued");
      const search = async (from: string, to: string) => {
        await fillDateRange(picker, from, to);
        const request = page.waitForRequest((r) => r.url().includes(`/orgs/${orgId}/invoices?`));
        await page.getByTestId("invoice-search").click();
        const sent = new URL((await request).url()).searchParams;
        expect([sent.get("from"), sent.get("to"), sent.get("serialNo")]).toEqual([
          from,
          to,
          reversed.serialNo,
        ]);
      };
      await search(yesterday, yesterday);
      await page.getByText("共 0 张").waitFor();
      await search(yesterday, today);
      await page.getByText("共 2 张").waitFor();
      // The export takes the same filters.
      const href = (await page.getByTestId("export-csv").getAttribute("href")) ?? "";
      const exported = new URL(href, baseUrl).searchParams;
      expect([exported.get("from"), exported.get("to")]).toEqual([yesterday, today]);
      await shot("operations-invoices-dates");
    });

    it("shows the dashboard with the database's numbers", async () => {
      await signIn("/stats");
      const kpi = page.getByTestId("kpi-invoices");
      await kpi.waitFor();
      await page.getByTestId("chart-daily").locator("canvas").first().waitFor();
      const from = chinaDateIso(new Date(Date.now() - 29 * 86_400_000));
      const start = new Date(`${from}T00:00:00+08:00`);
      const { rows } = await app.ctx.database.executeSql(
        `select count(*) filter (where color = 'blue')::int as blue, count(*) filter (where color = 'red')::int as red,
           coalesce(sum(total_amount), 0)::text as amount,
           count(distinct ((issued_at at time zone 'UTC') + interval '8 hours')::date)::int as days
         from invoices where org_id = $1 and issued_at >= $2`,
        [orgId, start.toISOString()],
      );
      // 价税合计 is net of red invoices (their amounts are negative); the chart has every day of the range.
      const expected = rows[0] as { blue: number; red: number; amount: string; days: number };
      expect(expected.blue).toBeGreaterThan(500);
      expect(expected.red).toBeGreaterThan(0);
      await expect(page.getByTestId("daily-days").textContent()).resolves.toBe(
        `30 天，其中 ${30 - expected.days} 天无开票`,
      );
      const shown = (await kpi.locator(".ant-statistic-content").textContent())?.replaceAll(",", "");
      expect(Number(shown)).toBe(expected.blue);
      const amount = await page.getByTestId("kpi-amount").locator(".ant-statistic-content").textContent();
      expect(amount?.replace(/[¥,]/g, "")).toBe(Number(expected.amount).toFixed(2));
      const red = await page.getByTestId("kpi-red").locator(".ant-statistic-content-value").textContent();
      expect(Number(red)).toBe(expected.red);
      // Let the charts finish their entry animation before the picture.
      await page.waitForTimeout(1200);
      await shot("operations-dashboard");
      await page.screenshot({ path: screenshotPath("operations-dashboard-full"), fullPage: true });
    });

    it("picks the dashboard's days with the range picker", async () => {
      await signIn("/stats");
      await page.getByTestId("kpi-invoices").waitFor();
      const to = chinaDateIso(new Date());
      const from = chinaDateIso(new Date(Date.now() - 6 * 86_400_000));
      const response = page.waitForResponse((r) => {
        const url = new URL(r.url());
        return (
          url.pathname === "/api/console/stats" &&
          url.searchParams.get("from") === from &&
          url.searchParams.get("to") === to
        );
      });
      await fillDateRange(page.getByTestId("stats-range"), from, to);
      expect((await response).status()).toBe(200);
      const { rows } = await app.ctx.database.executeSql(
        `select count(*)::int as blue from invoices
         where org_id = $1 and color = 'blue' and issued_at >= $2 and issued_at < $3`,
        [
          orgId,
          new Date(`${from}T00:00:00+08:00`).toISOString(),
          new Date(new Date(`${to}T00:00:00+08:00`).getTime() + 86_400_000).toISOString(),
        ],
      );
      const expected = (rows[0] as { blue: number }).blue;
      expect(expected).toBeGreaterThan(100);
      const kpi = page.getByTestId("kpi-invoices").locator(".ant-statistic-content");
      await expect.poll(async () => Number((await kpi.textContent())?.replaceAll(",", ""))).toBe(expected);
      await page.waitForTimeout(1200);
      await shot("operations-dashboard-7-days");
    });

    it("「全部组织」 in 发票管理: a user of two organizations sees both, with 组织, and no other", async () => {
      const issue = async (org: string, serial: string, buyer: string) => {
        const code = await makeReceiptCode(app.ctx, org, { serialNo: serial });
        const res = await app.http.inject({
          method: "POST",
          url: `/api/scan/${code.token}/submit`,
          payload: {
            invoiceType: "digital_normal",
            buyer: { type: "enterprise", name: buyer, taxId: makeUscc("91330000") },
            email: "buyer@example.com",
          },
        });
        expect(res.statusCode, res.body).toBe(202);
        return res.json().invoices[0].number as string;
      };
      const branch = await makeOrganization(app.ctx.database, { name: "杭州票码分店有限公司" });
      const outsider = await makeOrganization(app.ctx.database, { name: "别家公司有限公司" });
      await issue(outsider.id, "OUT-0001", "别家的购买方有限公司");
      const branchNumber = await issue(branch.id, "BR-0001", "杭州分店的购买方有限公司");
      const both = await makeUser(app.ctx.database, { role: "viewer", orgIds: [orgId, branch.id] });
      const { rows } = await app.ctx.database.executeSql(
        `select (select name from organizations where id = $1) as name,
           (select count(*)::int from invoices where org_id in ($1, $2)) as total`,
        [orgId, branch.id],
      );
      const expected = rows[0] as { name: string; total: number };

      const viewer = page;
      await openConsole(
        viewer,
        baseUrl,
        (await loginAs(app, both.username, both.password)).cookie,
        "/invoices",
      );
      await viewer.getByText(/共 \d+ 张/).waitFor();
      expect(await viewer.getByTestId("invoice-org").count()).toBe(0);

      const listed = viewer.waitForResponse((r) => new URL(r.url()).pathname === "/api/console/invoices");
      await viewer.getByTestId("invoice-scope").getByText("全部组织（2）").click();
      expect((await listed).status()).toBe(200);
      await viewer.getByText(`共 ${expected.total} 张`).waitFor();
      await viewer.getByRole("columnheader", { name: "组织" }).waitFor();
      // Newest first: the branch's invoice, then the demo organization's.
      await expect
        .poll(async () => [...new Set(await viewer.getByTestId("invoice-org").allTextContents())].sort())
        .toEqual([expected.name, branch.name].sort());
      await viewer.screenshot({ path: screenshotPath("operations-invoices-all-orgs") });

      // Another organization's invoice is not found, even by its exact serial number.
      await viewer.getByLabel("小票流水号").fill("OUT-0001");
      await viewer.getByTestId("invoice-search").click();
      await viewer.getByText("共 0 张").waitFor();
      await viewer.getByLabel("小票流水号").fill("BR-0001");
      await viewer.getByTestId("invoice-search").click();
      await viewer.getByText("共 1 张").waitFor();
      await viewer.locator("tr.ant-table-row").getByText(branch.name).waitFor();
      // Its detail comes from its own organization.
      await viewer.getByTestId(`invoice-${branchNumber}`).click();
      await viewer.getByTestId("invoice-detail").getByText("杭州分店的购买方有限公司").waitFor();
      await expect(viewer.getByTestId("invoice-detail-org").textContent()).resolves.toBe(branch.name);
      await viewer.locator(".ant-drawer-close").click();
      await viewer.locator(".ant-drawer-mask").waitFor({ state: "detached" });

      // The export of the view: 组织 first, the branch's row, nothing of the other organization.
      const href = (await viewer.getByTestId("export-csv").getAttribute("href")) ?? "";
      expect(new URL(href, baseUrl).pathname).toBe("/api/console/invoices/export.csv");
      const csv = await (await viewer.request.get(`${baseUrl}${href}`)).text();
      const lines = csv
        .replace(/^\uFEFF/, "")
        .trim()
        .split("\r\n");
      expect(lines[0]?.startsWith("组织,发票号码,")).toBe(true);
      expect(lines.slice(1)).toEqual([expect.stringMatching(new RegExp(`^${branch.name},${branchNumber},`))]);
      expect(csv).not.toContain(outsider.name);

      await viewer.getByTestId("invoice-scope").getByText("当前组织").click();
      await viewer.getByText("共 0 张").waitFor();
      expect(await viewer.getByRole("columnheader", { name: "组织" }).count()).toBe(0);
    });
  });
});
