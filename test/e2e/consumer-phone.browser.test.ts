import { eq } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import QRCode from "qrcode";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { systemActor } from "../../src/context";
import { disableReceiptCodeRow } from "../../src/modules/receipt-codes/receipt-codes.console.repository";
import { createReceiptCode } from "../../src/modules/receipt-codes/receipt-codes.service";
import { jsapiSignature } from "../../src/modules/wechat/jssdk";
import {
  deliveries,
  orgIntegrations,
  receiptCodeConfigs,
  receiptCodes,
  taxBureauAccounts,
} from "../../src/platform/db/schema";
import type { RunningStandin } from "../../src/standins/server";
import { standinControl } from "../../src/standins/server";
import {
  createTianyanchaStandin,
  DEFAULT_TIANYANCHA_TOKEN,
} from "../../src/standins/tianyancha/tianyancha-standin";
import { createWechatStandin, DEFAULT_WECHAT_APP } from "../../src/standins/wechat/wechat-standin";
import { JSSDK_URL } from "../../web/scan/wechat-title";
import { createTestApp, type TestApp } from "../support/app";
import { collectPageErrors, describeBrowser, launchBrowser, screenshotPath } from "../support/browser";
import { makeOrganization, makeUscc } from "../support/factories";
import { startSmtp, type TestSmtp } from "../support/smtp";

/**
 * The consumer page on the phones of issue 17 — 390×844 and 320×568, WeChat's and Alipay's user
 * agents — against the whole app: the receipt inside the HTML, the dead ends that name the
 * merchant, the confirm sheet, the merchant's prefill, the layout on small screens, PDFs in the
 * in-app viewers and titles remembered on the phone.
 */
const WECHAT =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) " +
  "Mobile/15E148 MicroMessenger/8.0.40(0x18002831) NetType/WIFI Language/zh_CN";
const ALIPAY =
  "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 " +
  "Chrome/116.0.0.0 Mobile Safari/537.36 AlipayClient/10.5.36.8000 Language/zh-Hans";
const SELLER = "杭州票码示范餐饮有限公司";
const SELLER_PHONE = "0571-88886666";
const BUYER = "杭州示例网络科技有限公司";
const DAY_MS = 24 * 3600 * 1000;
const PHONES = { large: { width: 390, height: 844 }, small: { width: 320, height: 568 } } as const;

