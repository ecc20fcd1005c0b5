import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { databaseKinds } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { pdfToText } from "../../../test/support/system-tools";
import { amountInCapitals } from "../../domain";
import { receiptCodeConfigs, receiptCodes, sandboxIssued } from "../../platform/db/schema";
import { TITLE_LOOKUPS_PER_CODE, TITLE_LOOKUPS_PER_WINDOW } from "./scan.routes";

const json = { "content-type": "application/json" };

for (const kind of databaseKinds()) {
  describe(`consumer API [${kind}]`, () => {
    let app: TestApp;
    let orgId: string;
    let sellerName: string;
    beforeAll(async () => {
      app = await createTestApp(kind);
      const org = await makeOrganization(app.ctx.database, { name: "扫码测试酒店有限公司" });
      orgId = org.id;
      sellerName = org.name;
    });
    afterAll(() => app?.close());

    const enterprise = () => ({
      invoiceType: "digital_special",
      buyer: { type: "enterprise", name: "上海某某科技有限公司", taxId: makeUscc("91310000") },
      email: "finance@example.com",
    });
    const submit = (token: string, body: unknown) =>
      app.http.inject({
        method: "POST",
        url: `/api/scan/${token}/submit`,
        headers: json,
        payload: JSON.stringify(body),
      });

    it("shows the receipt: seller, lines with the discount, totals, allowed types and the limit", async () => {
      const code = await makeReceiptCode(app.ctx, orgId);
      const res = await app.http.inject({ method: "GET", url: `/api/scan/${code.token}` });
      expect(res.statusCode).toBe(200);
      const view = res.json();
      expect(view).toMatchObject({
        seller: { name: sellerName },
        status: "active",
        totals: { totalAmount: "800.00" },
        invoiceTypes: ["digital_normal", "digital_special"],
        defaultInvoiceType: "digital_normal",
        limit: { amount: "10000.00", policy: "reject", invoiceCount: 1 },
        submission: null,
        invoices: [],
      });
      expect(
        view.lines.map((l: { kind: string; itemName: string; amount: string }) => [
          l.kind,
          l.itemName,
          l.amount,
        ]),
      ).toEqual([
        ["normal", "*餐饮服务*午餐", "100.00"],
        ["discounted", "*住宿服务*标准间", "776.00"],
        ["discount", "*住宿服务*标准间", "-76.00"],
      ]);
    });

    it("counts a scan on each first load, not on the page's polling nor on a code it refuses", async () => {
      const counts = async (id: string) => {
        // Scans are written together shortly after (scan-counts.ts); the test writes them now.
        await app.ctx.scans.flush();
        const [row] = await app.ctx.database.db
          .select({ scanCount: receiptCodes.scanCount, firstScannedAt: receiptCodes.firstScannedAt })
          .from(receiptCodes)
          .where(eq(receiptCodes.id, id));
        return row;
      };
      const view = (token: string, poll = false) =>
        app.http.inject({
          method: "GET",
          url: `/api/scan/${token}`,
          headers: poll ? { "x-piaoma-poll": "1" } : {},
        });
      const code = await makeReceiptCode(app.ctx, orgId);
      expect(await counts(code.id)).toEqual({ scanCount: 0, firstScannedAt: null });
      expect((await view(code.token)).statusCode).toBe(200);
      expect((await view(code.token, true)).statusCode).toBe(200);
      expect((await view(code.token)).statusCode).toBe(200);
      const counted = await counts(code.id);
      expect(counted?.scanCount).toBe(2);
      expect(counted?.firstScannedAt).toBeInstanceOf(Date);

      const refused = await makeReceiptCode(app.ctx, orgId);
      await app.ctx.database.db
        .update(receiptCodes)
        .set({ status: "disabled" })
        .where(eq(receiptCodes.id, refused.id));
      expect((await view(refused.token)).statusCode).toBe(410);
      const expired = await makeReceiptCode(app.ctx, orgId);
      await app.ctx.database.db
        .update(receiptCodes)
        .set({ expiresAt: new Date(Date.now() - 1000) })
        .where(eq(receiptCodes.id, expired.id));
      expect((await view(expired.token)).statusCode).toBe(410);
      expect((await counts(refused.id))?.scanCount).toBe(0);
      expect((await counts(expired.id))?.scanCount).toBe(0);

      // An invoiced code past its date is still shown (and counted): the consumer comes back for it.
      await app.ctx.database.db
        .update(receiptCodes)
        .set({ status: "invoiced" })
        .where(eq(receiptCodes.id, expired.id));
      expect((await view(expired.token)).statusCode).toBe(200);
      expect((await counts(expired.id))?.scanCount).toBe(1);
    });

    it("issues on submit, answers the same submit with the same invoice, refuses another buyer", async () => {
      const code = await makeReceiptCode(app.ctx, orgId);
      const body = enterprise();
      const first = await submit(code.token, body);
      expect(first.statusCode).toBe(202);
      const issued = first.json();
      expect(issued.status).toBe("issued");
      expect(issued.invoices).toHaveLength(1);
      const invoice = issued.invoices[0];
      expect(invoice.number).toMatch(/^\d{2}442\d{15}$/);
      expect(invoice.totals).toEqual({
        amountExcludingTax: "754.72",
        taxAmount: "45.28",
        totalAmount: "800.00",
      });
      // Masked on the way out.
      expect(invoice.email).toBe("f***e@example.com");
      expect(invoice.buyer.taxId).toMatch(/^9131\*{10}.{4}$/);

      const again = await submit(code.token, body);
      expect(again.statusCode).toBe(200);
      expect(again.json().invoices.map((i: { number: string }) => i.number)).toEqual([invoice.number]);

      const other = await submit(code.token, { ...body, buyer: { ...body.buyer, name: "另一家公司" } });
      expect(other.statusCode).toBe(409);
      expect(other.json().error.code).toBe("ALREADY_INVOICED");

      const view = (await app.http.inject({ method: "GET", url: `/api/scan/${code.token}` })).json();
      expect(view.status).toBe("invoiced");
      expect(view.submission).toMatchObject({
        buyerName: "上海某某科技有限公司",
        email: "f***e@example.com",
      });
    });

    it("serves the PDF and XML of the invoice, readable as text", async () => {
      const code = await makeReceiptCode(app.ctx, orgId);
      const invoice = (await submit(code.token, enterprise())).json().invoices[0];
      const pdf = await app.http.inject({ method: "GET", url: invoice.pdfUrl });
      expect(pdf.statusCode).toBe(200);
      expect(pdf.headers["content-type"]).toBe("application/pdf");
      const text = await pdfToText(pdf.rawPayload);
      for (const expected of [
        invoice.number,
        "上海某某科技有限公司",
        sellerName,
        "800.00",
        amountInCapitals("800.00"),
        "沙箱测试发票",
      ]) {
        expect(text).toContain(expected);
      }
      const xml = await app.http.inject({ method: "GET", url: invoice.xmlUrl });
      expect(xml.statusCode).toBe(200);
      expect(xml.body).toContain(`<InvoiceNumber>${invoice.number}</InvoiceNumber>`);
      const foreign = await makeReceiptCode(app.ctx, orgId);
      const crossed = await app.http.inject({
        method: "GET",
        url: `/api/scan/${foreign.token}/invoices/${invoice.id}.pdf`,
      });
      expect(crossed.statusCode).toBe(404);
    });

    it("reports every buyer problem at once, at its field, and stores nothing", async () => {
      const code = await makeReceiptCode(app.ctx, orgId);
      const res = await submit(code.token, {
        invoiceType: "digital_normal",
        buyer: { type: "enterprise", name: "", taxId: "91440300MA5PM20201" },
        email: "not-an-email",
        mobile: "12345",
      });
      expect(res.statusCode).toBe(422);
      const { error } = res.json();
      expect(error.code).toBe("VALIDATION_FAILED");
      expect(Object.keys(error.details.fields).sort()).toEqual([
        "buyer.name",
        "buyer.taxId",
        "email",
        "mobile",
      ]);
      const view = (await app.http.inject({ method: "GET", url: `/api/scan/${code.token}` })).json();
      expect(view.status).toBe("active");
      expect(view.submission).toBeNull();
    });

    it("refuses 专票 for a person and a type the code does not allow", async () => {
      const code = await makeReceiptCode(app.ctx, orgId, { invoiceTypes: ["digital_normal"] });
      const person = await submit(code.token, {
        invoiceType: "digital_special",
        buyer: { type: "individual", name: "张三" },
        email: "a@b.cn",
      });
      expect(person.statusCode).toBe(422);
      expect(person.json().error.code).toBe("INVOICE_TYPE_NOT_ALLOWED");
      const notOffered = await submit(code.token, enterprise());
      expect(notOffered.statusCode).toBe(422);
      expect(notOffered.json().error.code).toBe("INVOICE_TYPE_NOT_ALLOWED");
    });

    it("gives unknown, disabled and expired codes their own errors", async () => {
      const unknown = await app.http.inject({ method: "GET", url: "/api/scan/AAAAAAAAAAAAAAAAAAAAAAAA" });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().error.code).toBe("RECEIPT_CODE_NOT_FOUND");

      const disabled = await makeReceiptCode(app.ctx, orgId);
      await app.ctx.database.db
        .update(receiptCodes)
        .set({ status: "disabled" })
        .where(eq(receiptCodes.id, disabled.id));
      const d = await submit(disabled.token, enterprise());
      expect([d.statusCode, d.json().error.code]).toEqual([410, "RECEIPT_CODE_DISABLED"]);

      const expired = await makeReceiptCode(app.ctx, orgId);
      await app.ctx.database.db
        .update(receiptCodes)
        .set({ expiresAt: new Date(Date.now() - 1000) })
        .where(eq(receiptCodes.id, expired.id));
      const e = await app.http.inject({ method: "GET", url: `/api/scan/${expired.token}` });
      expect([e.statusCode, e.json().error.code]).toEqual([410, "RECEIPT_CODE_EXPIRED"]);
    });

    it("tells the channel that a person without a tax ID (or with an ID card) is a natural person", async () => {
      const flagOf = async (body: unknown) => {
        const code = await makeReceiptCode(app.ctx, orgId);
        const res = await submit(code.token, body);
        expect(res.json().status, res.body).toBe("issued");
        const [row] = await app.ctx.database.db
          .select()
          .from(sandboxIssued)
          .where(eq(sandboxIssued.number, res.json().invoices[0].number));
        return (row?.request as { naturalPerson?: boolean } | undefined)?.naturalPerson;
      };
      const person = (taxId?: string) => ({
        invoiceType: "digital_normal",
        buyer: { type: "individual", name: "张三", taxId },
        mobile: "１３８００１３８０００",
      });
      expect(await flagOf(person())).toBe(true);
      expect(await flagOf(person("11010519491231002X"))).toBe(true);
      expect(await flagOf(person("91440300358768292H"))).toBe(false);
      expect(await flagOf(enterprise())).toBe(false);
    });

    it("issues 300 × ¥5.96 at 13 % and refuses a code of 128 × ¥1.00 by the 1.27 rule, saying why", async () => {
      const line = (amount: string) => ({
        name: "矿泉水",
        shortName: "饮料",
        taxCode: "1030307000000000000",
        taxRate: "0.13",
        amount,
      });
      const accepted = await makeReceiptCode(app.ctx, orgId, {
        lines: Array.from({ length: 300 }, () => line("5.96")),
      });
      const issued = (await submit(accepted.token, enterprise())).json();
      expect([issued.status, issued.invoices[0].totals.totalAmount]).toEqual(["issued", "1788.00"]);

      const refused = await makeReceiptCode(app.ctx, orgId, {
        lines: Array.from({ length: 128 }, () => line("1.00")),
      }).catch((e: unknown) => e);
      expect(refused).toMatchObject({
        code: "VALIDATION_FAILED",
        details: {
          fields: { lines: expect.stringContaining("尾差合计 -1.28 元，超过税务系统允许的 ±1.27 元") },
        },
      });
    });

    it("refuses above the limit when the policy is reject, and splits when it is split", async () => {
      const big = {
        name: "宴会",
        shortName: "餐饮服务",
        taxCode: "3070401000000000000",
        taxRate: "0.06",
        amount: "15000.00",
      };
      await app.ctx.database.db
        .update(receiptCodeConfigs)
        .set({ overLimitPolicy: "split" })
        .where(eq(receiptCodeConfigs.orgId, orgId));
      const code = await makeReceiptCode(app.ctx, orgId, { lines: [big] });
      const view = (await app.http.inject({ method: "GET", url: `/api/scan/${code.token}` })).json();
      expect(view.limit).toEqual({ amount: "10000.00", policy: "split", invoiceCount: 2 });

      // The merchant switches to reject before the consumer submits.
      await app.ctx.database.db
        .update(receiptCodeConfigs)
        .set({ overLimitPolicy: "reject" })
        .where(eq(receiptCodeConfigs.orgId, orgId));
      const refused = await submit(code.token, enterprise());
      expect(refused.statusCode).toBe(422);
      expect(refused.json().error).toMatchObject({
        code: "AMOUNT_OVER_LIMIT",
        details: { amount: "15000.00", limit: "10000.00" },
      });

      await app.ctx.database.db
        .update(receiptCodeConfigs)
        .set({ overLimitPolicy: "split" })
        .where(eq(receiptCodeConfigs.orgId, orgId));
      const split = await submit(code.token, enterprise());
      expect(split.statusCode).toBe(202);
      const totals = split
        .json()
        .invoices.map((i: { totals: { totalAmount: string } }) => i.totals.totalAmount);
      expect(totals).toHaveLength(2);
      expect(totals.reduce((s: number, t: string) => s + Math.round(Number(t) * 100), 0)).toBe(1_500_000);
      for (const t of totals) expect(Number(t)).toBeLessThanOrEqual(10000);
      await app.ctx.database.db
        .update(receiptCodeConfigs)
        .set({ overLimitPolicy: "reject" })
        .where(eq(receiptCodeConfigs.orgId, orgId));
    });

    it("never returns a title one buyer invoiced to another receipt holder; rate-limits resends", async () => {
      const code = await makeReceiptCode(app.ctx, orgId);
      const buyer = enterprise();
      await submit(code.token, buyer);
      const other = await makeReceiptCode(app.ctx, orgId);
      const titles = (token: string, q: string) =>
        app.http.inject({ method: "GET", url: `/api/scan/${token}/titles?q=${encodeURIComponent(q)}` });
      for (const q of ["某某科技", buyer.buyer.name, buyer.buyer.taxId.slice(0, 8), "有限公司"]) {
        const res = await titles(other.token, q);
        expect([res.statusCode, res.json()]).toEqual([200, { titles: [] }]);
        expect(res.body).not.toContain(buyer.buyer.taxId);
      }
      expect((await titles(code.token, "某某科技")).json()).toEqual({ titles: [] });
      const unknown = await titles("no-such-token-0000000000", "某某科技");
      expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, "RECEIPT_CODE_NOT_FOUND"]);

      const resend = (to: object) =>
        app.http.inject({
          method: "POST",
          url: `/api/scan/${code.token}/resend`,
          headers: json,
          payload: JSON.stringify(to),
        });
      const bad = await resend({ email: "nope" });
      expect([bad.statusCode, bad.json().error.code]).toEqual([422, "VALIDATION_FAILED"]);
      for (let i = 0; i < 5; i++) expect((await resend({ mobile: "13800138000" })).statusCode).toBe(202);
      const limited = await resend({ email: "x@example.com" });
      expect([limited.statusCode, limited.json().error.code]).toEqual([429, "RATE_LIMITED"]);
      const wait = Number(limited.headers["retry-after"]);
      expect(wait).toBeGreaterThan(3500);
      expect(wait).toBeLessThanOrEqual(3600);
      expect(limited.json().error.details).toEqual({ retryAfterSeconds: wait });
      expect(limited.json().error.message).toBe("每个开票码每小时最多重发 5 次，请稍后再试");
    });

    /** A code with its invoice issued, ready for resends. */
    const issuedCode = async () => {
      const code = await makeReceiptCode(app.ctx, orgId);
      expect((await submit(code.token, enterprise())).json().status).toBe("issued");
      return code.token;
    };
    let address = 0;
    const resendFrom = (token: string, to: object, remoteAddress = `198.51.100.${++address % 250}`) =>
      app.http.inject({
        method: "POST",
        url: `/api/scan/${token}/resend`,
        headers: json,
        payload: JSON.stringify(to),
        remoteAddress,
      });

    it("caps resends to one recipient at 10 a day across codes, whoever asks, with Retry-After", async () => {
      const tokens = [await issuedCode(), await issuedCode(), await issuedCode()];
      const stranger = `stranger${Date.now()}@example.com`;
      for (const token of tokens.slice(0, 2)) {
        for (let i = 0; i < 5; i++) {
          // Upper case and a full-width ＠ (a Chinese IME) are the same recipient.
          const to = {
            email: i % 2 ? stranger.toUpperCase() : i === 4 ? stranger.replace("@", "＠") : stranger,
          };
          expect((await resendFrom(token, to)).statusCode).toBe(202);
        }
      }
      const refused = await resendFrom(tokens[2]!, { email: stranger });
      expect([refused.statusCode, refused.json().error.code]).toEqual([429, "RATE_LIMITED"]);
      expect(refused.json().error.message).toBe("该邮箱近 24 小时收到的重发已达上限，请稍后再试");
      const wait = Number(refused.headers["retry-after"]);
      expect(wait).toBeGreaterThan(23 * 3600);
      expect(wait).toBeLessThanOrEqual(24 * 3600);
      // The same for a mobile number; someone else is still served through the same code.
      const mobile = `139${String(Date.now()).slice(-8)}`;
      const third = await issuedCode();
      const fourth = await issuedCode();
      for (const token of [tokens[2]!, third]) {
        for (let i = 0; i < 5; i++) expect((await resendFrom(token, { mobile })).statusCode).toBe(202);
      }
      const sms = await resendFrom(fourth, { mobile });
      expect([sms.statusCode, sms.json().error.message]).toEqual([
        429,
        "该手机号近 24 小时收到的重发已达上限，请稍后再试",
      ]);
      expect((await resendFrom(fourth, { email: `other${Date.now()}@example.com` })).statusCode).toBe(202);
    });

    it("caps resends from one client address at 10 an hour across codes, not other addresses", async () => {
      const tokens = [await issuedCode(), await issuedCode(), await issuedCode()];
      const client = "203.0.113.77";
      for (let i = 0; i < 10; i++) {
        const res = await resendFrom(
          tokens[i % 2]!,
          { email: `friend${i}-${Date.now()}@example.com` },
          client,
        );
        expect(res.statusCode).toBe(202);
      }
      const refused = await resendFrom(tokens[2]!, { email: `friend-x-${Date.now()}@example.com` }, client);
      expect([refused.statusCode, refused.json().error.message]).toEqual([429, "发送过于频繁，请稍后再试"]);
      const wait = Number(refused.headers["retry-after"]);
      expect(wait).toBeGreaterThan(3500);
      expect(wait).toBeLessThanOrEqual(3600);
      expect((await resendFrom(tokens[2]!, { email: `friend-y-${Date.now()}@example.com` })).statusCode).toBe(
        202,
      );
    });
  });
}

