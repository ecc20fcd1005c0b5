import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { loginAs, makeUser } from "../../../test/support/console";
import { makeOrganization, makeReceiptCode } from "../../../test/support/factories";
import { receiptCodes } from "../../platform/db/schema";
import { webBuildDir } from "../../platform/web";
import { disableReceiptCodeRow } from "../receipt-codes/receipt-codes.console.repository";

const DAY_MS = 24 * 3600 * 1000;

/** The JSON the consumer page's HTML carries, read the way the page reads it. */
function embedded(
  html: string,
): { receipt?: Record<string, unknown>; error?: Record<string, unknown> } | null {
  const m = /<script type="application\/json" id="scan-data">([\s\S]*?)<\/script>/.exec(html);
  return m ? JSON.parse(m[1] ?? "") : null;
}

describe("the consumer page's HTML and files", () => {
  let app: TestApp;
  let orgId: string;
  beforeAll(async () => {
    app = await createTestApp("pglite");
    orgId = (
      await makeOrganization(app.ctx.database, { name: "页面测试餐饮有限公司", phone: "0571-88886666" })
    ).id;
  });
  afterAll(() => app?.close());

  const page = (url: string, encoding = "br") =>
    app.http.inject({ method: "GET", url, headers: { "accept-encoding": encoding } });

  it("carries the receipt in the HTML, brotli-compressed, and counts the scan", async () => {
    const code = await makeReceiptCode(app.ctx, orgId);
    const res = await page(`/s/${code.token}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-encoding"]).toBe("br");
    expect(res.headers.vary).toContain("accept-encoding");
    expect(res.headers["cache-control"]).toBe("no-cache");
    const html = zlib.brotliDecompressSync(res.rawPayload).toString("utf8");
    const data = embedded(html);
    expect(data?.receipt).toMatchObject({
      seller: { name: "页面测试餐饮有限公司", phone: "0571-88886666" },
      status: "active",
      totals: { totalAmount: "800.00" },
      defaultBuyerType: "enterprise",
      prefill: null,
    });
    await app.ctx.scans.flush();
    const [row] = await app.ctx.database.db
      .select({ scans: receiptCodes.scanCount })
      .from(receiptCodes)
      .where(eq(receiptCodes.id, code.id));
    expect(row?.scans).toBe(1);

    // gzip for a browser without brotli, plain for one without either.
    const gz = await page(`/s/${code.token}`, "gzip, deflate");
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(embedded(zlib.gunzipSync(gz.rawPayload).toString("utf8"))?.receipt).toBeTruthy();
    const plain = await page(`/s/${code.token}`, "identity");
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(embedded(plain.body)?.receipt).toBeTruthy();
  });

  it("cannot be broken out of: merchant text that looks like markup stays text", async () => {
    const hostile = `</script><script>alert(1)</script><!-- & '"`;
    const code = await makeReceiptCode(app.ctx, orgId, { receiptFooter: hostile });
    const html = (await page(`/s/${code.token}`, "identity")).body;
    // One data block, and the only </script> after it is its own.
    const block = html.slice(html.indexOf('id="scan-data">'));
    expect(block.indexOf("</script>")).toBe(block.indexOf("</script>", block.indexOf("}")));
    expect(html).not.toContain("<script>alert(1)");
    expect(embedded(html)?.receipt?.receiptFooter).toBe(hostile);
  });

  it("answers an unknown token, a missing token and a malformed one with the page, never JSON", async () => {
    const unknown = await page("/s/Zx9Kq7Tt3vBn2Lm8Pw4Rj6Hd", "identity");
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers["content-type"]).toMatch(/^text\/html/);
    expect(embedded(unknown.body)?.error).toMatchObject({ code: "RECEIPT_CODE_NOT_FOUND", status: 404 });
    for (const url of ["/s", "/s/", "/s/x", "/s/<b>"]) {
      const res = await page(url, "identity");
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-type"], url).toMatch(/^text\/html/);
      expect(embedded(res.body), url).toBeNull();
    }
  });

  it("names the merchant, its phone and the expiry on an expired or disabled code, in the page and the API", async () => {
    const expired = await makeReceiptCode(app.ctx, orgId, { validDays: 1 });
    const past = new Date(Date.now() - 2 * DAY_MS);
    await app.ctx.database.db
      .update(receiptCodes)
      .set({ expiresAt: past })
      .where(eq(receiptCodes.id, expired.id));
    const res = await page(`/s/${expired.token}`, "identity");
    expect(res.statusCode).toBe(410);
    expect(embedded(res.body)?.error).toMatchObject({
      code: "RECEIPT_CODE_EXPIRED",
      details: {
        seller: { name: "页面测试餐饮有限公司", phone: "0571-88886666" },
        expiresAt: past.toISOString(),
      },
    });
    const api = await app.http.inject({ method: "GET", url: `/api/scan/${expired.token}` });
    expect(api.statusCode).toBe(410);
    expect(api.json().error.details).toMatchObject({
      seller: { phone: "0571-88886666" },
      expiresAt: past.toISOString(),
    });

    const disabled = await makeReceiptCode(app.ctx, orgId);
    await disableReceiptCodeRow(app.ctx.database.db, disabled.id, new Date());
    const off = await app.http.inject({ method: "GET", url: `/api/scan/${disabled.token}` });
    expect(off.json().error).toMatchObject({
      code: "RECEIPT_CODE_DISABLED",
      details: { seller: { name: "页面测试餐饮有限公司", phone: "0571-88886666" } },
    });
  });

  it("serves the hashed files precompressed and cached for a year", async () => {
    const script = fs.readdirSync(path.join(webBuildDir, "assets")).find((f) => /^scan-.*\.js$/.test(f));
    const original = fs.readFileSync(path.join(webBuildDir, "assets", script ?? ""));
    const br = await page(`/assets/${script}`);
    expect(br.statusCode).toBe(200);
    expect(br.headers["content-encoding"]).toBe("br");
    expect(br.headers["cache-control"]).toMatch(/max-age=31536000.*immutable/);
    expect(br.headers["content-type"]).toMatch(/javascript/);
    expect(zlib.brotliDecompressSync(br.rawPayload).equals(original)).toBe(true);
    expect(br.rawPayload.length).toBeLessThan(original.length / 2.5);
    const gz = await page(`/assets/${script}`, "gzip");
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(zlib.gunzipSync(gz.rawPayload).equals(original)).toBe(true);
  });

  it("starts the form with the buyer type the organization chose in its config", async () => {
    const admin = await makeUser(app.ctx.database, { role: "admin", orgIds: [orgId] });
    const client = await loginAs(app, admin.username, admin.password);
    const config = {
      limit: "10000.00",
      invoiceTypes: ["digital_normal", "digital_special"],
      defaultInvoiceType: "digital_normal",
      validDays: 30,
      overLimitPolicy: "reject",
      defaultDrawer: "张会计",
    };
    const bad = await client.put(`/orgs/${orgId}/config`, { ...config, defaultBuyerType: "non_enterprise" });
    expect(bad.statusCode).toBe(422);
    expect(Object.keys(bad.json().error.details.fields)).toEqual(["defaultBuyerType"]);
    const saved = await client.put(`/orgs/${orgId}/config`, { ...config, defaultBuyerType: "individual" });
    expect(saved.statusCode).toBe(200);
    expect(saved.json().defaultBuyerType).toBe("individual");
    const code = await makeReceiptCode(app.ctx, orgId);
    const view = await app.http.inject({ method: "GET", url: `/api/scan/${code.token}` });
    expect(view.json().defaultBuyerType).toBe("individual");
    // A save that does not name it keeps it.
    await client.put(`/orgs/${orgId}/config`, config);
    expect((await client.get(`/orgs/${orgId}/config`)).json().defaultBuyerType).toBe("individual");
    await client.put(`/orgs/${orgId}/config`, { ...config, defaultBuyerType: "enterprise" });
  });

  it("counts unknown tokens on the page against the same budget as the API, and then says so in the page", async () => {
    const ip = "203.0.113.77";
    const guess = (i: number) =>
      app.http.inject({ method: "GET", url: `/s/Guess${String(i).padStart(8, "0")}xyz`, remoteAddress: ip });
    for (let i = 0; i < 30; i++) expect((await guess(i)).statusCode).toBe(404);
    const limited = await guess(31);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["content-type"]).toMatch(/^text\/html/);
    expect(embedded(limited.body)?.error).toMatchObject({ code: "RATE_LIMITED", status: 429 });
    // The API refuses this address too; a real code from another address still opens.
    const api = await app.http.inject({
      method: "GET",
      url: "/api/scan/Guess99999999xyz",
      remoteAddress: ip,
    });
    expect(api.statusCode).toBe(429);
    const code = await makeReceiptCode(app.ctx, orgId);
    expect((await page(`/s/${code.token}`, "identity")).statusCode).toBe(200);
  });
});
