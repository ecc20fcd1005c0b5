/**
 * The kingdee stand-in checks what the real 金蝶发票云旗舰版 checks (CHANNELS.md §7.5), spoken to over
 * raw HTTP with the stand-in's own codec — independent of the adapter.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeData, encodeData, keyOf } from "./protocol";
import { type KingdeeStandin, startKingdeeStandin } from "./server";

const START = Date.parse("2026-03-02T02:00:00Z");
let t = START;
let standin: KingdeeStandin;

beforeEach(async () => {
  t = START;
  standin = await startKingdeeStandin({ now: () => t });
});
afterEach(() => standin.close());

// biome-ignore lint/suspicious/noExplicitAny: loose JSON answers; the assertions check their shape.
type Loose = Record<string, any>;

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(`${standin.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return (await r.json()) as Loose;
}

async function token(): Promise<string> {
  const s = standin.adapterSettings();
  const app = await post("/api/getAppToken.do", {
    appId: s.appId,
    appSecret: s.appSecret,
    accountId: s.accountId,
  });
  const user = await post("/api/login.do", {
    user: s.user,
    apptoken: app.data.app_token,
    accountId: s.accountId,
    usertype: s.userType,
  });
  return user.data.access_token;
}

function envelope(interfaceCode: string, data: unknown, overrides: Record<string, unknown> = {}) {
  return {
    requestId: "1772416800000123",
    businessSystemCode: "PIAOMA",
    interfaceCode,
    data: encodeData(JSON.stringify(data), "base64", ""),
    ...overrides,
  };
}

const call = async (
  at: string,
  interfaceCode: string,
  data: unknown,
  overrides: Record<string, unknown> = {},
) => post(`/kapi/app/sim/openApi?access_token=${at}`, envelope(interfaceCode, data, overrides));

function blue(overrides: Record<string, unknown> = {}, line: Record<string, unknown> = {}) {
  return {
    serialNo: "S1",
    invoiceProperty: "0",
    invoiceType: "02",
    includeTaxFlag: "0",
    sellerName: "卖方",
    sellerTaxpayerId: "91310000MA1FL0XX7Q",
    buyerName: "买方",
    naturalPersonFlag: "N",
    drawer: "张三",
    totalAmount: 113,
    invoiceDetail: [
      {
        lineProperty: "0",
        goodsName: "咨询",
        revenueCode: "3040201000000000000",
        amount: 100,
        taxRate: "0.13",
        taxAmount: 13,
        ...line,
      },
    ],
    ...overrides,
  };
}

describe("kingdee stand-in: codec", () => {
  it("derives the key and reproduces the §2.3 AES vector", () => {
    expect(keyOf("synthetic-key").toString("base64")).toBe("QRV4pRsmj5Vcn3z+fM22Qg==");
    const iv = Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const vector = "AAECAwQFBgcICQoLGuEesMoFwoz9IFDkmSlYGGeiA1vuby/hOAw8dtO2rM5e+94T5SmL/UCVK3JkYOo=";
    expect(encodeData('{"amount":0.10,"name":"测试"}', "aes", "synthetic-key", iv)).toBe(vector);
    expect(decodeData(vector, "aes", "synthetic-key")).toBe('{"amount":0.10,"name":"测试"}');
    expect(decodeData(vector, "aes", "synthetic")).toBeNull();
    expect(decodeData("%%%", "base64", "")).toBeNull();
  });
});

describe("kingdee stand-in: tokens", () => {
  it("checks the app credentials, the app token and the user; the access token lasts 2 h", async () => {
    const s = standin.adapterSettings();
    const bad = await post("/api/getAppToken.do", { appId: s.appId, appSecret: "x", accountId: s.accountId });
    expect(bad).toMatchObject({
      status: false,
      data: { success: false, error_desc: "appId、appSecret 或 accountId 不正确" },
    });
    const unknown = await post("/api/login.do", {
      user: s.user,
      apptoken: "nope",
      accountId: s.accountId,
      usertype: s.userType,
    });
    expect(unknown.data).toMatchObject({ success: false, error_desc: "apptoken 无效或已过期" });
    const app = await post("/api/getAppToken.do", {
      appId: s.appId,
      appSecret: s.appSecret,
      accountId: s.accountId,
    });
    expect(app).toMatchObject({ state: "success", status: true, data: { success: true, error_code: "0" } });
    const wrongType = await post("/api/login.do", {
      user: s.user,
      apptoken: app.data.app_token,
      accountId: s.accountId,
      usertype: "UserName",
    });
    expect(wrongType.data.error_desc).toBe("用户不存在");
    const ok = await post("/api/login.do", {
      user: s.user,
      apptoken: app.data.app_token,
      accountId: s.accountId,
      usertype: s.userType,
    });
    expect(ok.data.expire_time).toBe(START + 2 * 3600_000);
    const at = ok.data.access_token as string;
    expect((await call(at, "ALLE.INVOICE.QUERY", { serialNo: "S", sellerTaxpayerId: "T" })).errorCode).toBe(
      "10404",
    );
    t += 2 * 3600_000;
    expect(await call(at, "ALLE.INVOICE.QUERY", { serialNo: "S", sellerTaxpayerId: "T" })).toMatchObject({
      success: false,
      errorCode: "401",
    });
    t += 1;
    const late = await post("/api/login.do", {
      user: s.user,
      apptoken: app.data.app_token,
      accountId: s.accountId,
      usertype: s.userType,
    });
    expect(late.data.success).toBe(false);
  });

  it("takes the access token from the query or the access_token header, and nowhere else", async () => {
    const at = await token();
    const data = { serialNo: "S", sellerTaxpayerId: "T" };
    const viaHeader = await post("/kapi/app/sim/openApi", envelope("ALLE.INVOICE.QUERY", data), {
      access_token: at,
    });
    expect(viaHeader.errorCode).toBe("10404");
    const other = await post("/kapi/app/sim/openApi", envelope("ALLE.INVOICE.QUERY", data), {
      accessToken: at,
    });
    expect(other.errorCode).toBe("401");
    expect(standin.log().map((e) => e.tokenPlace)).toEqual([undefined, undefined, "header", undefined]);
  });
});

describe("kingdee stand-in: envelope", () => {
  it("checks requestId, businessSystemCode, interfaceCode and the tenant's codec", async () => {
    const at = await token();
    const q = { serialNo: "S", sellerTaxpayerId: "T" };
    expect((await call(at, "ALLE.INVOICE.QUERY", q, { requestId: "177241680000012" })).message).toBe(
      "requestId 应为16位数字",
    );
    expect((await call(at, "ALLE.INVOICE.QUERY", q, { businessSystemCode: "X" })).errorCode).toBe("10011");
    expect((await call(at, "ALLE.INVOICE.NOPE", q)).message).toBe("接口 ALLE.INVOICE.NOPE 不存在");
    const aes = encodeData(JSON.stringify(q), "aes", "whatever");
    expect((await call(at, "ALLE.INVOICE.QUERY", q, { data: aes })).errorCode).toBe("10010");
    expect((await post(`/kapi/app/sim/openApi?access_token=${at}`, "{not json")).errorCode).toBe("10001");
  });

  it("answers 开票中, then the number, with the query's data encoded by the tenant's codec", async () => {
    const at = await token();
    const open = await call(at, "ALLE.INVOICE.OPEN", blue());
    expect(open).toEqual({ success: true, errorCode: "0", message: "操作成功", data: "S1" });
    expect((await call(at, "ALLE.INVOICE.OPEN", blue())).errorCode).toBe("10127");
    const read = async () =>
      JSON.parse(
        decodeData(
          (await call(at, "ALLE.INVOICE.QUERY", { serialNo: "S1", sellerTaxpayerId: "91310000MA1FL0XX7Q" }))
            .data,
          "base64",
          "",
        )!,
      );
    expect(await read()).toMatchObject({ invoiceStatus: "2", invoiceNum: "" });
    t += 3000;
    expect(await read()).toMatchObject({
      invoiceStatus: "0",
      invoiceNum: "26447000000000000001",
      invoiceDate: "2026-03-02 10:00:03",
    });
    const batch = await call(at, "ALLE.BATCH.QUERY", {
      sellerTaxpayerId: "91310000MA1FL0XX7Q",
      pageNo: 0,
      pageSize: 10,
    });
    expect(JSON.parse(decodeData(batch.data, "base64", "")!)).toMatchObject({
      total: 1,
      list: [{ serialNo: "S1" }],
    });
  });

  it.each([
    [{ serialNo: "x".repeat(51) }, {}, "serialNo 不能为空且不能超过50位"],
    [{ invoiceType: "03" }, {}, "invoiceType 应为 01（数电专票）或 02（数电普票）"],
    [{ invoiceType: "01" }, {}, "数电专票购买方税号不能为空"],
    [{ drawer: "" }, {}, "drawer（开票人）不能为空"],
    [
      { buyerBank: "银".repeat(70), buyerBankAccount: "1234567890123" },
      {},
      "buyerBank 与 buyerBankAccount 合计超过150字节",
    ],
    [
      { sellerAddress: "路".repeat(55), sellerTel: "0211234567890" },
      {},
      "sellerAddress 与 sellerTel 合计超过120字节",
    ],
    [{}, { revenueCode: "304020100000000000" }, "第1行 revenueCode 应为19位税收分类编码"],
    [{}, { specification: "规".repeat(21) }, "第1行 specification 超过40字节"],
    [{}, { units: "个".repeat(12) }, "第1行 units 超过22字节"],
    [{ totalAmount: 113.07 }, { taxAmount: 13.07 }, "第1行税额与金额×税率相差超过0.06"],
    [{}, { taxRate: 0.13 }, '第1行 taxRate 应为小数形式的字符串，如 "0.13"'],
    [{}, { lineProperty: "1", amount: -100, taxAmount: -13 }, "第1行折扣行必须紧跟在被折扣行之后"],
    [{}, { lineProperty: "2" }, "第1行被折扣行之后必须是折扣行"],
    [{}, { goodsName: "*信息技术服务*咨询" }, "第1行 goodsName 不应带 *简称*"],
    [{ totalAmount: 114 }, {}, "totalAmount 与明细价税合计不一致"],
  ])("refuses a bad invoice: %j %j → %s", async (header, line, message) => {
    const at = await token();
    expect(await call(at, "ALLE.INVOICE.OPEN", blue(header, line))).toMatchObject({
      success: false,
      errorCode: "10100",
      message,
    });
  });

  it("accepts a tax difference within 0.06 and a discount right after its line", async () => {
    const at = await token();
    const ok = blue({
      totalAmount: 103.06,
      invoiceDetail: [
        {
          lineProperty: "2",
          goodsName: "咨询",
          revenueCode: "3040201000000000000",
          amount: 100,
          taxRate: "0.13",
          taxAmount: 13.06,
        },
        {
          lineProperty: "1",
          goodsName: "咨询",
          revenueCode: "3040201000000000000",
          amount: -10,
          taxRate: "0.13",
          taxAmount: -0 - 1.3,
        },
        {
          lineProperty: "0",
          goodsName: "菜",
          revenueCode: "1010101000000000000",
          amount: 1.3,
          taxRate: "0",
          taxAmount: 0,
          privilegeType: "03",
        },
      ],
    });
    expect(await call(at, "ALLE.INVOICE.OPEN", ok)).toMatchObject({ success: true });
  });
});

describe("kingdee stand-in: control endpoint", () => {
  it("sets scenarios, moves the clock and reports its state over HTTP", async () => {
    const control = (path: string, body?: unknown) =>
      fetch(`${standin.baseUrl.replace("/demo", "")}/__standin/${path}`, {
        method: body === undefined ? "GET" : "POST",
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then((r) => r.json() as Promise<Loose>);
    expect((await control("scenario", { pendingMs: 10_000, session: "loggedOut" })).pendingMs).toBe(10_000);
    const at = await token();
    expect((await call(at, "ALLE.INVOICE.OPEN", blue())).errorCode).toBe("20001");
    await control("scenario", { session: "online" });
    await call(at, "ALLE.INVOICE.OPEN", blue());
    expect((await control("advance", { ms: 10_000 })).now).toBe(START + 10_000);
    const state = await control("state");
    expect(state.invoices).toMatchObject([{ serialNo: "S1", invoiceStatus: "0" }]);
    expect(state.counters).toEqual({ appToken: 1, login: 1, openApi: 2 });
    expect((await control("confirm-red", { serialNo: "nope" })).message).toBe(
      "no red 确认单 waiting for nope",
    );
  });
});

describe("kingdee stand-in: callbacks", () => {
  it("posts the 2.1.02 body to the system's URL and retries until acknowledged", async () => {
    const bodies: Loose[] = [];
    const receiver = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify(
          bodies.length < 2
            ? { success: false, errorCode: "1" }
            : { message: "回调成功", errorCode: "0", success: true },
        ),
      );
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
    try {
      standin.setCallbackUrl("PIAOMA", `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cb`);
      const at = await token();
      await call(at, "ALLE.INVOICE.OPEN", blue());
      t += 3000;
      const [delivered] = await standin.deliverCallbacks();
      expect(delivered!.replies).toHaveLength(2);
      expect(bodies[0]).toMatchObject({
        returnMsg: "success",
        returnCode: "0",
        interfaceCode: "INVOICE.OPEN",
      });
      expect(bodies[1]).toEqual(bodies[0]);
      expect(JSON.parse(decodeData(bodies[0]!.data, "base64", "")!)).toMatchObject({
        serialNo: "S1",
        invoiceStatus: "0",
      });
    } finally {
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });
});

describe("kingdee stand-in: demo mode", () => {
  it("with the real clock, issues after the pending time and delivers due callbacks by itself", async () => {
    const bodies: Loose[] = [];
    const receiver = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      res.end(JSON.stringify({ message: "回调成功", errorCode: "0", success: true }));
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
    const previous = standin;
    standin = await startKingdeeStandin({
      autoCallbacksEveryMs: 20,
      scenario: { pendingMs: 50 },
      tenant: {
        businessSystems: { PIAOMA: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cb` },
      },
    });
    try {
      const at = await token();
      await call(at, "ALLE.INVOICE.OPEN", blue());
      await expect.poll(() => bodies.length).toBe(1);
      expect(JSON.parse(decodeData(bodies[0]!.data, "base64", "")!)).toMatchObject({
        serialNo: "S1",
        invoiceStatus: "0",
      });
      expect(standin.describe()).toMatchObject({
        baseUrl: standin.baseUrl,
        settings: { encryption: "base64" },
      });
    } finally {
      await standin.close();
      standin = previous;
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });
});
