import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NUONUO } from "../../modules/invoices/channels/nuonuo/mapping";
import { nuonuoSign } from "../../modules/invoices/channels/nuonuo/signing";
import { type RunningStandin, standinControl } from "../server";
import { createNuonuoStandin, DEFAULT_APP, GUESSED } from "./nuonuo-standin";

let standin: RunningStandin;
let receiver: http.Server;
let received: Array<{ form: URLSearchParams }>;
let answers: string[];
let receiverUrl: string;

beforeEach(async () => {
  standin = await createNuonuoStandin().start();
  received = [];
  answers = [];
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ form: new URLSearchParams(Buffer.concat(chunks).toString("utf8")) });
      res.end(answers.shift() ?? '{"status":"0000","message":"同步成功"}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cb`;
});
afterEach(async () => {
  await standin.close();
  await new Promise((r) => receiver.close(r));
});

async function token(): Promise<string> {
  const res = await fetch(`${standin.url}/accessToken`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: DEFAULT_APP.appKey,
      client_secret: DEFAULT_APP.appSecret,
      grant_type: "client_credentials",
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function call(method: string, payload: unknown, accessToken: string) {
  const body = JSON.stringify(payload);
  const q = { senid: "b".repeat(32), nonce: "12345678", timestamp: "1700000000" };
  const sign = nuonuoSign({
    path: "/open/v1/services",
    appKey: DEFAULT_APP.appKey,
    appSecret: DEFAULT_APP.appSecret,
    ...q,
    body,
  });
  const res = await fetch(
    `${standin.url}/open/v1/services?${new URLSearchParams({ ...q, appkey: DEFAULT_APP.appKey })}`,
    {
      method: "POST",
      headers: { "content-type": "application/json", "X-Nuonuo-Sign": sign, accessToken, method },
      body,
    },
  );
  return (await res.json()) as { code: string; describe: string; result: unknown };
}

const order = (orderNo: string) => ({
  order: {
    orderNo,
    invoiceDate: "2026-01-05 10:00:00",
    invoiceType: "1",
    invoiceLine: "pc",
    salerTaxNum: "91440300PMDEM0017W",
    buyerName: "张三",
    clerk: "王五",
    pushMode: "-1",
    callBackUrl: receiverUrl,
    invoiceDetail: [
      {
        goodsName: "午餐",
        goodsCode: "3070401000000000000",
        withTaxFlag: "0",
        taxRate: "0.06",
        taxExcludedAmount: "100.00",
        tax: "6.00",
        taxIncludedAmount: "106.00",
      },
    ],
  },
});

/** Issues `blue` at the stand-in (开票中 3 s) and returns its 20-digit number. */
async function issuedNumber(blue: ReturnType<typeof order>, t: string): Promise<string> {
  expect((await call("nuonuo.OpeMplatform.requestBillingNew", blue, t)).code).toBe("E0000");
  await standinControl(standin.url, "clock", { advanceMs: 3000 });
  const { result } = await call(
    "nuonuo.OpeMplatform.queryInvoiceResult",
    { orderNos: [blue.order.orderNo] },
    t,
  );
  return (result as Array<{ allElectronicInvoiceNumber: string }>)[0]!.allElectronicInvoiceNumber;
}

/** saveInvoiceRedConfirm for the blue invoice `number`: full without `detail`, partial with it. */
const redForm = (number: string, billId: string, detail?: unknown) => ({
  billId,
  blueInvoiceLine: "pc",
  applySource: "0",
  blueElecInvoiceNumber: number,
  sellerTaxNo: "91440300PMDEM0017W",
  sellerName: "示范酒店",
  buyerName: "张三",
  redReason: "1",
  ...(detail === undefined ? {} : { detail }),
});

describe("诺诺 stand-in", () => {
  it("checks the token endpoint's content type, credentials and its 50-per-30-days quota", async () => {
    const json = await fetch(`${standin.url}/accessToken`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(await json.json()).toMatchObject({ error: "070315" });
    await standinControl(standin.url, "scenario", { tokenQuotaUsed: 49 });
    expect(await token()).toMatch(/^[0-9A-F]{24}$/);
    const over = await fetch(`${standin.url}/accessToken`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: DEFAULT_APP.appKey,
        client_secret: DEFAULT_APP.appSecret,
        grant_type: "client_credentials",
      }),
    });
    expect(await over.json()).toMatchObject({ error: "070306" });
  });

  it("validates the order as 诺诺 does: strings only, arithmetic, discount adjacency", async () => {
    const t = await token();
    const numeric = order("N1");
    (numeric.order.invoiceDetail[0] as Record<string, unknown>).tax = 6;
    expect((await call("nuonuo.OpeMplatform.requestBillingNew", numeric, t)).code).toBe("E4000");
    const wrong = order("N2");
    wrong.order.invoiceDetail[0]!.taxIncludedAmount = "106.01";
    expect((await call("nuonuo.OpeMplatform.requestBillingNew", wrong, t)).code).toBe("E9130");
    const lonely = order("N3");
    (lonely.order.invoiceDetail[0] as Record<string, unknown>).invoiceLineProperty = "1";
    expect((await call("nuonuo.OpeMplatform.requestBillingNew", lonely, t)).code).toBe("E9110");
    expect((await call("nuonuo.OpeMplatform.queryInvoiceResult", {}, t)).code).toBe("E9611");
  });

  it("answers the adapter's guessed codes (mapping.ts) and no others of its own", () => {
    expect(GUESSED).toMatchObject({
      badToken: NUONUO.badToken,
      duplicateBill: NUONUO.duplicateBill,
      refreshLimited: NUONUO.refreshLimited,
      rateLimited: NUONUO.rateLimited,
      redNotReversible: NUONUO.redNotReversible,
    });
  });

  it("checks a partial 红字确认单 as 诺诺 does: indexes on the blue invoice in its order, signs, price × quantity, the tax tolerance, and no more of a line than earlier forms left", async () => {
    const t = await token();
    const blue = order("RB1");
    blue.order.invoiceDetail = [
      {
        goodsName: "午餐",
        goodsCode: "3070401000000000000",
        withTaxFlag: "0",
        taxRate: "0.06",
        num: "10",
        price: "10",
        taxExcludedAmount: "100.00",
        tax: "6.00",
        taxIncludedAmount: "106.00",
      },
      {
        goodsName: "矿泉水",
        goodsCode: "1030307000000000000",
        withTaxFlag: "0",
        taxRate: "0.13",
        taxExcludedAmount: "10.00",
        tax: "1.30",
        taxIncludedAmount: "11.30",
        invoiceLineProperty: "2",
      },
      {
        goodsName: "矿泉水",
        goodsCode: "1030307000000000000",
        withTaxFlag: "0",
        taxRate: "0.13",
        taxExcludedAmount: "-2.00",
        tax: "-0.26",
        taxIncludedAmount: "-2.26",
        invoiceLineProperty: "1",
      },
    ] as never;
    const number = await issuedNumber(blue, t);
    let bills = 0;
    const form = (detail: unknown) =>
      call("nuonuo.OpeMplatform.saveInvoiceRedConfirm", redForm(number, `RF${++bills}`, detail), t);
    const lunch = (num: string, excl: string, tax: string) => ({
      blueDetailIndex: "1",
      goodsName: "午餐",
      goodsCode: "3070401000000000000",
      taxRate: "0.06",
      num,
      taxExcludedPrice: "10",
      taxExcludedAmount: excl,
      taxAmount: tax,
    });
    const water = {
      blueDetailIndex: "2",
      goodsName: "矿泉水",
      goodsCode: "1030307000000000000",
      taxRate: "0.13",
      taxExcludedAmount: "-8.00",
      taxAmount: "-1.04",
    };
    const answer = async (detail: unknown) => {
      const a = await form(detail);
      return [a.code, a.describe];
    };
    // Malformed: refused with E4000 (or the amount codes of requestBillingNew), nothing recorded.
    expect(await answer([water, lunch("-1", "-10.00", "-0.60")])).toEqual([
      "E4000",
      expect.stringContaining("顺序"),
    ]);
    expect(await answer([{ ...water, blueDetailIndex: "3" }])).toEqual([
      "E4000",
      expect.stringContaining("折扣行"),
    ]);
    expect(await answer([{ ...water, blueDetailIndex: "4" }])).toEqual([
      "E4000",
      expect.stringContaining("不存在"),
    ]);
    expect(await answer([{ ...water, goodsName: "苏打水" }])).toEqual([
      "E4000",
      expect.stringContaining("不一致"),
    ]);
    expect(await answer([{ ...water, taxRate: "0.09" }])).toEqual(["E4000", expect.stringContaining("税率")]);
    expect(await answer([lunch("1", "-10.00", "-0.60")])).toEqual(["E4000", expect.stringContaining("负数")]);
    expect(await answer([lunch("-1", "10.00", "0.60")])).toEqual(["E4000", expect.stringContaining("负数")]);
    expect(await answer([lunch("-1", "-10.00", "-0.70")])).toEqual(["E9131", expect.any(String)]);
    expect(await answer([lunch("-2", "-10.00", "-0.60")])).toEqual(["E9126", expect.any(String)]);
    expect(await answer([{ ...water, num: "-1", taxExcludedPrice: "8" }])).toEqual([
      "E4000",
      expect.stringContaining("没有数量"),
    ]);
    expect(await answer([])).toEqual(["E4000", expect.any(String)]);

    // 4 of the 10 lunches and 8.00 of the water (its 8.00 net): accepted; then 7 more lunches is more
    // than the 6 left, and 0.01 more water than nothing: refused; 6 is what remains.
    expect(await answer([lunch("-4", "-40.00", "-2.40"), water])).toEqual(["E0000", "申请成功"]);
    const over = await answer([lunch("-7", "-70.00", "-4.20")]);
    expect(over).toEqual([GUESSED.redNotReversible, expect.stringContaining("剩余可冲红的 6")]);
    expect(await answer([{ ...water, taxExcludedAmount: "-0.01", taxAmount: "0.00" }])).toEqual([
      GUESSED.redNotReversible,
      expect.stringContaining("超过剩余可冲红"),
    ]);
    // The whole invoice once part of it has a form: refused.
    expect((await form(undefined)).code).toBe(GUESSED.redNotReversible);
    expect(await answer([lunch("-6", "-60.00", "-3.60")])).toEqual(["E0000", "申请成功"]);

    // The forms issue red invoices of just their lines.
    await standinControl(standin.url, "clock", { advanceMs: 1000 });
    await standinControl(standin.url, "tick");
    const state = (await standinControl(standin.url, "state")) as {
      invoices: Array<{ order: { invoiceDetail: Array<Record<string, string>> }; orderNo: string }>;
    };
    const reds = state.invoices
      .slice(1)
      .map((i) => i.order.invoiceDetail.map((l) => [l.goodsName, l.taxIncludedAmount]));
    expect(reds).toEqual([
      [
        ["午餐", "-42.40"],
        ["矿泉水", "-9.04"],
      ],
      [["午餐", "-63.60"]],
    ]);
  });

  it("refuses a partial form whose tax rounding adds up beyond ±1.27 over its lines (DOMAIN.md §4)", async () => {
    const t = await token();
    const blue = order("RB2");
    const line = (i: number) => ({
      goodsName: `服务${i}`,
      goodsCode: "3040201000000000000",
      withTaxFlag: "0",
      taxRate: "0.06",
      taxExcludedAmount: "1.00",
      tax: "0.06",
      taxIncludedAmount: "1.06",
    });
    blue.order.invoiceDetail = Array.from({ length: 25 }, (_, i) => line(i + 1)) as never;
    const number = await issuedNumber(blue, t);
    // Each line 1.00 with no tax: 0.06 off per line (within 0.06), 25 × 0.06 = 1.50 in all.
    const detail = (count: number) =>
      Array.from({ length: count }, (_, i) => ({
        blueDetailIndex: String(i + 1),
        goodsName: `服务${i + 1}`,
        goodsCode: "3040201000000000000",
        taxRate: "0.06",
        taxExcludedAmount: "-1.00",
        taxAmount: "0.00",
      }));
    const body = (count: number, billId: string) => redForm(number, billId, detail(count));
    expect(await call("nuonuo.OpeMplatform.saveInvoiceRedConfirm", body(25, "T25"), t)).toMatchObject({
      code: "E4000",
      describe: expect.stringContaining("1.27"),
    });
    expect((await call("nuonuo.OpeMplatform.saveInvoiceRedConfirm", body(21, "T21"), t)).code).toBe("E0000");
  });

  it("posts the result callback when the invoice is final, retrying until it is acknowledged; sends duplicates and forgeries on demand", async () => {
    const t = await token();
    answers.push('{"status":"9999"}');
    expect((await call("nuonuo.OpeMplatform.requestBillingNew", order("CB1"), t)).code).toBe("E0000");
    await standinControl(standin.url, "clock", { advanceMs: 3000 });
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(2);
    const content = JSON.parse(received[1]!.form.get("content")!);
    expect(received[1]!.form.get("operater")).toBe("callback");
    expect(content).toMatchObject({
      c_status: "1",
      c_orderno: "CB1",
      allElectronicInvoiceNumber: expect.stringMatching(/^\d{20}$/),
    });

    await standinControl(standin.url, "callback", { orderNo: "CB1", times: 2 });
    await standinControl(standin.url, "callback", {
      orderNo: "CB1",
      forged: { c_status: "1", c_fphm: "00000000000000000000" },
    });
    expect(received).toHaveLength(5);
    expect(JSON.parse(received[4]!.form.get("content")!)).toEqual({
      c_status: "1",
      c_fphm: "00000000000000000000",
    });
  });
});
