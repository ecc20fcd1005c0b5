import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { isSignatureValid } from "../../src/platform/signing";
import { createTestApp, type TestApp } from "../support/app";
import {
  consoleContext,
  describeBrowser,
  freshPage,
  launchBrowser,
  openConsole,
  screenshotPath,
} from "../support/browser";
import { type ConsoleClient, loginAs, makeUser } from "../support/console";
import { makeOrganization } from "../support/factories";
import { type MerchantServer, openRequest, startMerchant } from "../support/open-api";

/**
 * 开放接口 in Chromium, as an organization's admin: create an App Key and see its secret exactly
 * once, rotate it keeping the old key, revoke the old key; rotate a key revoking the old one at once;
 * save the merchant's URLs (a bad one refused at its field), send a test event to a real receiver on
 * loopback that checks the signature with the key's secret, and find the attempt with its status
 * code in 事件通知记录. Each test starts on its own page, signed in beforehand, and makes the keys it
 * needs: one failing does not fail the others.
 */
describeBrowser("open API console in Chromium", () => {
  let app: TestApp;
  let merchant: MerchantServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let baseUrl: string;
  let orgId: string;
  /** The admin's session through the console API: the pages open in it, and keys are made with it. */
  let admin: ConsoleClient;
  const errors: string[] = [];

  beforeAll(async () => {
    merchant = await startMerchant((_r, res) => {
      res.end("ok");
    });
    app = await createTestApp("pglite", { env: { PIAOMA_ALLOW_PRIVATE_URLS: "true" } });
    baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
    orgId = (await makeOrganization(app.ctx.database, { name: "杭州票码示范餐饮有限公司" })).id;
    const user = await makeUser(app.ctx.database, { role: "admin", orgIds: [orgId], displayName: "王财务" });
    admin = await loginAs(app, user.username, user.password);
    browser = await launchBrowser();
    context = await consoleContext(browser);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await merchant?.close();
  });
  beforeEach(async () => {
    page = await freshPage(context, baseUrl, errors);
  });
  afterEach(() => {
    // No uncaught error or CSP violation on any page of the test.
    expect(errors.splice(0)).toEqual([]);
  });

  const open = () => openConsole(page, baseUrl, admin.cookie, "/open-api");
  /** A key made through the console API (the same call as 新建凭证), with its one-time secret. */
  const newKey = async (label: string) => {
    const res = await admin.post(`/orgs/${orgId}/credentials`, { label });
    expect(res.statusCode).toBe(201);
    return res.json() as { appKey: string; appSecret: string };
  };

  const shot = async (name: string) => {
    await expect.poll(() => page.locator(".ant-message-notice").count(), { timeout: 10_000 }).toBe(0);
    // Dialogs zoom in and out: wait until none is mid-animation, so the picture shows one state.
    const moving = [".ant-zoom-", ".ant-fade-", ".ant-move-up-"].flatMap((m) =>
      ["enter", "appear", "leave"].map((phase) => `${m}${phase}`),
    );
    await expect.poll(() => page.locator(moving.join(", ")).count()).toBe(0);
    await page.screenshot({ path: screenshotPath(name) });
  };
  const row = (text: string) => page.locator("tr.ant-table-row").filter({ hasText: text });
  const secretModal = () => page.getByRole("dialog").filter({ hasText: "仅显示一次" });

  /** Reads the key and secret from the one-time modal, closes it, and checks the secret is gone. */
  const takeSecret = async (name: string) => {
    await secretModal().getByTestId("issued-app-secret").waitFor();
    const appKey = (await secretModal().getByTestId("issued-app-key").innerText()).trim();
    const appSecret = (await secretModal().getByTestId("issued-app-secret").innerText()).trim();
    expect(appKey).toMatch(/^pk_/);
    expect(appSecret.length).toBeGreaterThanOrEqual(32);
    await shot(name);
    await page.getByTestId("secret-saved").click();
    await expect.poll(() => secretModal().count()).toBe(0);
    await row(appKey).waitFor();
    // Shown once: neither the DOM nor the list answer carries it after the modal closed.
    expect(await page.content()).not.toContain(appSecret);
    return { appKey, appSecret };
  };

  /**
   * Presses 轮换 on a key's row, picks what happens to the old key, and confirms. Confirm dialogs
   * animate in: a click that lands mid-animation can be lost, so press and confirm until the
   * one-time secret shows.
   */
  const rotate = async (appKey: string, options: { revokeOld: boolean }) => {
    const ok = options.revokeOld ? "轮换并吊销旧密钥" : /^轮 ?换$/;
    await expect
      .poll(
        async () => {
          if (await secretModal().getByTestId("issued-app-secret").isVisible()) return true;
          const dialog = page.locator(".ant-modal-confirm");
          if (await dialog.isVisible()) {
            const choice = dialog.getByRole("radio", {
              name: options.revokeOld ? /立即吊销旧密钥/ : /保留旧密钥/,
            });
            if (!(await choice.isChecked())) await choice.check({ timeout: 5_000 }).catch(() => {});
            const confirm = dialog.getByRole("button", { name: ok });
            if (await choice.isChecked()) await confirm.click({ timeout: 5_000 }).catch(() => {});
          } else
            await row(appKey)
              .getByRole("button", { name: /^轮 ?换$/ })
              .click({ timeout: 5_000 })
              .catch(() => {});
          await page.waitForTimeout(500);
          return secretModal().getByTestId("issued-app-secret").isVisible();
        },
        { timeout: 60_000 },
      )
      .toBe(true);
  };

  it("creates an App Key and shows its secret once, then rotates it and revokes the old key", async () => {
    await open();
    // The first test of the file: the organization has no key yet.
    await page.getByText("尚未创建应用凭证").waitFor();

    await page.getByRole("button", { name: "新建凭证" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.locator("#label").fill("门店 POS");
    await dialog.getByRole("button", { name: "保 存" }).click();
    const first = await takeSecret("console-open-api-secret");
    await row(first.appKey).getByText("有效").waitFor();
    await row(first.appKey).getByText("门店 POS").waitFor();

    // Rotating keeps the old key active by default, so the merchant can switch over.
    await rotate(first.appKey, { revokeOld: false });
    const rotated = await takeSecret("console-open-api-rotated");
    expect(rotated.appKey).not.toBe(first.appKey);
    expect(await page.content()).not.toContain(first.appSecret);
    await row(first.appKey).getByText("有效").waitFor();

    await row(first.appKey)
      .getByRole("button", { name: /^吊 ?销$/ })
      .click();
    await page
      .locator(".ant-modal-confirm")
      .getByRole("button", { name: /^吊 ?销$/ })
      .click();
    await row(first.appKey).getByText("已吊销").waitFor();
    await row(rotated.appKey).getByText("有效").waitFor();
    await expect.poll(() => page.locator(".ant-modal-confirm").count()).toBe(0);
    await shot("console-open-api-credentials");
  }, 90_000);

  it("rotates with 立即吊销旧密钥: the old key is revoked at once and refused by the open API", async () => {
    const ping = (key: { appKey: string; appSecret: string }) =>
      openRequest(app, key, { method: "GET", url: "/open/v1/invoices?orderNo=X" });
    const rotated = await newKey("收银台 2");
    await open();
    await row(rotated.appKey).waitFor();
    expect((await ping(rotated)).statusCode).toBe(200);
    await rotate(rotated.appKey, { revokeOld: true });
    const current = await takeSecret("console-open-api-rotated-revoked");
    expect(current.appKey).not.toBe(rotated.appKey);
    await row(rotated.appKey).getByText("已吊销").waitFor();
    await row(current.appKey).getByText("有效").waitFor();
    expect(
      await row(rotated.appKey)
        .getByRole("button", { name: /^轮 ?换$/ })
        .count(),
    ).toBe(0);
    expect((await ping(rotated)).json().error.code).toBe("APP_KEY_UNKNOWN");
    expect((await ping(current)).statusCode).toBe(200);
  }, 90_000);

  it("saves the URLs, refusing a bad one at its field, and sends a signed test event", async () => {
    // The newest active key signs (X-App-Key); a key made now is the newest whatever came before.
    const current = await newKey("通知签名");
    await open();
    await page.getByRole("tab", { name: "接口地址" }).click();
    await page.getByTestId("order-query-url").fill("ftp://pos.example.com/q");
    await page.getByTestId("webhook-url").fill(`${merchant.url}/hooks`);
    await page.getByRole("button", { name: "保 存" }).click();
    await page.locator(".ant-form-item-explain-error").getByText("请填写 http(s) 地址").waitFor();

    await page.getByTestId("order-query-url").fill(`${merchant.url}/order-query`);
    await page.getByRole("button", { name: "保 存" }).click();
    await page.getByText("接口地址已保存").waitFor();
    await page.getByRole("button", { name: "发送测试事件" }).click();
    await page.getByTestId("webhook-test-result").getByText("测试事件已送达：对方返回 HTTP 200").waitFor();

    const hook = merchant.received.find((r) => r.url === "/hooks");
    expect(hook?.method).toBe("POST");
    const body = JSON.parse(hook?.body ?? "{}");
    expect(body.type).toBe("webhook.test");
    // Signed with the newest active key, with the secret issued once when it was made.
    expect(hook?.headers["x-app-key"]).toBe(current.appKey);
    const signed = {
      method: "POST",
      pathWithQuery: "/hooks",
      timestamp: String(hook?.headers["x-timestamp"]),
      nonce: String(hook?.headers["x-nonce"]),
      body: hook?.body ?? "",
    };
    expect(isSignatureValid(current.appSecret, signed, String(hook?.headers["x-signature"]))).toBe(true);
    await shot("console-open-api-urls");

    await page.getByRole("tab", { name: "事件通知记录" }).click();
    const event = row(body.id);
    await event.getByText("已送达").waitFor();
    await event.locator(".ant-table-row-expand-icon").click();
    const attempts = page.getByTestId(`attempts-${body.id}`);
    await attempts.getByText("第 1 次").waitFor();
    await attempts.getByText("HTTP 200").waitFor();
    await shot("console-open-api-events");
  }, 90_000);
});