describeBrowser("consumer page on phones (issue 17)", () => {
  let app: TestApp;
  let smtp: TestSmtp;
  let browser: Browser;
  let baseUrl: string;
  let orgId: string;
  let serial = 0;
  const wechat = createWechatStandin();
  let wechatApi: RunningStandin;
  const tyc = createTianyanchaStandin();
  let registryApi: RunningStandin;

  beforeAll(async () => {
    smtp = await startSmtp();
    wechatApi = await wechat.start();
    registryApi = await tyc.start();
    app = await createTestApp("pglite", {
      env: {
        SMTP_URL: smtp.url,
        PIAOMA_WECHAT_API_URL: wechatApi.url,
        PIAOMA_TIANYANCHA_API_URL: registryApi.url,
      },
    });
    baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
    app.config.publicUrl = baseUrl;
    orgId = (await makeOrganization(app.ctx.database, { name: SELLER, phone: SELLER_PHONE })).id;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await smtp?.close();
    await wechatApi?.close();
    await registryApi?.close();
  });
  const phones: BrowserContext[] = [];
  afterEach(async () => {
    for (const context of phones.splice(0)) await context.close();
  });

  async function receiptCode(
    options: { org?: string; validDays?: number; notify?: { email?: string; mobile?: string } } = {},
  ) {
    serial += 1;
    return createReceiptCode(app.ctx, {
      actor: systemActor("test"),
      orgId: options.org ?? orgId,
      source: options.notify ? "push" : "manual",
      input: {
        serialNo: `P17-${Date.now()}-${serial}`,
        drawer: "张会计",
        validDays: options.validDays,
        notify: options.notify,
        lines: [
          {
            name: "午餐",
            shortName: "餐饮服务",
            taxCode: "3070401000000000000",
            taxRate: "0.06",
            amount: "100.00",
          },
        ],
      },
    });
  }

  async function phone(size: keyof typeof PHONES = "large", userAgent = WECHAT) {
    const context = await browser.newContext({
      viewport: PHONES[size],
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      userAgent,
      locale: "zh-CN",
      timezoneId: "Asia/Shanghai",
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

  async function fillEnterprise(page: Page, email = "buyer@example.com") {
    await page.getByRole("radio", { name: "企业", exact: true }).check();
    await page.getByLabel("抬头名称").fill(BUYER);
    await page.getByLabel("税号").fill(makeUscc());
    await page.getByLabel("电子邮箱").fill(email);
  }

  it("shows the form from the HTML alone: no request to the API before it, merchant text shown as text", async () => {
    const code = await receiptCode();
    await app.ctx.database.db
      .update(receiptCodes)
      .set({ receiptFooter: "</script><script>window.__hacked=1</script>" })
      .where(eq(receiptCodes.id, code.id));
    const { page, errors } = await phone();
    const api: string[] = [];
    page.on("request", (r) => r.url().includes("/api/") && api.push(r.url()));
    const response = await page.goto(`${baseUrl}/s/${code.token}`);
    expect(response?.headers()["content-encoding"]).toBe("br");
    await page.getByTestId("submit").waitFor();
    expect(api).toEqual([]);
    await expect(page.evaluate(() => (window as unknown as { __hacked?: number }).__hacked)).resolves.toBe(
      undefined,
    );
    await expect(page.getByText("</script><script>window.__hacked=1</script>").count()).resolves.toBe(1);
    expect(errors).toEqual([]);
  });

  for (const size of ["large", "small"] as const) {
    it(`names the merchant and its phone on every dead end (${size})`, async () => {
      const { page, errors } = await phone(size);

      // No token at all: the page, not JSON — where the 开票码 under the QR can be typed instead.
      for (const url of ["/s/", "/s"]) {
        await page.goto(`${baseUrl}${url}`);
        await page.getByTestId("typed-code").waitFor();
        await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("输入开票码");
      }

      const expired = await receiptCode({ validDays: 1 });
      const past = new Date(Date.now() - 2 * DAY_MS);
      await app.ctx.database.db
        .update(receiptCodes)
        .set({ expiresAt: past })
        .where(eq(receiptCodes.id, expired.id));
      await page.goto(`${baseUrl}/s/${expired.token}`);
      const expiredPage = page.getByTestId("status-expired");
      await expiredPage.waitFor();
      const text = (await expiredPage.textContent()) ?? "";
      expect(text).toContain(SELLER);
      expect(text).toContain(SELLER_PHONE);
      // The expiry in China time, to the minute.
      const day = new Date(past.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
      expect(text).toContain(day);
      await expect(
        page.getByRole("link", { name: `致电商家 ${SELLER_PHONE}` }).getAttribute("href"),
      ).resolves.toBe("tel:0571-88886666".replace("-", ""));
      await page.screenshot({ path: screenshotPath(`p17-expired-${size}`) });

      const disabled = await receiptCode();
      await disableReceiptCodeRow(app.ctx.database.db, disabled.id, new Date());
      await page.goto(`${baseUrl}/s/${disabled.token}`);
      await page.getByTestId("status-disabled").waitFor();
      await expect(page.getByTestId("merchant-contact").textContent()).resolves.toContain(SELLER);

      // Over the limit with the reject policy: no form, and whom to ask.
      const strict = await makeOrganization(app.ctx.database, {
        name: `严格限额测试有限公司${size}`,
        phone: "020-12345678",
        limit: "50.00",
        overLimitPolicy: "split",
      });
      const over = await receiptCode({ org: strict.id });
      // The organization then refuses above its limit: this code can no longer be invoiced online.
      await app.ctx.database.db
        .update(receiptCodeConfigs)
        .set({ overLimitPolicy: "reject" })
        .where(eq(receiptCodeConfigs.orgId, strict.id));
      await page.goto(`${baseUrl}/s/${over.token}`);
      await page.getByTestId("limit-notice").waitFor();
      await expect(page.getByTestId("limit-notice").textContent()).resolves.toContain(
        `严格限额测试有限公司${size}`,
      );
      await expect(page.getByTestId("merchant-contact").textContent()).resolves.toContain("020-12345678");
      expect(errors).toEqual([]);
    });
  }

  it("says the consumer may leave while issuing, names the merchant when issuing fails", async () => {
    const slow = await makeOrganization(app.ctx.database, {
      name: "离线通道测试有限公司",
      phone: "021-5555",
    });
    await app.ctx.database.db
      .update(taxBureauAccounts)
      .set({ settings: { mode: "offline" } })
      .where(eq(taxBureauAccounts.orgId, slow.id));
    const code = await receiptCode({ org: slow.id });
    const { page, errors } = await phone("small");
    await openForm(page, code.token);
    await fillEnterprise(page, "wait@example.com");
    await page.getByTestId("submit").click();
    await page.getByTestId("confirm-sheet-yes").click();
    await page.getByTestId("issuing").waitFor();
    await expect(page.getByTestId("may-leave").textContent()).resolves.toContain("您可以离开本页");
    await expect(page.getByTestId("may-leave").textContent()).resolves.toContain("w***t@example.com");
    await page.screenshot({ path: screenshotPath("p17-issuing-small") });

    const refusing = await makeOrganization(app.ctx.database, {
      name: "拒绝开票测试有限公司",
      phone: "025-6666",
    });
    await app.ctx.database.db
      .update(taxBureauAccounts)
      .set({ settings: { mode: "reject", message: "纳税人状态异常" } })
      .where(eq(taxBureauAccounts.orgId, refusing.id));
    const refused = await receiptCode({ org: refusing.id });
    await openForm(page, refused.token);
    await fillEnterprise(page);
    await page.getByTestId("submit").click();
    await page.getByTestId("confirm-sheet-yes").click();
    await page.getByTestId("failed").waitFor({ timeout: 20_000 });
    await expect(page.getByTestId("failed").textContent()).resolves.toContain("拒绝开票测试有限公司");
    await expect(page.getByTestId("merchant-contact").textContent()).resolves.toContain("025-6666");
    expect(errors).toEqual([]);
  });

  it("shows each delivery's state on a re-scan and resends a failed one to the remembered address", async () => {
    const code = await receiptCode();
    const { context, page, errors } = await phone();
    await openForm(page, code.token);
    await fillEnterprise(page, "finance@example.com");
    await page.getByTestId("submit").click();
    await page.getByTestId("confirm-sheet-yes").click();
    await page.getByTestId("invoice").waitFor({ timeout: 20_000 });
    await smtp.waitFor(1);
    // Once recorded as sent, the mail server bounces it after all: the delivery failed.
    const mine = async () =>
      (await app.ctx.database.db.select().from(deliveries)).filter(
        (d) => d.recipient === "finance@example.com",
      );
    await expect.poll(async () => (await mine()).map((d) => d.status), { timeout: 20_000 }).toEqual(["sent"]);
    const [bounced] = await mine();
    await app.ctx.database.db
      .update(deliveries)
      .set({ status: "failed" })
      .where(eq(deliveries.id, bounced!.id));

    const again = await context.newPage();
    collectPageErrors(again, errors);
    await again.goto(`${baseUrl}/s/${code.token}`);
    const delivery = again.getByTestId("delivery");
    await delivery.waitFor();
    await expect(delivery.getAttribute("data-status")).resolves.toBe("failed");
    await expect(delivery.textContent()).resolves.toContain("f***e@example.com");
    await expect(delivery.textContent()).resolves.toContain("发送失败");
    await delivery.getByRole("button", { name: "重新发送" }).click();
    await expect(again.locator("#resend-to").inputValue()).resolves.toBe("finance@example.com");
    await again.getByRole("button", { name: "发送", exact: true }).click();
    await expect.poll(() => again.locator("#resend-status").textContent()).toContain("f***e@example.com");
    await smtp.waitFor(2);
    // Scanned again once the mail is out: the new delivery says sent.
    await expect
      .poll(
        async () => {
          await again.reload();
          await again.getByTestId("delivery").first().waitFor();
          return again
            .getByTestId("delivery")
            .evaluateAll((els) => els.map((e) => e.getAttribute("data-status")));
        },
        { timeout: 20_000, interval: 500 },
      )
      .toEqual(["failed", "sent"]);
    await again.screenshot({ path: screenshotPath("p17-deliveries-large"), fullPage: true });
    expect(errors).toEqual([]);
  });

  /** Issues the code through the API, as a phone would have earlier. */
  async function issued(email = "pdf@example.com") {
    const code = await receiptCode();
    const res = await app.http.inject({
      method: "POST",
      url: `/api/scan/${code.token}/submit`,
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({
        invoiceType: "digital_normal",
        buyer: { type: "individual", name: "李四" },
        email,
      }),
    });
    expect(res.statusCode).toBeLessThan(300);
    return code;
  }

  it("opens the PDF in WeChat's and Alipay's in-app viewers, and downloads it in a phone browser", async () => {
    const code = await issued();
    for (const ua of [WECHAT, ALIPAY]) {
      const { page, errors } = await phone("small", ua);
      await page.goto(`${baseUrl}/s/${code.token}`);
      const link = page.getByTestId("download-pdf");
      await link.waitFor({ timeout: 20_000 });
      await expect(link.textContent()).resolves.toBe("查看 PDF");
      await expect(link.getAttribute("download")).resolves.toBeNull();
      const href = (await link.getAttribute("href")) ?? "";
      expect(href).toMatch(/\.pdf\?inline=1$/);
      const res = await page.request.get(new URL(href, baseUrl).href, { headers: { "user-agent": ua } });
      expect(res.headers()["content-type"]).toBe("application/pdf");
      expect(res.headers()["content-disposition"]).toMatch(/^inline; filename="\d{20}\.pdf"$/);
      expect((await res.body()).subarray(0, 5).toString()).toBe("%PDF-");
      await page.screenshot({
        path: screenshotPath(`p17-inapp-pdf-${ua === WECHAT ? "wechat" : "alipay"}-small`),
      });
      expect(errors).toEqual([]);
    }

    // A phone's own browser downloads the file, as before.
    const plainUa = ALIPAY.replace(/ AlipayClient\S+ Language\S+/, "");
    const context = await browser.newContext({
      viewport: PHONES.large,
      isMobile: true,
      userAgent: plainUa,
      acceptDownloads: true,
    });
    phones.push(context);
    const page = await context.newPage();
    await page.goto(`${baseUrl}/s/${code.token}`);
    const link = page.getByTestId("download-pdf");
    await link.waitFor({ timeout: 20_000 });
    await expect(link.textContent()).resolves.toBe("下载 PDF");
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    expect(download.suggestedFilename()).toMatch(/\.pdf$/);
  });

  it("starts as 个人 when the organization chose it in its config", async () => {
    const personal = await makeOrganization(app.ctx.database, { name: "个人默认测试有限公司" });
    await app.ctx.database.db
      .update(receiptCodeConfigs)
      .set({ defaultBuyerType: "individual" })
      .where(eq(receiptCodeConfigs.orgId, personal.id));
    const code = await receiptCode({ org: personal.id });
    const { page, errors } = await phone("small");
    await openForm(page, code.token);
    await expect(page.getByRole("radio", { name: "个人" }).isChecked()).resolves.toBe(true);
    await openForm(page, (await receiptCode()).token);
    await expect(page.getByRole("radio", { name: "企业", exact: true }).isChecked()).resolves.toBe(true);
    expect(errors).toEqual([]);
  });

  it("fills e-mail and mobile from the merchant's notify on a pushed order", async () => {
    const code = await receiptCode({ notify: { email: "guest@example.com", mobile: "13900139000" } });
    for (const size of ["large", "small"] as const) {
      const { page, errors } = await phone(size);
      await openForm(page, code.token);
      await expect(page.getByLabel("电子邮箱").inputValue()).resolves.toBe("guest@example.com");
      await expect(page.getByLabel("手机号码").inputValue()).resolves.toBe("13900139000");
      expect(errors).toEqual([]);
    }
  });

  it("asks for a last look before issuing: type, title, tax ID, contacts, amount and count; 返回修改 keeps the form", async () => {
    const code = await receiptCode();
    const { page, errors } = await phone("small");
    const bodies: string[] = [];
    page.on("request", (r) => r.url().endsWith("/submit") && bodies.push(r.postData() ?? ""));
    await openForm(page, code.token);
    const taxId = makeUscc();
    await page.getByRole("radio", { name: "企业", exact: true }).check();
    await page.getByLabel("抬头名称").fill(BUYER);
    await page.getByLabel("税号").fill(taxId);
    await page.getByLabel("电子邮箱").fill("sheet@example.com");
    await page.getByLabel("手机号码").fill("13700137000");
    await page.getByTestId("submit").click();
    const sheet = page.getByTestId("confirm-sheet");
    await sheet.waitFor();
    const text = (await sheet.textContent()) ?? "";
    for (const expected of [
      "电子发票（普通发票）",
      `${BUYER}（企业）`,
      taxId,
      "sheet@example.com",
      "13700137000",
      "¥100.00",
      "1 张",
    ]) {
      expect(text, expected).toContain(expected);
    }
    // The sheet fits the small phone, both buttons visible.
    for (const id of ["confirm-sheet-yes", "confirm-sheet-edit"]) {
      const box = await page.getByTestId(id).boundingBox();
      expect(box && box.y + box.height <= PHONES.small.height).toBe(true);
    }
    await page.screenshot({ path: screenshotPath("p17-confirm-small") });
    await page.getByTestId("confirm-sheet-edit").click();
    await expect(sheet.count()).resolves.toBe(0);
    expect(bodies).toEqual([]);
    await expect(page.getByLabel("抬头名称").inputValue()).resolves.toBe(BUYER);
    await page.getByTestId("submit").click();
    await page.getByTestId("confirm-sheet-yes").click();
    await page.getByTestId("invoice").waitFor({ timeout: 20_000 });
    expect(bodies.length).toBe(1);
    expect(errors).toEqual([]);
  });

  for (const size of ["large", "small"] as const) {
    it(`fits the phone (${size}): first field and the whole bar on screen, nothing under the bar, readable text, visible focus`, async () => {
      const code = await receiptCode();
      const { page, errors } = await phone(size);
      await openForm(page, code.token);
      const viewport = PHONES[size];
      await page.screenshot({ path: screenshotPath(`p17-form-top-${size}`) });
      const bar = page.locator(".submit-bar");
      const barBox = async () => (await bar.boundingBox())!;
      // On arrival: the bar whole at the bottom, and the first field (the invoice type) above it.
      const first = await page.locator("[data-field=invoiceType] .segment").first().boundingBox();
      const top = await barBox();
      expect(top.y + top.height).toBeLessThanOrEqual(viewport.height + 0.5);
      expect(top.y).toBeGreaterThanOrEqual(0);
      expect(first!.y + first!.height).toBeLessThanOrEqual(top.y);

      // Every field, focused, is clear of the bar (the bar may step aside while typing).
      for (const id of ["f-name", "f-taxId", "f-email", "f-mobile"]) {
        await page.locator(`#${id}`).focus();
        await page.waitForTimeout(50);
        const field = (await page.locator(`#${id}`).boundingBox())!;
        expect(field.y, id).toBeGreaterThanOrEqual(0);
        expect(field.y + field.height, id).toBeLessThanOrEqual(viewport.height);
        const now = await barBox();
        const barOnScreen = now.y < viewport.height && now.y + now.height > 0;
        if (barOnScreen && (await bar.evaluate((el) => getComputedStyle(el).position)) === "sticky") {
          expect(field.y + field.height, id).toBeLessThanOrEqual(now.y);
        }
      }
      await page.locator("#f-name").blur();
      // At the end of the page nothing lies under the bar: the last card ends above it.
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      const lastCard = (await page.locator(".invoice-form .card").last().boundingBox())!;
      expect(lastCard.y + lastCard.height).toBeLessThanOrEqual((await barBox()).y + 0.5);

      // Text at least 14 px, marks (tags, badges, the 必填 mark) at least 12 px; secondary text 4.5:1.
      const problems = await page.evaluate(() => {
        const marks = ".mark, .tag, .badge, .segment-label small, .line-rate, .status-foot";
        const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
        const lum = (c: number[]) => {
          const [r, g, b] = c.map((v) => {
            const x = v / 255;
            return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
          });
          return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
        };
        const background = (el: Element | null): number[] => {
          for (let e = el; e; e = e.parentElement) {
            const bg = getComputedStyle(e).backgroundColor;
            if (bg && !bg.startsWith("rgba(0, 0, 0, 0)") && bg !== "transparent") return rgb(bg);
          }
          return [255, 255, 255];
        };
        const out: string[] = [];
        const walker = document.createTreeWalker(document.getElementById("app")!, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const el = n.parentElement;
          if (!el || !n.textContent?.trim() || el.closest("[hidden]")) continue;
          const style = getComputedStyle(el);
          if (style.visibility === "hidden" || el.getClientRects().length === 0) continue;
          const size = Number.parseFloat(style.fontSize);
          const min = el.closest(marks) ? 12 : 14;
          if (size < min) out.push(`${size}px < ${min}px: ${n.textContent.trim().slice(0, 20)}`);
          if (el.closest(".hero")) continue; // white on the brand colour
          const fg = lum(rgb(style.color));
          const bg = lum(background(el));
          const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
          if (ratio < 4.5) out.push(`contrast ${ratio.toFixed(2)}: ${n.textContent.trim().slice(0, 20)}`);
        }
        return out;
      });
      expect(problems).toEqual([]);

      // Tab through the form: every control shows where the focus is.
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.locator("body").click({ position: { x: 1, y: 1 } });
      const unmarked: string[] = [];
      for (let i = 0; i < 20; i++) {
        await page.keyboard.press("Tab");
        const result = await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          if (!el || el === document.body) return null;
          const shown = (e: Element | null) => {
            if (!e) return false;
            const s = getComputedStyle(e);
            return (
              (s.outlineStyle !== "none" && Number.parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none"
            );
          };
          const ok = shown(el) || shown(el.nextElementSibling) || shown(el.closest(".field"));
          return { ok, name: `${el.tagName}#${el.id}.${el.className}` };
        });
        if (result && !result.ok) unmarked.push(result.name);
      }
      expect(unmarked).toEqual([]);
      expect(errors).toEqual([]);
    });
  }

  it("remembers several titles on the phone, each with its invoice type, and fills one with a tap", async () => {
    const { page, errors } = await phone("small");
    // A company 专票 first, then a personal 普票.
    await openForm(page, (await receiptCode()).token);
    const taxId = makeUscc();
    await page.getByRole("radio", { name: "企业", exact: true }).check();
    await page.getByRole("radio", { name: /增值税专用发票/ }).check();
    await page.getByLabel("抬头名称").fill(BUYER);
    await page.getByLabel("税号").fill(taxId);
    await page.getByLabel("电子邮箱").fill("me@example.com");
    await page.getByTestId("submit").click();
    await page.getByTestId("confirm-sheet-yes").click();
    await page.getByTestId("invoice").waitFor({ timeout: 20_000 });

    await openForm(page, (await receiptCode()).token);
    // The last title came back with its 专票, not the receipt's default 普票.
    await expect(page.getByLabel("抬头名称").inputValue()).resolves.toBe(BUYER);
    await expect(page.getByRole("radio", { name: /增值税专用发票/ }).isChecked()).resolves.toBe(true);
    await page.getByRole("radio", { name: "个人" }).check();
    await page.getByLabel("抬头名称").fill("张三");
    await page.getByLabel("税号").fill("");
    await page.getByTestId("submit").click();
    await page.getByTestId("confirm-sheet-yes").click();
    await page.getByTestId("invoice").waitFor({ timeout: 20_000 });

    // The third receipt: both titles on offer, the latest filled; a tap brings the company back whole.
    const asked: string[] = [];
    page.on("request", (r) => r.url().includes("/titles") && asked.push(r.url()));
    await openForm(page, (await receiptCode()).token);
    const chips = page.getByTestId("saved-title");
    await expect(chips.allTextContents()).resolves.toEqual([
      "张三个人 · 数电普票",
      `${BUYER}企业 · 数电专票`,
    ]);
    await expect(page.getByLabel("抬头名称").inputValue()).resolves.toBe("张三");
    await expect(page.getByRole("radio", { name: "个人" }).isChecked()).resolves.toBe(true);
    await page.screenshot({ path: screenshotPath("p17-titles-small"), fullPage: true });
    await chips.nth(1).click();
    await expect(page.getByLabel("抬头名称").inputValue()).resolves.toBe(BUYER);
    await expect(page.getByLabel("税号").inputValue()).resolves.toBe(taxId);
    await expect(page.getByRole("radio", { name: "企业", exact: true }).isChecked()).resolves.toBe(true);
    await expect(page.getByRole("radio", { name: /增值税专用发票/ }).isChecked()).resolves.toBe(true);
    await expect(page.getByLabel("电子邮箱").inputValue()).resolves.toBe("me@example.com");
    // Nothing was asked of the server: the titles are the phone's own.
    expect(asked).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("微信抬头: inside WeChat, fills the whole title from the user's saved ones through a signed wx.config", async () => {
    // An organization with its 公众号 configured (the console's 扫码页抬头服务 saves the same row).
    const org = (await makeOrganization(app.ctx.database, { name: "微信抬头示范店", phone: SELLER_PHONE }))
      .id;
    await app.ctx.database.db.insert(orgIntegrations).values({
      orgId: org,
      wechatAppId: DEFAULT_WECHAT_APP.appId,
      wechatSecretCiphertext: app.ctx.keyring.encrypt(DEFAULT_WECHAT_APP.secret),
    });
    const chosen = {
      type: "0",
      title: "上海微信示例信息技术有限公司",
      taxNumber: makeUscc(),
      companyAddress: "上海市浦东新区世纪大道100号",
      telephone: "021-66668888",
      bankName: "招商银行上海分行",
      bankAccount: "6225880212345678",
    };
    // The test's stand-in for WeChat's JS bridge, served where the page loads the JS-SDK from.
    const fakeJssdk = `window.wx = {
      config: function (c) { window.__wxConfig = c; var self = this; setTimeout(function () { self._ready && self._ready(); }, 0); },
      ready: function (cb) { this._ready = cb; },
      error: function () {},
      chooseInvoiceTitle: function (o) { window.__wxScene = o.scene; o.success({ choose_invoice_title_info: ${JSON.stringify(JSON.stringify(chosen))} }); }
    };`;
    const { context, page, errors } = await phone("large", WECHAT);
    const sdkLoads: string[] = [];
    await context.route(JSSDK_URL, (route) => {
      sdkLoads.push(route.request().url());
      return route.fulfill({ contentType: "application/javascript", body: fakeJssdk });
    });
    await openForm(page, (await receiptCode({ org })).token);
    // The script is not part of the first load: only a tap brings it.
    expect(sdkLoads).toEqual([]);

    // WeChat refuses the ticket once (rate limit): the page says so and nothing is filled.
    await standinControl(wechatApi.url, "fail", {
      endpoint: "ticket",
      errcode: 45009,
      errmsg: "api freq out of limit",
    });
    await page.getByTestId("title-tool-wechat").click();
    await page.getByTestId("title-tool-error").waitFor();
    await expect(page.getByTestId("title-tool-error").textContent()).resolves.toContain("45009");
    await expect(page.getByLabel("抬头名称").inputValue()).resolves.toBe("");

    await page.getByTestId("title-tool-wechat").click();
    await expect.poll(() => page.getByLabel("抬头名称").inputValue()).toBe(chosen.title);
    await expect(page.getByLabel("税号").inputValue()).resolves.toBe(chosen.taxNumber);
    await expect(page.getByLabel("地址").inputValue()).resolves.toBe(chosen.companyAddress);
    await expect(page.getByLabel("电话", { exact: true }).inputValue()).resolves.toBe(chosen.telephone);
    await expect(page.getByLabel("开户银行").inputValue()).resolves.toBe(chosen.bankName);
    await expect(page.getByLabel("银行账号").inputValue()).resolves.toBe(chosen.bankAccount);
    await expect(page.getByRole("radio", { name: "企业", exact: true }).isChecked()).resolves.toBe(true);
    await expect(page.getByTestId("title-tool-error").isHidden()).resolves.toBe(true);

    // wx.config was signed for this very page with the ticket WeChat handed out.
    const config = (await page.evaluate(
      () => (window as unknown as { __wxConfig: Record<string, unknown> }).__wxConfig,
    )) as {
      appId: string;
      timestamp: number;
      nonceStr: string;
      signature: string;
      jsApiList: string[];
      debug: boolean;
    };
    expect(config).toMatchObject({
      appId: DEFAULT_WECHAT_APP.appId,
      jsApiList: ["chooseInvoiceTitle"],
      debug: false,
    });
    expect(config.signature).toBe(
      jsapiSignature({
        ticket: wechat.tickets().at(-1)!,
        nonceStr: config.nonceStr,
        timestamp: config.timestamp,
        url: page.url().split("#")[0]!,
      }),
    );
    expect(wechat.calls()).toEqual({ token: 2, ticket: 2 });
    await page.screenshot({ path: screenshotPath("p17-wechat-title"), fullPage: true });

    // Another phone of the same organization: the kept ticket serves it, WeChat is not asked again.
    const other = await phone("small", WECHAT);
    await other.context.route(JSSDK_URL, (route) =>
      route.fulfill({ contentType: "application/javascript", body: fakeJssdk }),
    );
    await openForm(other.page, (await receiptCode({ org })).token);
    await other.page.getByTestId("title-tool-wechat").click();
    await expect.poll(() => other.page.getByLabel("抬头名称").inputValue()).toBe(chosen.title);
    expect(wechat.calls()).toEqual({ token: 2, ticket: 2 });

    // Outside WeChat (Alipay) there is no such button, and neither is there for an organization
    // without a 公众号 inside WeChat.
    const alipay = await phone("large", ALIPAY);
    await openForm(alipay.page, (await receiptCode({ org })).token);
    await expect(alipay.page.getByTestId("title-tool-wechat").count()).resolves.toBe(0);
    const plain = await phone("large", WECHAT);
    await openForm(plain.page, (await receiptCode()).token);
    await expect(plain.page.getByTestId("title-tool-wechat").count()).resolves.toBe(0);
    expect(sdkLoads.length).toBe(1);
    expect([...errors, ...other.errors, ...alipay.errors, ...plain.errors]).toEqual([]);
  });

  it("looks the company up by name from the 2nd character, not during IME composition, and fills name and tax ID", async () => {
    const org = (await makeOrganization(app.ctx.database, { name: "抬头联想示范店", phone: SELLER_PHONE }))
      .id;
    await app.ctx.database.db.insert(orgIntegrations).values({
      orgId: org,
      titleProvider: "tianyancha",
      titleProviderKeyCiphertext: app.ctx.keyring.encrypt(DEFAULT_TIANYANCHA_TOKEN),
    });
    const { page, errors } = await phone("small", ALIPAY);
    // The page's clock is the test's: the pause before asking passes when the test says so.
    await page.clock.install();
    await openForm(page, (await receiptCode({ org })).token);
    const name = page.getByLabel("抬头名称");
    await name.click();
    await name.fill("杭");
    await page.clock.runFor(1000);
    // A Chinese IME composing 拼音: nothing is asked until the composition ends.
    await name.dispatchEvent("compositionstart");
    await name.fill("杭州shi'li");
    await page.clock.runFor(1000);
    expect(tyc.searches()).toEqual([]);
    await name.fill("杭州示例");
    await name.dispatchEvent("compositionend");
    await page.clock.runFor(400);
    const suggestions = page.getByTestId("suggestion");
    await suggestions.first().waitFor();
    expect(tyc.searches()).toEqual(["杭州示例"]);
    await expect(suggestions.allTextContents()).resolves.toEqual([
      "杭州示例网络科技有限公司91330106MA2B0000X1",
      "杭州示例餐饮管理有限公司91330105MA2C1111Y2",
    ]);
    await page.screenshot({ path: screenshotPath("p17-lookup-small"), fullPage: true });
    await suggestions.nth(1).click();
    await expect(name.inputValue()).resolves.toBe("杭州示例餐饮管理有限公司");
    await expect(page.getByLabel("税号").inputValue()).resolves.toBe("91330105MA2C1111Y2");
    await expect(page.getByTestId("suggestions").isHidden()).resolves.toBe(true);
    await expect(page.getByRole("radio", { name: "企业", exact: true }).isChecked()).resolves.toBe(true);
    expect(errors).toEqual([]);

    // An organization without a registry service: typing asks nothing at all.
    const plain = await phone("small", ALIPAY);
    await plain.page.clock.install();
    const asked: string[] = [];
    plain.page.on("request", (r) => r.url().includes("/titles") && asked.push(r.url()));
    await openForm(plain.page, (await receiptCode()).token);
    await plain.page.getByLabel("抬头名称").fill("杭州示例");
    await plain.page.clock.runFor(1000);
    expect(asked).toEqual([]);
    expect(tyc.searches()).toEqual(["杭州示例"]);
  });

  it("reads a title QR from a photo with a decoder loaded only when the button is used", async () => {
    const { page, errors } = await phone("large", ALIPAY);
    const scripts: string[] = [];
    page.on("request", (r) => r.resourceType() === "script" && scripts.push(new URL(r.url()).pathname));
    await openForm(page, (await receiptCode()).token);
    const firstLoad = [...scripts];
    expect(firstLoad.some((s) => /title-qr/.test(s))).toBe(false);

    const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
    const taxId = makeUscc();
    const national = `$01${[
      "杭州二维码示例有限公司",
      taxId,
      "杭州市滨江区网商路599号 0571-26888888",
      "中国工商银行杭州分行 1202020209900012345",
    ]
      .map(b64)
      .join("</>")}</>9F3A$`;
    await page.getByTestId("title-tool-qr").click();
    await page.getByTestId("qr-sheet").waitFor();
    expect(scripts.slice(firstLoad.length).some((s) => /title-qr/.test(s))).toBe(true);
    // A QR that is not a title is said to be so; the sheet stays.
    await page.getByTestId("qr-file").setInputFiles({
      name: "other.png",
      mimeType: "image/png",
      buffer: await QRCode.toBuffer("https://example.com/"),
    });
    await expect
      .poll(() => page.getByTestId("qr-message").textContent())
      .toBe("这不是发票抬头二维码，请换一个试试");
    await page.getByTestId("qr-file").setInputFiles({
      name: "title.png",
      mimeType: "image/png",
      buffer: await QRCode.toBuffer(national, { scale: 6 }),
    });
    await page.getByTestId("qr-sheet").waitFor({ state: "detached" });
    await expect(page.getByLabel("抬头名称").inputValue()).resolves.toBe("杭州二维码示例有限公司");
    await expect(page.getByLabel("税号").inputValue()).resolves.toBe(taxId);
    await expect(page.getByLabel("地址").inputValue()).resolves.toBe("杭州市滨江区网商路599号");
    await expect(page.getByLabel("电话", { exact: true }).inputValue()).resolves.toBe("0571-26888888");
    await expect(page.getByLabel("开户银行").inputValue()).resolves.toBe("中国工商银行杭州分行");
    await expect(page.getByLabel("银行账号").inputValue()).resolves.toBe("1202020209900012345");
    await expect(page.getByRole("radio", { name: "企业", exact: true }).isChecked()).resolves.toBe(true);
    expect(errors).toEqual([]);
  });
});
