import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, submitAsCompany, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { describeOneDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode } from "../../../test/support/factories";
import {
  type AppKeys,
  type MerchantServer,
  makeCredentials,
  openRequest,
  startMerchant,
} from "../../../test/support/open-api";
import { pdfToText } from "../../../test/support/system-tools";
import { waitUntil } from "../../../test/support/wait";
import { invoiceLines, invoices, organizations, taxBureauAccounts } from "../../platform/db/schema";

/**
 * 部分红冲 over HTTP (one database: the money is the domain's, tested in red-partial.test.ts; the
 * concurrency on PostgreSQL in reversal.race.test.ts). The factory's receipt code prints three rows:
 * 1) 午餐 100.00 at 6 %; 2) 标准间 2 × 388.00 = 776.00 with 3) its discount −76.00 — reversible as
 * line 1 (100.00) and line 2 (net 700.00, quantity 2); 800.00 in all.
 */
describeOneDatabase("partial red (部分红冲) through the open API and the console", (kind) => {
  let app: TestApp;
  let keys: AppKeys;
  let orgId: string;
  let operator: ConsoleClient;
  let merchant: MerchantServer;
  beforeAll(async () => {
    merchant = await startMerchant((_r, res) => {
      res.statusCode = 200;
      res.end("ok");
    });
    app = await createTestApp(kind, { env: { PIAOMA_ALLOW_PRIVATE_URLS: "true" } });
    orgId = (await makeOrganization(app.ctx.database)).id;
    keys = await makeCredentials(app, orgId);
    await app.ctx.database.db
      .update(organizations)
      .set({ webhookUrl: `${merchant.url}/hooks` })
      .where(eq(organizations.id, orgId));
    const user = await makeUser(app.ctx.database, { role: "operator", orgIds: [orgId] });
    operator = await loginAs(app, user.username, user.password);
  });
  afterAll(async () => {
    await app?.close();
    await merchant?.close();
  });

  async function issuedInvoice(): Promise<string> {
    const code = await makeReceiptCode(app.ctx, orgId);
    const res = await submitAsCompany(app, code.token);
    expect(res.json().status).toBe("issued");
    return res.json().invoices[0].id as string;
  }
  const reverse = (id: string, body: object) =>
    openRequest(app, keys, { method: "POST", url: `/open/v1/invoices/${id}/reverse`, body });
  const view = async (id: string) =>
    (await openRequest(app, keys, { method: "GET", url: `/open/v1/invoices/${id}` })).json();
  const reversedEvents = (id: string) =>
    merchant.received
      .map((r) => JSON.parse(r.body))
      .filter((e) => e.type === "invoice.reversed" && e.data.id === id);

  it("reverses by quantity, then a 销售折让 amount, then the rest; status, what remains and the webhook follow", async () => {
    const id = await issuedInvoice();
    const fresh = await view(id);
    expect(fresh.reversible).toMatchObject({
      remaining: { totalAmount: "800.00" },
      lines: [
        { lineNo: 1, quantity: null, amountIncludingTax: "100.00", remainingAmount: "100.00" },
        { lineNo: 2, quantity: "2", amountIncludingTax: "700.00", remainingQuantity: "2" },
      ],
    });

    // One room of two: 350.00 = 330.19 + 19.81.
    const first = await reverse(id, { reason: "销货退回", lines: [{ lineNo: 2, quantity: "1" }] });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      color: "red",
      status: "issued",
      blueInvoiceId: id,
      totals: { amountExcludingTax: "-330.19", taxAmount: "-19.81", totalAmount: "-350.00" },
      lines: [{ itemName: "*住宿服务*标准间", quantity: "-1", amountIncludingTax: "-350.00" }],
    });
    // Its PDF: （负数） capitals of the part reversed, 备注 naming the blue invoice (DOMAIN.md §8).
    const pdf = await app.http.inject({
      method: "GET",
      url: first.json().pdfUrl.replace(app.config.publicUrl, ""),
    });
    const text = (await pdfToText(pdf.rawPayload)).replace(/\s+/g, "");
    expect(text).toContain("（负数）叁佰伍拾圆整");
    expect(text).toContain(`被红冲蓝字数电发票号码：${fresh.number}`);
    const afterFirst = await view(id);
    expect(afterFirst).toMatchObject({
      status: "partially_reversed",
      red: { id: first.json().id },
      reds: [{ id: first.json().id, totals: { totalAmount: "-350.00" } }],
      reversible: {
        remaining: { totalAmount: "450.00" },
        lines: [
          { lineNo: 1, remainingAmount: "100.00" },
          { lineNo: 2, reversedQuantity: "1", remainingQuantity: "1", remainingAmount: "350.00" },
        ],
      },
    });
    const hook = await waitUntil(() => reversedEvents(id)[0], "the first invoice.reversed");
    expect(hook.data).toMatchObject({
      status: "partially_reversed",
      reversal: {
        redInvoiceId: first.json().id,
        reason: "销货退回",
        lines: [{ lineNo: 2, quantity: "1", amountIncludingTax: "350.00" }],
        totals: { totalAmount: "350.00" },
      },
      reversible: { remaining: { totalAmount: "450.00" } },
    });

    // 销售折让 50.00 over what remains (100 : 350): 11.11 and 38.89.
    const discount = await reverse(id, { reason: "销售折让", amount: "50.00" });
    expect(discount.statusCode).toBe(201);
    expect(
      discount
        .json()
        .lines.map((l: { quantity: string | null; amountIncludingTax: string }) => [
          l.quantity,
          l.amountIncludingTax,
        ]),
    ).toEqual([
      [null, "-11.11"],
      [null, "-38.89"],
    ]);

    // More than remains: refused with what remains, nothing written.
    const tooMuch = await reverse(id, { reason: "销货退回", lines: [{ lineNo: 2, quantity: "2" }] });
    expect(tooMuch.statusCode).toBe(409);
    expect(tooMuch.json().error).toMatchObject({
      code: "NOTHING_LEFT_TO_REVERSE",
      details: {
        fields: { "lines[0].quantity": "第2行红冲数量 2 超过可红冲的 1" },
        remaining: { totalAmount: "400.00" },
      },
    });

    // Only a reason: all that remains.
    const rest = await reverse(id, { reason: "销货退回" });
    expect(rest.statusCode).toBe(201);
    expect(rest.json().totals.totalAmount).toBe("-400.00");
    const done = await view(id);
    expect(done).toMatchObject({ status: "reversed", reversible: { remaining: { totalAmount: "0.00" } } });
    expect(done.reds).toHaveLength(3);
    const last = await waitUntil(
      () => reversedEvents(id).find((e) => e.data.reversal.redInvoiceId === rest.json().id),
      "the last invoice.reversed",
    );
    expect(last.data).toMatchObject({ status: "reversed", reversal: { totals: { totalAmount: "400.00" } } });

    const nothing = await reverse(id, { reason: "开票有误" });
    expect([nothing.statusCode, nothing.json().error.code]).toEqual([409, "NOTHING_LEFT_TO_REVERSE"]);
  });

  it.each([
    [{ reason: "销货退回", lines: [{ lineNo: 7 }] }, 422, "lines[0].lineNo", "RED_LINE_UNKNOWN"],
    [{ reason: "销货退回", lines: [{ lineNo: 3 }] }, 422, "lines[0].lineNo", "RED_LINE_IS_DISCOUNT"],
    [
      { reason: "销货退回", lines: [{ lineNo: 2, quantity: "-1" }] },
      422,
      "lines[0].quantity",
      "NUMBER_NOT_POSITIVE",
    ],
    [
      { reason: "销货退回", lines: [{ lineNo: 2, quantity: "3" }] },
      409,
      "lines[0].quantity",
      "RED_EXCEEDS_REMAINING",
    ],
    [
      { reason: "销货退回", lines: [{ lineNo: 1, quantity: "1" }] },
      422,
      "lines[0].quantity",
      "RED_LINE_NO_QUANTITY",
    ],
    [{ reason: "销售折让", lines: [{ lineNo: 1 }], amount: "1.00" }, 422, "amount", "RED_LINES_AND_AMOUNT"],
    [{ reason: "开票有误", amount: "1.00" }, 422, "amount", "RED_AMOUNT_NEEDS_DISCOUNT_REASON"],
    [{ reason: "销售折让", amount: "800.01" }, 409, "amount", "RED_EXCEEDS_REMAINING"],
    [{ reason: "销货退回", lines: [] }, 422, "lines", "LINES_REQUIRED"],
  ])("refuses %j with a specific error and changes nothing", async (body, status, field, code) => {
    const id = await issuedInvoice();
    const res = await reverse(id, body);
    expect(res.statusCode).toBe(status);
    const error = res.json().error;
    expect(error.details.fields[field]).toEqual(expect.any(String));
    expect(error.details.issues.map((i: { code: string }) => i.code)).toEqual([code]);
    expect(await app.ctx.database.db.select().from(invoices).where(eq(invoices.blueInvoiceId, id))).toEqual(
      [],
    );
    expect(await view(id)).toMatchObject({
      status: "issued",
      reds: [],
      reversible: { remaining: { totalAmount: "800.00" } },
    });
  });

  it("counts a red invoice from before 部分红冲 (no blue line numbers stored) as the whole invoice", async () => {
    const id = await issuedInvoice();
    const red = await reverse(id, { reason: "开票有误" });
    expect(red.statusCode).toBe(201);
    await app.ctx.database.db
      .update(invoiceLines)
      .set({ blueLineNo: null })
      .where(eq(invoiceLines.invoiceId, red.json().id));
    expect((await view(id)).reversible).toMatchObject({
      remaining: { totalAmount: "0.00" },
      lines: [
        { lineNo: 1, reversedAmount: "100.00", remainingAmount: "0.00" },
        { lineNo: 2, reversedQuantity: "2", reversedAmount: "700.00", remainingAmount: "0.00" },
      ],
    });
    const more = await reverse(id, { reason: "开票有误", lines: [{ lineNo: 1 }] });
    expect([more.statusCode, more.json().error.code]).toEqual([409, "NOTHING_LEFT_TO_REVERSE"]);
    const again = await reverse(id, { reason: "开票有误" });
    expect([again.statusCode, again.json().id]).toEqual([200, red.json().id]);
  });

  it("refuses a partial red through a channel that only reverses whole invoices (金蝶)", async () => {
    const id = await issuedInvoice();
    const [blue] = await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, id));
    await app.ctx.database.db
      .update(taxBureauAccounts)
      .set({ channel: "kingdee" })
      .where(eq(taxBureauAccounts.id, blue!.taxAccountId!));
    try {
      const res = await reverse(id, { reason: "销货退回", lines: [{ lineNo: 1 }] });
      expect(res.statusCode).toBe(422);
      expect(res.json().error).toMatchObject({
        code: "PARTIAL_RED_NOT_SUPPORTED",
        details: { channel: "kingdee" },
      });
      expect(res.json().error.message).toContain("只能整张红冲");
      expect(await app.ctx.database.db.select().from(invoices).where(eq(invoices.blueInvoiceId, id))).toEqual(
        [],
      );
    } finally {
      await app.ctx.database.db
        .update(taxBureauAccounts)
        .set({ channel: "sandbox" })
        .where(eq(taxBureauAccounts.id, blue!.taxAccountId!));
    }
  });

  it("refuses a quantity sent as a number at the gate", async () => {
    const id = await issuedInvoice();
    const res = await reverse(id, { reason: "销货退回", lines: [{ lineNo: 2, quantity: 1 }] });
    expect(res.statusCode).toBe(422);
    expect(Object.keys(res.json().error.details.fields)).toEqual(["lines[0].quantity"]);
  });

  it("a failed red is retried only while what it reverses is still there", async () => {
    const sandbox = async (settings: Record<string, unknown>, blueId: string) => {
      const [blue] = await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, blueId));
      await app.ctx.database.db
        .update(taxBureauAccounts)
        .set({ settings })
        .where(eq(taxBureauAccounts.id, blue!.taxAccountId!));
    };
    const failedRed = async (blueId: string, lines: object[]) => {
      await sandbox({ mode: "reject", message: "沙箱拒绝" }, blueId);
      const res = await operator.post(`/orgs/${orgId}/invoices/${blueId}/reverse`, {
        reason: "销货退回",
        lines,
      });
      await sandbox({}, blueId);
      expect(res.json().status).toBe("failed");
      return res.json().id as string;
    };
    const retry = (redId: string) => operator.post(`/orgs/${orgId}/invoices/${redId}/retry`);

    // Line 2 (2 rooms): the failed red asked for one; the other red issued since took both.
    const taken = await issuedInvoice();
    const stale = await failedRed(taken, [{ lineNo: 2, quantity: "1" }]);
    const both = await operator.post(`/orgs/${orgId}/invoices/${taken}/reverse`, {
      reason: "销货退回",
      lines: [{ lineNo: 2, quantity: "2" }],
    });
    expect(both.json().status).toBe("issued");
    const refused = await retry(stale);
    expect([refused.statusCode, refused.json().error.code]).toEqual([409, "NOTHING_LEFT_TO_REVERSE"]);
    expect(refused.json().error.details.remaining).toMatchObject({ totalAmount: "100.00" });
    expect((await operator.get(`/orgs/${orgId}/invoices/${stale}`)).json().status).toBe("failed");

    // Room left: the other red took line 1 only, so the failed one's room is still there.
    const room = await issuedInvoice();
    const fits = await failedRed(room, [{ lineNo: 2, quantity: "1" }]);
    await operator.post(`/orgs/${orgId}/invoices/${room}/reverse`, {
      reason: "销货退回",
      lines: [{ lineNo: 1 }],
    });
    const retried = await retry(fits);
    expect(retried.statusCode).toBe(200);
    expect((await operator.get(`/orgs/${orgId}/invoices/${fits}`)).json().status).toBe("issued");
    expect((await operator.get(`/orgs/${orgId}/invoices/${room}`)).json()).toMatchObject({
      status: "partially_reversed",
      reversible: { remaining: { totalAmount: "350.00" } },
    });
  });

  it("the console reverses chosen lines and shows what remains; the list filters 部分红冲", async () => {
    const id = await issuedInvoice();
    const url = `/orgs/${orgId}/invoices/${id}`;
    const res = await operator.post(`${url}/reverse`, { reason: "服务中止", lines: [{ lineNo: 1 }] });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ color: "red", totals: { totalAmount: "-100.00" }, blue: { id } });
    const blue = (await operator.get(url)).json();
    expect(blue).toMatchObject({
      status: "partially_reversed",
      canReverse: true,
      reds: [{ id: res.json().id, reason: "服务中止", totalAmount: "-100.00" }],
      reversible: {
        remaining: { totalAmount: "700.00" },
        lines: [
          { lineNo: 1, remainingAmount: "0.00" },
          { lineNo: 2, remainingQuantity: "2", remainingAmount: "700.00" },
        ],
      },
    });
    const bad = await operator.post(`${url}/reverse`, { reason: "服务中止", lines: [{ lineNo: 1 }] });
    expect([bad.statusCode, bad.json().error.details.fields["lines[0].lineNo"]]).toEqual([
      409,
      "第1行已全部红冲",
    ]);
    const listed = (await operator.get(`/orgs/${orgId}/invoices?status=partially_reversed`)).json();
    expect(listed.items.map((i: { id: string }) => i.id)).toContain(id);

    const all = await operator.post(`${url}/reverse`, {
      reason: "服务中止",
      lines: [{ lineNo: 2, quantity: "2" }],
    });
    expect(all.statusCode).toBe(201);
    expect((await operator.get(url)).json()).toMatchObject({ status: "reversed", canReverse: false });
  });
});
