import fs from "node:fs/promises";
import { eq } from "drizzle-orm";
import ExcelJS from "exceljs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { deliveries } from "../../src/platform/db/schema";
import { openZip, readZipEntry } from "../../src/platform/zip-reader";
import { createTestApp, type TestApp } from "../support/app";
import {
  consoleContext,
  describeBrowser,
  freshPage,
  launchBrowser,
  openConsole,
  screenshotPath,
} from "../support/browser";
import { loginAs, makeUser } from "../support/console";
import { makeOrganization, makeReceiptCode, makeUscc } from "../support/factories";
import { decodeQrCodes, describeWithTools, pdfToPngs } from "../support/system-tools";

/**
 * Issue 20, items 3 and 5, in Chromium at 1440×900: a receipt code's 详情 drawer (QR, 开票码,
 * 复制链接, scans, invoices, status history), the code list's 批量禁用 and 批量打印 onto A4 sheets,
 * and the invoice list's 合计 row, 导出所选, 批量重新发送 and 批量下载 PDF — each bulk action behind
 * a confirmation that says how many.
 */
describeBrowser("console bulk work and a code's detail in Chromium", () => {
  describeWithTools(["pdftoppm", "zbarimg"], "operator at 1440×900", () => {
    let app: TestApp;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let baseUrl: string;
    let orgId: string;
    let cookie: string;
    const errors: string[] = [];

    /** A code invoiced through the consumer API (价税合计 800.00), after one scan of its page. */
    async function invoicedCode(serialNo: string) {
      const code = await makeReceiptCode(app.ctx, orgId, { serialNo });
      await app.http.inject({ method: "GET", url: `/s/${code.token}` });
      const res = await app.http.inject({
        method: "POST",
        url: `/api/scan/${code.token}/submit`,
        payload: {
          invoiceType: "digital_normal",
          buyer: { type: "enterprise", name: `${serialNo} 购买方有限公司`, taxId: makeUscc("91310000") },
          email: "buyer@example.com",
        },
      });
      expect(res.statusCode, res.body).toBe(202);
      return { code, invoice: res.json().invoices[0] as { id: string; number: string } };
    }

    beforeAll(async () => {
      app = await createTestApp("pglite");
      baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
      app.ctx.config.publicUrl = baseUrl;
      orgId = (await makeOrganization(app.ctx.database, { name: "批量测试餐饮有限公司" })).id;
      const user = await makeUser(app.ctx.database, { role: "operator", orgIds: [orgId] });
      cookie = (await loginAs(app, user.username, user.password)).cookie;
      browser = await launchBrowser();
      context = await consoleContext(browser, { viewport: { width: 1440, height: 900 } });
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
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
    const row = (text: string) => page.locator("tr.ant-table-row").filter({ hasText: text });
    const tick = (text: string) => row(text).locator(".ant-table-selection-column input").check();
    const confirmDialog = () => page.locator(".ant-modal-confirm:visible");
    const confirmTitle = (text: string) =>
      confirmDialog().locator(".ant-modal-confirm-title").filter({ hasText: text }).waitFor();

    it("详情 shows the QR, 开票码, link, scans, the invoice (opening it) and the code's history", async () => {
      const { code, invoice } = await invoicedCode("DETAIL-0001");
      await openConsole(page, baseUrl, cookie, "/receipt-codes");
      await row("DETAIL-0001").getByTestId("row-detail").click();
      const drawer = page.getByTestId("code-detail");
      await expect(drawer.getByTestId("code-url").textContent()).resolves.toBe(code.url);
      await expect(drawer.getByTestId("code-short").textContent()).resolves.toBe(code.shortCode);
      await expect(drawer.getByTestId("code-scans").textContent()).resolves.toBe("1");
      await drawer.getByTestId("code-copy").click();
      await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(code.url);

      // The QR on screen leads to the code's page.
      await drawer.getByTestId("code-qr").locator("canvas").waitFor();
      const qrPng = screenshotPath("console-code-detail-qr");
      await drawer.getByTestId("code-qr").screenshot({ path: qrPng });
      expect(await decodeQrCodes(qrPng)).toEqual([code.url]);

      const invoices = drawer.getByTestId("code-invoices");
      await invoices.getByText(invoice.number).waitFor();
      await invoices.getByText("¥800.00").waitFor();
      const history = drawer.getByTestId("code-history");
      for (const step of ["新增小票码", "消费者首次扫码", "消费者提交开票", "发票开具成功"])
        await history.getByText(step).first().waitFor();
      await page.screenshot({ path: screenshotPath("console-code-detail") });

      await drawer.getByTestId("code-invoice-link").click();
      await page
        .locator(".ant-drawer")
        .filter({ hasText: "购买方" })
        .getByText(invoice.number)
        .first()
        .waitFor();
    }, 60_000);

    it("批量禁用 disables the ticked codes after a confirmation saying how many", async () => {
      for (const s of ["OFF-0001", "OFF-0002", "OFF-0003"])
        await makeReceiptCode(app.ctx, orgId, { serialNo: s });
      await openConsole(page, baseUrl, cookie, "/receipt-codes");
      await tick("OFF-0001");
      await tick("OFF-0002");
      await page.getByTestId("list-selection").getByText("已选 2 项").waitFor();
      await page.getByTestId("bulk-disable").click();
      await confirmTitle("确认禁用所选的 2 个小票码？");
      await page.screenshot({ path: screenshotPath("console-codes-bulk-disable") });
      await confirmDialog().getByRole("button", { name: "确认禁用" }).click();
      await page.getByText("已禁用 2 项").waitFor();
      await row("OFF-0001").getByText("已禁用").waitFor();
      await row("OFF-0002").getByText("已禁用").waitFor();
      await expect(row("OFF-0003").getByText("可开票").count()).resolves.toBe(1);
      await expect(page.getByTestId("list-selection").count()).resolves.toBe(0);
    }, 60_000);

    it("批量打印 puts the ticked codes' slips on A4 sheets; a single 打印 remembers the paper", async () => {
      const made = [];
      for (const s of ["SHEET-0001", "SHEET-0002", "SHEET-0003"])
        made.push(await makeReceiptCode(app.ctx, orgId, { serialNo: s }));
      await openConsole(page, baseUrl, cookie, "/receipt-codes");
      for (const s of ["SHEET-0001", "SHEET-0002", "SHEET-0003"]) await tick(s);
      await page.getByTestId("bulk-print").click();
      await confirmTitle("批量打印 3 张小票？");
      // The PDF as the page received it (read on its way, then handed on unchanged).
      let pdf: Buffer = Buffer.alloc(0);
      let status = 0;
      let type = "";
      await page.route("**/receipt-codes/bulk/slips.pdf", async (route) => {
        const answer = await route.fetch();
        pdf = await answer.body();
        status = answer.status();
        type = answer.headers()["content-type"] ?? "";
        await route.fulfill({ response: answer, body: pdf });
      });
      const opened = context.waitForEvent("page");
      await confirmDialog().getByRole("button", { name: "生成打印文件" }).click();
      const tab = await opened;
      expect(status).toBe(200);
      expect(type).toBe("application/pdf");
      expect(pdf.toString("latin1").match(/\/MediaBox \[0 0 595\.28 841\.89\]/g)).toHaveLength(1);
      const { files, cleanup } = await pdfToPngs(pdf, { dpi: 200 });
      try {
        expect((await decodeQrCodes(files[0]!)).sort()).toEqual(made.map((c) => c.url).sort());
      } finally {
        await cleanup();
      }
      expect(tab.url()).toMatch(/^blob:/);
      await tab.close();

      // One ticked: the single print dialog, whose paper is the one chosen last time.
      await page.getByTestId("list-clear-selection").click();
      await tick("SHEET-0001");
      await page.getByTestId("bulk-print").click();
      const dialog = page.locator(".ant-modal").filter({ hasText: "打印小票 SHEET-0001" });
      await dialog.getByText("58 mm 热敏纸").click();
      await dialog.getByRole("button", { name: "取 消" }).click();
      await page.reload();
      await row("SHEET-0002")
        .getByRole("button", { name: /^打\s?印$/ })
        .click();
      const again = page.locator(".ant-modal").filter({ hasText: "打印小票 SHEET-0002" });
      await expect(again.getByTestId("print-link").getAttribute("href")).resolves.toContain("format=58mm");
    }, 60_000);

    it("发票管理: a 合计 row over the whole filter, and 导出所选 / 批量重新发送 / 批量下载 PDF", async () => {
      const issued = [];
      for (let i = 1; i <= 3; i++) issued.push((await invoicedCode(`INV-BULK-${i}`)).invoice);
      const { rows: before } = await app.ctx.database.executeSql(
        "select count(*)::int as n, coalesce(sum(total_amount), 0)::text as total from invoices where org_id = $1",
        [orgId],
      );
      const count = (before[0] as { n: number }).n;
      await openConsole(page, baseUrl, cookie, "/invoices");
      await expect.poll(() => page.getByTestId("summary-count").textContent()).toBe(`合计 ${count} 张`);
      await page.getByTestId("filter-number").fill(issued[0]!.number);
      await page.getByTestId("invoice-search").click();
      await expect.poll(() => page.getByTestId("summary-count").textContent()).toBe("合计 1 张");
      await expect(page.getByTestId("summary-total").textContent()).resolves.toBe("¥800.00");
      await expect(page.getByTestId("summary-amounts").textContent()).resolves.toBe(
        "金额 ¥754.72 · 税额 ¥45.28",
      );
      await page.getByRole("button", { name: "重 置" }).click();
      await expect.poll(() => page.getByTestId("summary-count").textContent()).toBe(`合计 ${count} 张`);

      const picked = [issued[0]!, issued[2]!];
      for (const i of picked) await tick(i.number);
      await page.getByTestId("list-selection").getByText("已选 2 项").waitFor();
      await page.screenshot({ path: screenshotPath("console-invoices-bulk") });

      // 导出所选: the two, and only them.
      await page.getByTestId("bulk-export").click();
      await confirmTitle("导出所选的 2 张发票？");
      const exported = page.waitForEvent("download");
      await confirmDialog().getByRole("button", { name: "导 出" }).click();
      const book = new ExcelJS.Workbook();
      await book.xlsx.load((await fs.readFile((await (await exported).path())!)) as unknown as ArrayBuffer);
      const sheet = book.getWorksheet("发票")!;
      const numbers = [2, 3].map((r) => String(sheet.getRow(r).getCell(1).value));
      expect(sheet.rowCount).toBe(3);
      expect(numbers.sort()).toEqual(picked.map((i) => i.number).sort());

      // 批量重新发送: to each buyer's own address, after saying how many.
      await page.getByTestId("bulk-resend").click();
      await confirmTitle("重新发送所选的 2 张发票？");
      await confirmDialog().getByRole("button", { name: "重新发送" }).click();
      await page.getByText("已重新发送 2 项").waitFor();
      const resent = await app.ctx.database.db
        .select()
        .from(deliveries)
        .where(eq(deliveries.reason, "operator"));
      expect(resent.map((d) => d.invoiceId).sort()).toEqual(picked.map((i) => i.id).sort());

      // 批量下载 PDF: one zip with the two PDFs by number.
      await page.getByTestId("bulk-pdf").click();
      await confirmTitle("下载所选 2 张发票的 PDF？");
      const zipped = page.waitForEvent("download");
      await confirmDialog().getByRole("button", { name: "下 载" }).click();
      const download = await zipped;
      expect(download.suggestedFilename()).toBe("发票PDF-2张.zip");
      const archive = openZip(await fs.readFile((await download.path())!), {
        maxEntries: 10,
        maxEntryBytes: 20 * 1024 * 1024,
        maxTotalBytes: 40 * 1024 * 1024,
        maxRatio: 100,
        ratioFloorBytes: 1024 * 1024,
      });
      expect([...archive.entries.values()].map((e) => e.name).sort()).toEqual(
        picked.map((i) => `${i.number}.pdf`).sort(),
      );
      const entry = archive.entries.get(`${picked[0]!.number}.pdf`)!;
      const chunks: Buffer[] = [];
      for await (const chunk of readZipEntry(archive, entry)) chunks.push(chunk);
      expect(Buffer.concat(chunks).subarray(0, 5).toString()).toBe("%PDF-");
    }, 90_000);
  });
});
