import { eq } from "drizzle-orm";
import type { Browser, BrowserContext, Page } from "playwright-core";
import QRCode from "qrcode";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { systemActor } from "../../src/context";
import { createReceiptCode } from "../../src/modules/receipt-codes/receipt-codes.service";
import { receiptCodeConfigs, receiptCodes } from "../../src/platform/db/schema";
import { createTestApp, type TestApp } from "../support/app";
import { collectPageErrors, describeBrowser, launchBrowser, screenshotPath } from "../support/browser";
import { fakeCameraShowingQr } from "../support/camera";
import { makeOrganization, makeUscc } from "../support/factories";

/**
 * 输入开票码 and 合并开票 on the consumer page, driven like a phone against the whole app: a typed
 * code opens the receipt's page; on it, other receipts added by code and by pasted link are shown
 * together and issued as one invoice, which every one of their pages then shows; another receipt's
 * QR scanned with the (fake) camera is added too, with its decoder loaded only on tap.
 */
/** A 1×1 white PNG: a photo with no QR in it. */
const BLANK_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGP4DwABAQEAWk1v8QAAAABJRU5ErkJggg==",
  "base64",
);

const PHONE_UA =
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36";

describeBrowser("typed code and 合并开票 on a phone", () => {
  let app: TestApp;
  let browser: Browser;
  let baseUrl: string;
  let orgId: string;
  let serial = 0;

  beforeAll(async () => {
    app = await createTestApp("pglite");
    baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
    app.config.publicUrl = baseUrl;
    orgId = (await makeOrganization(app.ctx.database, { name: "合并示范餐饮有限公司" })).id;
    await app.ctx.database.db
      .update(receiptCodeConfigs)
      .set({ mergeEnabled: true, mergeMaxReceipts: 4 })
      .where(eq(receiptCodeConfigs.orgId, orgId));
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });
  const phones: BrowserContext[] = [];
  afterEach(async () => {
    for (const context of phones.splice(0)) await context.close();
  });

  /** A receipt of one line at the given amount. */
  function receiptCode(amount: string, name: string) {
    serial += 1;
    return createReceiptCode(app.ctx, {
      actor: systemActor("test"),
      orgId,
      source: "manual",
      input: {
        serialNo: `MRG-${Date.now()}-${serial}`,
        drawer: "张会计",
        lines: [{ name, shortName: "餐饮服务", taxCode: "3070401000000000000", taxRate: "0.06", amount }],
      },
    });
  }

  async function phone(
    on: Browser = browser,
    permissions: string[] = [],
  ): Promise<{ page: Page; errors: string[] }> {
    const context = await on.newContext({
      permissions,
      viewport: { width: 375, height: 740 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      userAgent: PHONE_UA,
      locale: "zh-CN",
      timezoneId: "Asia/Shanghai",
    });
    phones.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    collectPageErrors(page, errors);
    return { page, errors };
  }

  it("opens a receipt's page from its typed 开票码, and says so for a wrong one", async () => {
    const code = await receiptCode("58.00", "牛肉面");
    const { page, errors } = await phone();
    await page.goto(`${baseUrl}/s`);
    const input = page.getByTestId("short-code-input");
    await input.fill("XXX 999");
    await page.getByTestId("short-code-submit").click();
    await expect.poll(() => page.getByTestId("short-code-error").textContent()).toContain("没有找到该开票码");
    await page.screenshot({ path: screenshotPath("consumer-typed-code-375"), fullPage: true });

    // Typed as people do: lower case, a space in the middle.
    await input.fill(`${code.shortCode.slice(0, 3).toLowerCase()} ${code.shortCode.slice(3)}`);
    await page.getByTestId("short-code-submit").click();
    await page.waitForURL(`${baseUrl}/s/${code.token}`);
    await page.getByTestId("submit").waitFor();
    await expect(page.getByTestId("total-amount").first().textContent()).resolves.toBe("¥58.00");
    expect(errors).toEqual([]);
  });

  it("adds receipts by code and by link, shows them together, issues one invoice every page shows", async () => {
    const [a, b, c] = [
      await receiptCode("100.00", "午餐套餐"),
      await receiptCode("36.00", "鲜榨橙汁"),
      await receiptCode("64.00", "晚餐小食"),
    ];
    const disabled = await receiptCode("20.00", "米饭");
    await app.ctx.database.db
      .update(receiptCodes)
      .set({ status: "disabled" })
      .where(eq(receiptCodes.id, disabled.id));

    const { page, errors } = await phone();
    await page.goto(`${baseUrl}/s/${a.token}`);
    await page.getByTestId("submit").waitFor();
    await page.getByTestId("merge-open").click();

    // A receipt that cannot be added: the reason, in Chinese, and nothing added.
    await page.getByTestId("merge-input").fill(disabled.shortCode);
    await page.getByTestId("merge-add").click();
    await expect
      .poll(() => page.getByTestId("merge-error").textContent())
      .toBe(`小票 ${disabled.serialNo} 已被商家停用，不能合并`);

    await page.getByTestId("merge-input").fill(b.shortCode.toLowerCase());
    await page.getByTestId("merge-add").click();
    await expect.poll(() => page.getByTestId("merge-receipt").count()).toBe(1);
    await page.getByTestId("merge-input").fill(`${baseUrl}/s/${c.token}`);
    await page.getByTestId("merge-add").click();
    await expect.poll(() => page.getByTestId("merge-receipt").count()).toBe(2);
    const merged = page.getByTestId("merge-result");
    for (const line of ["午餐套餐", "鲜榨橙汁", "晚餐小食"]) {
      await expect(merged.getByText(line).isVisible()).resolves.toBe(true);
    }
    await expect(page.getByTestId("merge-total").getByTestId("total-amount").textContent()).resolves.toBe(
      "¥200.00",
    );
    // The submit bar says what the submit will invoice: all three.
    await expect(page.getByTestId("submit-total").textContent()).resolves.toBe("¥200.00");
    await page.screenshot({ path: screenshotPath("consumer-merge-375"), fullPage: true });

    await page.getByRole("radio", { name: "企业", exact: true }).check();
    await page.getByLabel("抬头名称").fill("杭州合并示例科技有限公司");
    await page.getByLabel("税号").fill(makeUscc());
    await page.getByLabel("电子邮箱").fill("buyer@example.com");
    await page.getByTestId("submit").click();
    await page.getByTestId("confirm-sheet-yes").click();
    await page.getByTestId("invoice").waitFor({ timeout: 20_000 });
    await expect(page.getByTestId("invoice-total").textContent()).resolves.toBe("¥200.00");
    const number = (await page.getByTestId("invoice-number").textContent())?.trim();
    expect(number).toMatch(/^\d{20}$/);
    await page.screenshot({ path: screenshotPath("consumer-merge-issued-375"), fullPage: true });

    // Every receipt's page now shows that invoice, not a form.
    for (const code of [b, c]) {
      const again = await page.context().newPage();
      await again.goto(`${baseUrl}/s/${code.token}`);
      await again.getByTestId("invoice").waitFor();
      await expect(again.getByTestId("invoice-number").textContent()).resolves.toBe(number);
      await expect(again.getByTestId("submit").count()).resolves.toBe(0);
      await again.close();
    }
    expect(errors).toEqual([]);
  });
  /** A browser whose camera shows a QR of `text` (a fake capture device), closed after the test. */
  const cameras: Browser[] = [];
  afterEach(async () => {
    for (const b of cameras.splice(0)) await b.close();
  });
  async function cameraShowing(text: string): Promise<Browser> {
    const camera = await launchBrowser(fakeCameraShowingQr(text).args);
    cameras.push(camera);
    return camera;
  }

  it("adds a receipt by scanning its QR with the camera, the decoder loaded only when 扫一扫 is tapped", async () => {
    const [a, b] = [await receiptCode("100.00", "午餐套餐"), await receiptCode("42.50", "手冲咖啡")];
    const { page, errors } = await phone(await cameraShowing(`${baseUrl}/s/${b.token}`), ["camera"]);
    const scripts: string[] = [];
    page.on("request", (r) => r.resourceType() === "script" && scripts.push(new URL(r.url()).pathname));
    await page.goto(`${baseUrl}/s/${a.token}`);
    await page.getByTestId("submit").waitFor();
    await page.getByTestId("merge-open").click();
    const firstLoad = [...scripts];
    expect(firstLoad.filter((s) => /qr-sheet|merge-qr/.test(s))).toEqual([]);

    await page.getByTestId("merge-scan").click();
    // The camera shows B's QR: read, the sheet closes, and B is added as if its link were pasted.
    await expect.poll(() => page.getByTestId("merge-receipt").count()).toBe(1);
    await expect(page.getByTestId("qr-sheet").count()).resolves.toBe(0);
    expect(scripts.slice(firstLoad.length).some((s) => /qr-sheet/.test(s))).toBe(true);
    await expect(page.getByTestId("merge-receipt").textContent()).resolves.toContain(`小票 ${b.serialNo}`);
    await expect(page.getByTestId("merge-total").getByTestId("total-amount").textContent()).resolves.toBe(
      "¥142.50",
    );
    await expect(page.getByTestId("submit-total").textContent()).resolves.toBe("¥142.50");
    await page.screenshot({ path: screenshotPath("consumer-merge-scanned-375"), fullPage: true });
    expect(errors).toEqual([]);
  });

  it("camera refused: says so and offers typing; a QR not of a receipt here is said to be so", async () => {
    const [a, b] = [await receiptCode("30.00", "豆浆油条"), await receiptCode("12.00", "茶叶蛋")];
    // A camera that works, but the consumer refuses it (no camera permission in this context).
    const { page, errors } = await phone(await cameraShowing(`${baseUrl}/s/${b.token}`));
    await page.goto(`${baseUrl}/s/${a.token}`);
    await page.getByTestId("submit").waitFor();
    await page.getByTestId("merge-open").click();
    await page.getByTestId("merge-scan").click();
    await page.getByTestId("qr-sheet").waitFor();
    await expect
      .poll(() => page.getByTestId("qr-message").textContent())
      .toBe("未获得摄像头权限，可从相册选择小票二维码图片，或输入开票码");
    await page.screenshot({ path: screenshotPath("consumer-merge-scan-refused-375"), fullPage: true });

    // Photos instead: no QR at all, a QR that is no receipt, a receipt of another site.
    const photo = async (text: string | null) =>
      page.getByTestId("qr-file").setInputFiles({
        name: "photo.png",
        mimeType: "image/png",
        buffer: text === null ? BLANK_PNG : await QRCode.toBuffer(text, { scale: 6 }),
      });
    const message = () => page.getByTestId("qr-message").textContent();
    await photo(null);
    await expect.poll(message).toBe("未在图片中找到二维码，请换一张清晰的照片");
    await photo("https://example.com/");
    await expect.poll(message).toBe("这不是小票二维码，请扫描小票上的开票二维码");
    await photo(`https://fapiao.other-site.example/s/${b.token}`);
    await expect.poll(message).toBe("这张小票不是本平台开具的，不能合并");
    expect(await page.getByTestId("merge-receipt").count()).toBe(0);

    // Typing instead: the sheet closes and the field has the focus; the typed code is added.
    await page.getByTestId("qr-instead").click();
    await page.getByTestId("qr-sheet").waitFor({ state: "detached" });
    await expect(
      page.evaluate(() => document.activeElement?.getAttribute("data-testid") ?? null),
    ).resolves.toBe("merge-input");
    await page.keyboard.type(b.shortCode);
    await page.getByTestId("merge-add").click();
    await expect.poll(() => page.getByTestId("merge-receipt").count()).toBe(1);

    // A receipt link of this site that names no receipt: added as if pasted, the server's answer shown.
    await page.getByTestId("merge-scan").click();
    await page.getByTestId("qr-sheet").waitFor();
    await photo(`${baseUrl}/s/NoSuchReceipt0000`);
    await page.getByTestId("qr-sheet").waitFor({ state: "detached" });
    await expect
      .poll(() => page.getByTestId("merge-error").textContent())
      .toBe("没有找到该链接对应的小票，请核对（已过期的小票不能合并）");
    expect(await page.getByTestId("merge-receipt").count()).toBe(1);
    expect(errors).toEqual([]);
  });
});
