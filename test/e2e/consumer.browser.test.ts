import { eq } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { systemActor } from "../../src/context";
import { amountInCapitals } from "../../src/domain";
import { disableReceiptCodeRow } from "../../src/modules/receipt-codes/receipt-codes.console.repository";
import { createReceiptCode } from "../../src/modules/receipt-codes/receipt-codes.service";
import { receiptCodeConfigs, taxBureauAccounts } from "../../src/platform/db/schema";
import { createTestApp, type TestApp } from "../support/app";
import { collectPageErrors, describeBrowser, launchBrowser, screenshotPath } from "../support/browser";
import { makeOrganization, makeUscc } from "../support/factories";
import { startSmtp, type TestSmtp } from "../support/smtp";
import { findSystemTool, pdfToText } from "../support/system-tools";

/**
 * The consumer page behind the QR, driven like a phone: a WeChat user agent, touch, 2× pixels, a
 * 375 px viewport (and 360 / 414 for the screenshots a person checks), against the whole app.
 */
const WECHAT_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) " +
  "Mobile/15E148 MicroMessenger/8.0.40(0x18002831) NetType/WIFI Language/zh_CN";
const SELLER = "深圳市票码示范餐饮有限公司";
const BUYER = "杭州示例网络科技有限公司";
const DAY_MS = 24 * 3600 * 1000;
const flat = (text: string) => text.replace(/\s+/g, "");

