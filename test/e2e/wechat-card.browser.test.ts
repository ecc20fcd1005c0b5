import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { reverseInvoice } from "../../src/modules/invoices/reversal.service";
import { orgIntegrations } from "../../src/platform/db/schema";
import type { RunningStandin } from "../../src/standins/server";
import { createWechatStandin, DEFAULT_WECHAT_APP } from "../../src/standins/wechat/wechat-standin";
import { createTestApp, type TestApp } from "../support/app";
import { collectPageErrors, describeBrowser, launchBrowser } from "../support/browser";
import { makeOrganization, makeReceiptCode, makeUscc } from "../support/factories";

/** 加入微信卡包 on the result page (issue 18 item 2): WeChat's user agent, the stand-in behind it. */
const WECHAT =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) " +
  "Mobile/15E148 MicroMessenger/8.0.40(0x18002831) NetType/WIFI Language/zh_CN";
const SAFARI =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) " +
  "Version/17.0 Mobile/15E148 Safari/604.1";

describeBrowser("加入微信卡包 on the consumer's result page", () => {
  let app: TestApp;
  let browser: Browser;
  let baseUrl: string;
  const wechat = createWechatStandin();
  let api: RunningStandin;

  beforeAll(async () => {
    api = await wechat.start();
    app = await createTestApp("pglite", { env: { PIAOMA_WECHAT_API_URL: api.url } });
    baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
    app.config.publicUrl = baseUrl;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await api?.close();
  });

  it("inside WeChat: 未加入 → WeChat's authorisation page → back → 已加入; not offered in another browser", async () => {
    const org = await makeOrganization(app.ctx.database, { name: "卡包示范餐饮有限公司" });
    await app.ctx.database.db.insert(orgIntegrations).values({
      orgId: org.id,
      wechatAppId: DEFAULT_WECHAT_APP.appId,
      wechatSecretCiphertext: app.ctx.keyring.encrypt(DEFAULT_WECHAT_APP.secret),
      wechatInvoiceSPappid: DEFAULT_WECHAT_APP.sPappid!,
      wechatInvoiceCardId: DEFAULT_WECHAT_APP.cardId!,
    });
    const code = await makeReceiptCode(app.ctx, org.id);
    const submitted = await app.http.inject({
      method: "POST",
      url: `/api/scan/${code.token}/submit`,
      headers: { "content-type": "application/json" },
      payload: {
        invoiceType: "digital_normal",
        buyer: { type: "enterprise", name: "杭州某某贸易有限公司", taxId: makeUscc("91330100") },
        email: "card.page@example.com",
      },
    });
    expect(submitted.json().status).toBe("issued");

    const plain = await browser.newContext({ userAgent: SAFARI, locale: "zh-CN" });
    const plainPage = await plain.newPage();
    await plainPage.goto(`${baseUrl}/s/${code.token}`);
    await plainPage.getByTestId("invoice").first().waitFor();
    expect(await plainPage.getByTestId("wechat-card").count()).toBe(0);
    await plain.close();

    const context = await browser.newContext({
      userAgent: WECHAT,
      viewport: { width: 390, height: 844 },
      isMobile: true,
      locale: "zh-CN",
    });
    const page = await context.newPage();
    const errors: string[] = [];
    collectPageErrors(page, errors);
    // WeChat's authorisation page (not reachable from the test): the user lands there.
    const authPages: string[] = [];
    await page.route("https://mp.weixin.qq.com/**", (route) => {
      authPages.push(route.request().url());
      return route.fulfill({ contentType: "text/html", body: "<p>微信授权页</p>" });
    });
    await page.goto(`${baseUrl}/s/${code.token}`);
    const state = page.getByTestId("wechat-card-state");
    await expect.poll(() => state.textContent()).toBe("未加入");
    await page.getByTestId("wechat-card-add").click();
    await page.waitForURL(/^https:\/\/mp\.weixin\.qq\.com\//, { waitUntil: "commit" });
    expect(authPages).toHaveLength(1);
    const redirect = new URL(authPages[0]!).searchParams.get("redirect_url")!;
    expect(redirect).toContain(`/s/${code.token}?wxcard=`);

    // The user authorises in WeChat and is sent back to the page.
    wechat.authorize(wechat.orders()[0]!.orderId);
    await page.goto(redirect);
    await expect
      .poll(() => page.getByTestId("wechat-card-state").textContent(), { timeout: 15_000 })
      .toBe("已加入");
    expect(await page.getByTestId("wechat-card-add").isHidden()).toBe(true);
    expect(wechat.orders()[0]!.inserted).toBeTruthy();

    // The merchant reverses the invoice (红冲): the app's card-void sweep voids the card at WeChat; a
    // re-scan shows 已作废 with why, and never offers 加入微信卡包 again.
    const invoiceId = submitted.json().invoices[0].id as string;
    await reverseInvoice(app.ctx, {
      actor: { type: "app", appKey: "test-app", orgId: org.id },
      invoiceId,
      reason: "开票有误",
    });
    await expect
      .poll(() => wechat.orders()[0]!.inserted?.reimburseStatus, { timeout: 15_000 })
      .toBe("INVOICE_REIMBURSE_CANCEL");
    await page.goto(`${baseUrl}/s/${code.token}`);
    await expect.poll(() => page.getByTestId("wechat-card-state").first().textContent()).toBe("已作废");
    expect(await page.getByTestId("wechat-card-add").first().isHidden()).toBe(true);
    expect(await page.getByTestId("wechat-card").first().textContent()).toContain("不能再报销");
    expect(errors).toEqual([]);
    await context.close();
  });
});