describe("title lookups", () => {
  it("are bounded per client address and per code, while other addresses and codes still get answers", async () => {
    const app = await createTestApp("pglite");
    try {
      const org = await makeOrganization(app.ctx.database);
      const codes = [];
      for (let i = 0; i < 4; i++) codes.push((await makeReceiptCode(app.ctx, org.id)).token);
      const ask = (remoteAddress: string, token: string) =>
        app.http.inject({ method: "GET", url: `/api/scan/${token}/titles?q=abc`, remoteAddress });
      for (let i = 0; i < TITLE_LOOKUPS_PER_WINDOW; i++)
        expect((await ask("203.0.113.7", codes[i % 3]!)).statusCode).toBe(200);
      const limited = await ask("203.0.113.7", codes[3]!);
      expect([limited.statusCode, limited.json().error.code]).toEqual([429, "RATE_LIMITED"]);
      expect((await ask("198.51.100.8", codes[3]!)).statusCode).toBe(200);

      // One receipt's page, from however many addresses, gets 60 (a paid registry stands behind it).
      for (let i = 1; i < TITLE_LOOKUPS_PER_CODE; i++)
        expect((await ask(`198.51.100.${10 + (i % 50)}`, codes[3]!)).statusCode).toBe(200);
      const perCode = await ask("192.0.2.99", codes[3]!);
      expect([perCode.statusCode, perCode.json().error.code]).toEqual([429, "RATE_LIMITED"]);
    } finally {
      await app.close();
    }
  });
});

describe("guessing tokens", () => {
  it("is cut off with 429 after 30 unknown tokens from one address, while others still get through", async () => {
    const app = await createTestApp("pglite");
    try {
      const org = await makeOrganization(app.ctx.database);
      const code = await makeReceiptCode(app.ctx, org.id);
      for (let i = 0; i < 30; i++) {
        const miss = await app.http.inject({
          method: "GET",
          url: `/api/scan/guess${String(i).padStart(20, "0")}`,
          remoteAddress: "203.0.113.9",
        });
        expect(miss.statusCode).toBe(404);
      }
      const blocked = await app.http.inject({
        method: "GET",
        url: `/api/scan/${code.token}`,
        remoteAddress: "203.0.113.9",
      });
      expect([blocked.statusCode, blocked.json().error.code]).toEqual([429, "RATE_LIMITED"]);
      const other = await app.http.inject({
        method: "GET",
        url: `/api/scan/${code.token}`,
        remoteAddress: "198.51.100.7",
      });
      expect(other.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