describeBrowser("consumer page on a phone", () => {
  let app: TestApp;
  let smtp: TestSmtp;
  let browser: Browser;
  let baseUrl: string;
  let orgId: string;
  let serial = 0;

  beforeAll(async () => {
    smtp = await startSmtp();
    app = await createTestApp("pglite", { env: { SMTP_URL: smtp.url } });
    baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
    app.config.publicUrl = baseUrl;
    orgId = (await makeOrganization(app.ctx.database, { name: SELLER })).id;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await smtp?.close();
  });
  // Every test has its own phones (browser contexts); closed after it even when it fails halfway.
  const phones: BrowserContext[] = [];
  afterEach(async () => {
    for (const context of phones.splice(0)) await context.close();
  });

  /** A receipt: lunch, two room nights with a discount; 价税合计 800.00. */
  async function receiptCode(options: { org?: string; validDays?: number; now?: Date } = {}) {
    serial += 1;
    return createReceiptCode(app.ctx, {
      actor: systemActor("test"),
      orgId: options.org ?? orgId,
      source: "manual",
      now: options.now,
      input: {
        serialNo: `E2E-${Date.now()}-${serial}`,
        drawer: "张会计",
        validDays: options.validDays,
        receiptFooter: "请于 30 天内扫码开具电子发票",
        lines: [
          {
            name: "午餐",
            shortName: "餐饮服务",
            taxCode: "3070401000000000000",
            taxRate: "0.06",
            amount: "100.00",
          },
          {
            name: "标准间",
            shortName: "住宿服务",
            taxCode: "3070402000000000000",
            taxRate: "0.06",
            unit: "间夜",
            quantity: "2",
            unitPrice: "388.00",
            amount: "776.00",
            discount: "-76.00",
          },
        ],
      },
    });
  }

  async function phone(width = 375): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser.newContext({
      viewport: { width, height: 740 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      userAgent: WECHAT_IPHONE,
      locale: "zh-CN",
      timezoneId: "Asia/Shanghai",
      acceptDownloads: true,
    });
    phones.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    collectPageErrors(page, errors);
    return { context, page, errors };
  }

  async function openForm(page: Page, token: string) {
    await page.goto(`${baseUrl}/s/${token}`);
    await page.getByTestId("submit").waitFor();
  }

  it("issues an invoice for an enterprise buyer, downloads the PDF, mails it, and shows it on re-scan", async () => {
    const code = await receiptCode();
    const { context, page, errors } = await phone();
    await openForm(page, code.token);
    await expect(page.getByTestId("seller-name").textContent()).resolves.toBe(SELLER);
    await expect(page.getByTestId("total-amount").textContent()).resolves.toBe("¥800.00");
    await expect(page.getByText("-¥76.00").isVisible()).resolves.toBe(true);
    await page.screenshot({ path: screenshotPath("consumer-form-375"), fullPage: true });

    await page.getByRole("radio", { name: "企业", exact: true }).check();
    await page.getByLabel("抬头名称").fill(BUYER);
    const taxId = makeUscc();
    await page.getByLabel("税号").fill(taxId);
    await page.getByLabel("电子邮箱").fill("buyer@example.com");
    await page.getByLabel("手机号码").fill("13800138000");
    await page.getByTestId("submit").click();
    await page.getByTestId("confirm-sheet-yes").click();

    const card = page.getByTestId("invoice");
    await card.waitFor({ timeout: 20_000 });
    await expect(page.getByTestId("result-banner").textContent()).resolves.toContain("开票成功");
    const number = (await page.getByTestId("invoice-number").textContent())?.trim() ?? "";
    expect(number).toMatch(/^\d{20}$/);
    await expect(page.getByTestId("invoice-buyer").textContent()).resolves.toBe(BUYER);
    await expect(page.getByTestId("invoice-total").textContent()).resolves.toBe("¥800.00");
    await expect(card.textContent()).resolves.toContain("b***r@example.com");
    await page.screenshot({ path: screenshotPath("consumer-invoice-375"), fullPage: true });

    // The download button delivers the PDF the tax bureau would: number, both parties, 价税合计 twice.
    // In WeChat the button opens the PDF in the in-app viewer (a download would be blocked).
    const pdfLink = page.getByTestId("download-pdf");
    await expect(pdfLink.textContent()).resolves.toBe("查看 PDF");
    const opened = await page.request.get(new URL((await pdfLink.getAttribute("href")) ?? "", baseUrl).href);
    expect(opened.headers()["content-disposition"]).toBe(`inline; filename="${number}.pdf"`);
    const pdf = await opened.body();
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    if (findSystemTool("pdftotext") || process.env.CI === "true") {
      const text = flat(await pdfToText(pdf));
      for (const expected of [number, BUYER, SELLER, "¥800.00", amountInCapitals("800.00"), taxId]) {
        expect(text, expected).toContain(flat(expected));
      }
    }

    // …and the e-mail arrives with both files.
    const [mail] = await smtp.waitFor(1);
    expect(mail?.to).toEqual(["buyer@example.com"]);
    expect(mail?.attachments.map((a) => a.filename).sort()).toEqual([`${number}.pdf`, `${number}.xml`]);

    // Resend: accepted, and after five an hour the page says so kindly.
    await page.getByRole("radio", { name: "邮箱" }).check();
    const resendTo = page.locator("#resend-to");
    const status = page.locator("#resend-status");
    for (let i = 0; i < 5; i++) {
      await resendTo.fill(`copy${i}@example.com`);
      await page.getByRole("button", { name: "发送", exact: true }).click();
      await expect.poll(() => status.textContent()).toContain(`c***${i}@example.com`);
    }
    await resendTo.fill("copy5@example.com");
    await page.getByRole("button", { name: "发送", exact: true }).click();
    await expect
      .poll(() => status.textContent())
      .toMatch(/^每个开票码每小时最多重发 5 次，请稍后再试（约 (59|60) 分钟后可再发送）。$/);
    await page.screenshot({ path: screenshotPath("consumer-resend-limited-375"), fullPage: true });

    // Scanning again shows the invoice, not the form.
    const again = await context.newPage();
    await again.goto(`${baseUrl}/s/${code.token}`);
    await again.getByTestId("invoice").waitFor();
    await expect(again.getByTestId("invoice-number").textContent()).resolves.toBe(number);
    await expect(again.getByTestId("result-banner").textContent()).resolves.toContain("该小票已开具发票");
    await expect(again.getByTestId("submit").count()).resolves.toBe(0);
    await again.screenshot({ path: screenshotPath("consumer-rescan-375"), fullPage: true });

    // The next receipt on this phone: the buyer is remembered on the phone. Typing a title asks the
    // server nothing: other buyers' titles are never suggested.
    const next = await receiptCode();
    const asked: string[] = [];
    again.on("request", (r) => r.url().includes("/titles") && asked.push(r.url()));
    await openForm(again, next.token);
    await expect(again.getByLabel("抬头名称").inputValue()).resolves.toBe(BUYER);
    await expect(again.getByLabel("税号").inputValue()).resolves.toBe(taxId);
    await expect(again.getByLabel("电子邮箱").inputValue()).resolves.toBe("buyer@example.com");
    await again.getByLabel("抬头名称").fill("");
    await again.getByLabel("抬头名称").pressSequentially("示例网络", { delay: 30 });
    await again.waitForTimeout(400);
    expect(asked).toEqual([]);
    await expect(again.getByRole("listbox").count()).resolves.toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows field errors in Chinese before submitting, and hides 专票 for a person", async () => {
    const code = await receiptCode();
    const { context, page, errors } = await phone(360);
    const submits: string[] = [];
    page.on("request", (r) => r.url().endsWith("/submit") && submits.push(r.url()));
    await openForm(page, code.token);

    await page.getByRole("radio", { name: "企业", exact: true }).check();
    await page.getByLabel("抬头名称").fill(BUYER);
    const good = makeUscc();
    const wrongCheck = good.slice(0, 17) + (good.endsWith("0") ? "1" : "0");
    await page.getByLabel("税号").fill(wrongCheck);
    await page.getByLabel("电子邮箱").focus();
    await expect(page.locator("#err-taxId").textContent()).resolves.toBe(
      "纳税人识别号（统一社会信用代码）校验失败，请检查",
    );
    await page.getByLabel("电子邮箱").fill("not-an-address");
    await page.getByLabel("手机号码").focus();
    await expect(page.locator("#err-email").textContent()).resolves.toBe("电子邮箱格式不正确");

    await page.getByTestId("submit").click();
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe("f-taxId");
    await page.screenshot({ path: screenshotPath("consumer-field-errors-360"), fullPage: true });
    expect(submits).toEqual([]);

    // Both contacts empty: the group says one is needed.
    await page.getByLabel("电子邮箱").fill("");
    await page.getByTestId("submit").click();
    await expect(page.locator("#err-contact").textContent()).resolves.toContain("至少填写");

    // What only the server can know comes back as field errors and is shown at the field.
    await page.getByLabel("电子邮箱").fill("finance@example.com");
    await page.getByLabel("税号").fill(good);
    await page.route("**/submit", (route) =>
      route.fulfill({
        status: 422,
        contentType: "application/json",
        body: JSON.stringify({
          error: {
            code: "VALIDATION_FAILED",
            message: "提交的内容有误，请检查标出的字段",
            details: { fields: { "buyer.name": "购买方名称与税务登记不一致" } },
          },
        }),
      }),
    );
    await page.getByTestId("submit").click();
    await page.getByTestId("confirm-sheet-yes").click();
    await expect.poll(() => page.locator("#err-name").textContent()).toBe("购买方名称与税务登记不一致");
    await expect(page.getByTestId("submit").isEnabled()).resolves.toBe(true);
    await page.unroute("**/submit");
    submits.length = 0;

    // 个人: no 专票 on offer, tax ID optional.
    await page.getByRole("radio", { name: "个人" }).check();
    await expect(page.getByRole("radio", { name: /增值税专用发票/ }).isVisible()).resolves.toBe(false);
    await expect(page.locator("#taxid-mark").textContent()).resolves.toBe("选填");
    expect(submits).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("asks to confirm a tax ID that is not 18 characters before sending it, and folds a full-width one", async () => {
    const code = await receiptCode();
    const { context, page, errors } = await phone();
    const bodies: string[] = [];
    page.on("request", (r) => r.url().endsWith("/submit") && bodies.push(r.postData() ?? ""));
    await openForm(page, code.token);
    await page.getByRole("radio", { name: "企业", exact: true }).check();
    await page.getByLabel("抬头名称").fill(BUYER);
    await page.getByLabel("电子邮箱").fill("buyer@example.com");

    // Typed with a Chinese IME in full width: shown, and sent, as the code it is.
    const good = makeUscc();
    const fullWidth = good.replace(/[0-9A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
    await page.getByLabel("税号").fill(fullWidth);
    await page.getByLabel("电子邮箱").focus();
    await expect(page.getByLabel("税号").inputValue()).resolves.toBe(good);

    // One character lost: a valid legacy length, so the rules take it — the page asks first.
    const truncated = good.slice(0, 17);
    await page.getByLabel("税号").fill(truncated);
    const confirm = page.getByTestId("taxid-confirm");
    await page.getByTestId("submit").click();
    await confirm.waitFor();
    await expect(confirm.textContent()).resolves.toContain("这不是 18 位统一社会信用代码，确认无误吗？");
    await page.screenshot({ path: screenshotPath("consumer-taxid-confirm-375"), fullPage: true });
    expect(bodies).toEqual([]);
    await page.getByTestId("taxid-confirm-edit").click();
    await expect(confirm.isVisible()).resolves.toBe(false);
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe("f-taxId");
    expect(bodies).toEqual([]);

    // Asked again on the next submit, and sent once confirmed.
    await page.getByTestId("submit").click();
    await confirm.waitFor();
    expect(bodies).toEqual([]);
    await page.getByTestId("taxid-confirm-yes").click();
    await page.getByTestId("confirm-sheet-yes").click();
    await page.getByTestId("invoice").waitFor({ timeout: 20_000 });
    expect(bodies.map((b) => JSON.parse(b).buyer.taxId)).toEqual([truncated]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("announces a split above the limit and issues that many invoices; explains a refusal", async () => {
    const splitting = await makeOrganization(app.ctx.database, {
      name: "广州票码拆分测试有限公司",
      limit: "500.00",
      overLimitPolicy: "split",
    });
    const code = await receiptCode({ org: splitting.id });
    const { context, page, errors } = await phone();
    await openForm(page, code.token);
    await expect(page.getByTestId("limit-notice").textContent()).resolves.toContain("将拆分开具 2 张发票");
    await page.screenshot({ path: screenshotPath("consumer-split-375"), fullPage: true });
    await page.getByRole("radio", { name: "个人" }).check();
    await page.getByLabel("抬头名称").fill("李四");
    await page.getByLabel("电子邮箱").fill("lisi@example.com");
    await page.getByTestId("submit").click();
    await page.getByTestId("confirm-sheet-yes").click();
    await page.getByTestId("invoice").first().waitFor({ timeout: 20_000 });
    await expect(page.getByTestId("invoice").count()).resolves.toBe(2);
    await expect(page.getByTestId("result-banner").textContent()).resolves.toContain("共开具 2 张发票");

    // The organization lowers its limit and refuses above it: an existing code says why, no form.
    const refused = await receiptCode({ org: splitting.id });
    await app.ctx.database.db
      .update(receiptCodeConfigs)
      .set({ overLimitPolicy: "reject" })
      .where(eq(receiptCodeConfigs.orgId, splitting.id));
    await page.goto(`${baseUrl}/s/${refused.token}`);
    await page.getByTestId("limit-notice").waitFor();
    await expect(page.getByTestId("limit-notice").textContent()).resolves.toContain("无法在线开具");
    await expect(page.getByTestId("submit").count()).resolves.toBe(0);
    await page.screenshot({ path: screenshotPath("consumer-reject-375"), fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });

  it("gives unknown, expired and disabled codes their own pages", async () => {
    const { context, page, errors } = await phone();

    await page.goto(`${baseUrl}/s/Zx9Kq7Tt3vBn2Lm8Pw4Rj6Hd`);
    await page.getByTestId("status-not-found").waitFor();
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("未找到该开票码");
    await expect(page.getByTestId("status-not-found").textContent()).resolves.toContain("联系商家");
    await page.screenshot({ path: screenshotPath("consumer-unknown-375") });

    const expired = await receiptCode({ validDays: 1, now: new Date(Date.now() - 3 * DAY_MS) });
    await page.goto(`${baseUrl}/s/${expired.token}`);
    await page.getByTestId("status-expired").waitFor();
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("开票码已过期");
    // Whom to ask, by name.
    await expect(page.getByTestId("status-expired").textContent()).resolves.toContain(`联系${SELLER}`);
    await page.screenshot({ path: screenshotPath("consumer-expired-375") });

    const disabled = await receiptCode();
    await disableReceiptCodeRow(app.ctx.database.db, disabled.id, new Date());
    await page.goto(`${baseUrl}/s/${disabled.token}`);
    await page.getByTestId("status-disabled").waitFor();
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("开票码已停用");
    await expect(page.getByTestId("status-disabled").textContent()).resolves.toContain(`联系${SELLER}`);
    await page.screenshot({ path: screenshotPath("consumer-disabled-375") });
    expect(errors).toEqual([]);
    await context.close();
  });

  it("offers a retry when the network fails", async () => {
    const code = await receiptCode();
    const { context, page } = await phone();
    await page.route("**/api/scan/**", (route) => route.abort("internetdisconnected"));
    // The receipt normally comes inside the HTML; a page without it (say, from a cache) asks the API.
    await page.route(`${baseUrl}/s/*`, async (route) => {
      const response = await route.fetch();
      const headers = { ...response.headers() };
      delete headers["content-encoding"];
      delete headers["content-length"];
      const body = (await response.text()).replace(
        /<script type="application\/json" id="scan-data">[\s\S]*?<\/script>/,
        "",
      );
      await route.fulfill({ response, headers, body });
    });
    await page.goto(`${baseUrl}/s/${code.token}`);
    await page.getByTestId("status-network").waitFor();
    await page.screenshot({ path: screenshotPath("consumer-network-375") });
    await page.unroute("**/api/scan/**");
    await page.getByRole("button", { name: "重试" }).click();
    await page.getByTestId("submit").waitFor();
    await context.close();
  });

  it("says the invoice is queued while the channel is down, and shows it once issued", async () => {
    const other = await makeOrganization(app.ctx.database, { name: "上海票码离线测试有限公司" });
    const setChannel = (settings: object) =>
      app.ctx.database.db
        .update(taxBureauAccounts)
        .set({ settings })
        .where(eq(taxBureauAccounts.orgId, other.id));
    await setChannel({ mode: "offline" });
    const code = await receiptCode({ org: other.id });
    const { context, page, errors } = await phone();
    // The page's clock is ours: its 30 s of patience pass in a moment.
    await page.clock.install();
    await openForm(page, code.token);
    await page.getByRole("radio", { name: "个人" }).check();
    await page.getByLabel("抬头名称").fill("张三");
    await page.getByLabel("手机号码").fill("13900139000");
    await page.getByTestId("submit").click();
    await page.getByTestId("confirm-sheet-yes").click();
    await page.getByTestId("issuing").waitFor();
    await page.screenshot({ path: screenshotPath("consumer-issuing-375") });

    const queued = page.getByTestId("queued");
    for (let i = 0; i < 40 && !(await queued.isVisible()); i++) {
      await page.clock.runFor(1000);
      await page.waitForTimeout(50);
    }
    await expect(queued.textContent()).resolves.toContain("发票开具后将发送至 手机 139****9000");
    await page.screenshot({ path: screenshotPath("consumer-queued-375"), fullPage: true });

    await setChannel({});
    const card = page.getByTestId("invoice");
    for (let i = 0; i < 40 && !(await card.isVisible()); i++) {
      await page.clock.runFor(10_000);
      await page.waitForTimeout(500);
    }
    await expect(page.getByTestId("invoice-number").textContent()).resolves.toMatch(/^\d{20}$/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("says so when the tax bureau refuses, and that the merchant can resolve it", async () => {
    const refusing = await makeOrganization(app.ctx.database, { name: "南京票码拒绝测试有限公司" });
    await app.ctx.database.db
      .update(taxBureauAccounts)
      .set({ settings: { mode: "reject", message: "纳税人状态异常" } })
      .where(eq(taxBureauAccounts.orgId, refusing.id));
    const code = await receiptCode({ org: refusing.id });
    const { context, page, errors } = await phone();
    await openForm(page, code.token);
    await page.getByRole("radio", { name: "个人" }).check();
    await page.getByLabel("抬头名称").fill("王五");
    await page.getByLabel("电子邮箱").fill("wangwu@example.com");
    await page.getByTestId("submit").click();
    await page.getByTestId("confirm-sheet-yes").click();
    await page.getByTestId("failed").waitFor({ timeout: 20_000 });
    await expect(page.getByTestId("failed").textContent()).resolves.toContain(
      "请联系南京票码拒绝测试有限公司",
    );
    await page.screenshot({ path: screenshotPath("consumer-failed-375") });

    // A later scan shows the same, not a form that could not be submitted.
    await page.goto(`${baseUrl}/s/${code.token}`);
    await page.getByTestId("failed").waitFor();
    await expect(page.getByTestId("submit").count()).resolves.toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("looks right at 360 and 414 px", async () => {
    for (const width of [360, 414]) {
      const code = await receiptCode();
      const { context, page, errors } = await phone(width);
      await openForm(page, code.token);
      // Nothing may stick out sideways on a narrow phone.
      await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBe(width);
      await page.screenshot({ path: screenshotPath(`consumer-form-${width}`), fullPage: true });
      await page.screenshot({ path: screenshotPath(`consumer-form-top-${width}`) });
      await page.getByRole("radio", { name: "企业", exact: true }).check();
      await page.getByLabel("抬头名称").fill(BUYER);
      await page.getByLabel("税号").fill(makeUscc());
      await page.getByLabel("电子邮箱").fill("finance@example.com");
      await page.getByTestId("submit").click();
      await page.getByTestId("confirm-sheet-yes").click();
      await page.getByTestId("invoice").waitFor({ timeout: 20_000 });
      await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBe(width);
      await page.screenshot({ path: screenshotPath(`consumer-invoice-${width}`), fullPage: true });
      expect(errors).toEqual([]);
      await context.close();
    }
  });
});
