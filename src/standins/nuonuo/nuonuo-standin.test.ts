import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nuonuoSign } from "../../modules/invoices/channels/nuonuo/signing";
import { type RunningStandin, standinControl } from "../server";
import { createNuonuoStandin, DEFAULT_APP } from "./nuonuo-standin";

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
