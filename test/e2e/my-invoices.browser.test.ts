import { eq } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { reviewRules, taxBureauAccounts } from "../../src/platform/db/schema";
import { newId } from "../../src/platform/ids";
import { createTestApp, submitAsCompany, type TestApp } from "../support/app";
import { collectPageErrors, describeBrowser, launchBrowser, screenshotPath } from "../support/browser";
import { makeOrganization, makeReceiptCode, makeUscc } from "../support/factories";
import { startSmtp, type TestSmtp } from "../support/smtp";

/**
 * 我的发票 (issue 22) on a phone-sized page against the whole app: from the re-scan page's link, a
 * login by the code read from the in-process SMTP server, the list of what was sent to that address
 * (across two merchants, not the invoice sent elsewhere) with the ones not issued — held for the
 * merchant's review, failed with the re-scan's reason — the filters by month and seller, one invoice
 * opened as the re-scan shows it with its PDF, a failed one with its state, and logging out.
 */
const PHONE = { width: 390, height: 844 };

describeBrowser("我的发票 on a phone (issue 22)", () => {
  let app: TestApp;
  let smtp: TestSmtp;
  let browser: Browser;
  let baseUrl: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    smtp = await startSmtp();
    app = await createTestApp("pglite", { env: { SMTP_URL: smtp.url } });
    baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
    app.config.publicUrl = baseUrl;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await smtp?.close();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  async function phone(): Promise<{ page: Page; context: BrowserContext; errors: string[] }> {
    const context = await browser.newContext({
      viewport: PHONE,
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: "zh-CN",
      timezoneId: "Asia/Shanghai",
    });
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    collectPageErrors(page, errors);
    return { page, context, errors };
  }

  async function issue(orgId: string, email: string, status = "issued") {
    const code = await makeReceiptCode(app.ctx, orgId);
    const res = await app.http.inject({
      method: "POST",
      url: `/api/scan/${code.token}/submit`,
      payload: {
        invoiceType: "digital_normal",
        buyer: { type: "enterprise", name: "杭州示例网络科技有限公司", taxId: makeUscc("91330100") },
        email,
      },
    });
    expect(res.json().status).toBe(status);
    return { token: code.token, invoice: res.json().invoices[0] as { id: string; number: string } };
  }

  it("logs in by the e-mailed code, lists what was sent to the address, opens an invoice and logs out", async () => {
    const hotel = await makeOrganization(app.ctx.database, { name: "杭州我的发票示范酒店有限公司" });
    const shop = await makeOrganization(app.ctx.database, { name: "杭州我的发票示范商店有限公司" });
    const email = "wo.de.fapiao@example.com";
    // Not issued (yet): held by the shop's 审核开票 rule; refused by the bistro's tax channel.
    const reviewing = await makeOrganization(app.ctx.database, { name: "杭州我的发票审核商店有限公司" });
    await app.ctx.database.db
      .insert(reviewRules)
      .values({ id: newId("rvr"), orgId: reviewing.id, invoiceType: "digital_normal" });
    const refusing = await makeOrganization(app.ctx.database, { name: "杭州我的发票拒绝餐厅有限公司" });
    await app.ctx.database.db
      .update(taxBureauAccounts)
      .set({ settings: { mode: "reject", message: "纳税人状态异常" } })
      .where(eq(taxBureauAccounts.orgId, refusing.id));
    const failed = await issue(refusing.id, email, "failed");
    const held = await issue(reviewing.id, email, "issuing");
    const first = await issue(hotel.id, email);
    const second = await issue(shop.id, email);
    // The same buyer, sent to someone else: never listed for this address.
    const elsewhere = await issue(hotel.id, "someone.else@example.com");
    const plain = await makeReceiptCode(app.ctx, hotel.id);
    expect((await submitAsCompany(app, plain.token)).statusCode).toBe(202);

    const { page, context, errors } = await phone();
    // The failed receipt's page links to 我的发票 too.
    await page.goto(`${baseUrl}/s/${failed.token}`);
    await page.getByTestId("failed").waitFor();
    await expect(page.getByTestId("my-invoices-link").getAttribute("href")).resolves.toBe("/my");
    // The re-scan page links to 我的发票.
    await page.goto(`${baseUrl}/s/${first.token}`);
    await page.getByTestId("my-invoices-link").click();
    await page.waitForURL(`${baseUrl}/my`);

    await page.getByRole("radio", { name: "邮箱" }).check();
    await page.getByLabel("电子邮箱").fill(email);
    const before = smtp.mails.length;
    await page.getByTestId("send-code").click();
    const mails = await smtp.waitFor(before + 1);
    const codeMail = mails.slice(before).find((m) => m.to.includes(email) && m.subject.includes("验证码"));
    const code = /验证码 (\d{6})/.exec(codeMail?.subject ?? "")?.[1];
    expect(code).toMatch(/^\d{6}$/);
    // The mail can arrive before the page has shown the server's answer.
    await expect.poll(() => page.getByRole("status").textContent()).toContain("验证码已发送至");
    await page.getByTestId("my-code").fill(code ?? "");
    await page.getByTestId("login").click();

    const items = page.getByTestId("my-item");
    await page.getByTestId("my-list").waitFor();
    await expect(items.count()).resolves.toBe(4);
    // Newest first, across the merchants; the invoice sent elsewhere is not there.
    const ids = await items.evaluateAll((els) => els.map((e) => e.getAttribute("data-id")));
    expect(ids).toEqual([second.invoice.id, first.invoice.id, held.invoice.id, failed.invoice.id]);
    // The ones without a number, with their state, and the failed one's reason as the re-scan says it.
    await expect(items.nth(2).getByTestId("my-status").textContent()).resolves.toBe("待商家审核");
    await expect(items.nth(3).getByTestId("my-status").textContent()).resolves.toBe("开具失败");
    await expect(items.nth(3).getByTestId("my-failure").textContent()).resolves.toContain(
      "开票信息未通过税务校验",
    );
    await expect(items.nth(3).textContent()).resolves.not.toContain("纳税人状态异常");
    await expect(page.getByTestId("my-list").textContent()).resolves.not.toContain(elsewhere.invoice.id);
    await expect(items.nth(0).textContent()).resolves.toContain(shop.name);
    await expect(items.nth(1).getByTestId("my-status").textContent()).resolves.toBe("已开具");
    await expect(page.getByTestId("my-contact").textContent()).resolves.toContain("w***o@example.com");
    await page.screenshot({ path: screenshotPath("my-invoices-list") });

    // The month filter: this China month holds all four, the month before none.
    const months = await page
      .getByTestId("filter-month")
      .locator("option")
      .evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value).filter(Boolean));
    const thisMonth = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);
    expect(months[0]).toBe(thisMonth);
    await page.getByTestId("filter-month").selectOption(months[1] ?? "");
    await page.getByTestId("my-empty").waitFor();
    await expect(page.getByTestId("my-empty").textContent()).resolves.toBe("没有符合条件的发票");
    await page.getByTestId("filter-month").selectOption(thisMonth);
    await page.getByTestId("my-list").waitFor();
    await expect(items.count()).resolves.toBe(4);
    await page.getByTestId("filter-month").selectOption("");

    // A failed one opens with its state and reason, and nothing to download.
    await items.nth(3).click();
    await page.getByTestId("my-state-failed").waitFor();
    await expect(page.getByTestId("seller-name").textContent()).resolves.toBe(refusing.name);
    await expect(page.getByTestId("failure-message").textContent()).resolves.toContain(
      "开票信息未通过税务校验",
    );
    await expect(page.getByTestId("invoice-number").textContent()).resolves.toBe("未开具");
    await expect(page.getByTestId("download-pdf").count()).resolves.toBe(0);
    await page.screenshot({ path: screenshotPath("my-invoices-failed") });
    await page.getByTestId("back").click();
    await page.getByTestId("my-list").waitFor();
    await expect(items.count()).resolves.toBe(4);

    // The seller filter leaves one.
    await page.getByTestId("filter-seller").selectOption(hotel.id);
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=my-item]").length === 1);
    await expect(items.nth(0).getAttribute("data-id")).resolves.toBe(first.invoice.id);

    // One invoice, as the re-scan shows it.
    await items.nth(0).click();
    await page.getByTestId("invoice").waitFor();
    await expect(page.getByTestId("seller-name").textContent()).resolves.toBe(hotel.name);
    await expect(page.getByTestId("invoice-number").textContent()).resolves.toBe(first.invoice.number);
    const href = await page.getByTestId("download-pdf").getAttribute("href");
    expect(href).toBe(`/api/my/files/${first.invoice.id}.pdf`);
    // 申请重开 and 加入微信卡包 are on the receipt's own page, one tap away.
    await expect(page.getByTestId("receipt-page").getAttribute("href")).resolves.toBe(`/s/${first.token}`);
    const pdf = await page.evaluate(async (url) => {
      const res = await fetch(url);
      const bytes = new Uint8Array(await res.arrayBuffer());
      return { status: res.status, head: String.fromCharCode(...bytes.slice(0, 5)) };
    }, href ?? "");
    expect(pdf).toEqual({ status: 200, head: "%PDF-" });
    await page.screenshot({ path: screenshotPath("my-invoices-detail") });

    // Only the HttpOnly session cookie is kept on the phone; it survives a reload.
    const cookies = await context.cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([["piaoma_my", true, "Strict"]]);
    await expect(page.evaluate(() => [localStorage.length, sessionStorage.length])).resolves.toEqual([0, 0]);
    await page.getByTestId("back").click();
    await page.reload();
    await page.getByTestId("my-list").waitFor();

    await page.getByTestId("logout").click();
    await page.getByTestId("send-code").waitFor();
    await page.reload();
    await page.getByTestId("send-code").waitFor();
    expect(await context.cookies()).toEqual([]);
    expect(errors).toEqual([]);
  });
});
