/**
 * The 金蝶 adapter against the kingdee stand-in (CHANNELS.md §7.6, as far as an adapter goes without a
 * database): real HTTP, the tenant's real codec, the stand-in's clock shared with the adapter's.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type KingdeeStandin, startKingdeeStandin } from "../../../../standins/kingdee";
import { createKingdeeChannel, type KingdeeCallbackOutcome, type KingdeeDeps } from "./kingdee";
import { kingdeeInvoice, testTokenStore } from "./kingdee.fixtures";
import type { KingdeeResult } from "./types";

const SELLER = "91310000MA1FL0XX7Q";
const START = Date.parse("2026-03-02T02:00:00Z");

let t = START;
let standin: KingdeeStandin;
let store: ReturnType<typeof testTokenStore>;
let warnings: string[];

function channel(settings: Record<string, unknown> = standin.adapterSettings(), deps: KingdeeDeps = {}) {
  return createKingdeeChannel(settings, {
    now: () => t,
    tokenStore: store,
    warn: (m) => warnings.push(m),
    ...deps,
  });
}

const query = (ch: ReturnType<typeof channel>, serial: string) =>
  ch.query({ channelOrderNo: serial, sellerTaxId: SELLER });

function issued(r: KingdeeResult | null): Extract<KingdeeResult, { status: "issued" }> {
  if (r?.status !== "issued") throw new Error(`expected issued, got ${JSON.stringify(r)}`);
  return r;
}

async function start(options: Parameters<typeof startKingdeeStandin>[0] = {}) {
  await standin?.close();
  standin = await startKingdeeStandin({ now: () => t, ...options });
}

beforeEach(async () => {
  t = START;
  store = testTokenStore();
  warnings = [];
  await start();
});

afterEach(async () => {
  await standin.close();
});

describe.each(["base64", "aes"] as const)("kingdee adapter, %s tenant", (encryption) => {
  beforeEach(() => start({ tenant: { encryption, aesPassword: "tenant-aes-password" } }));

  it("issues: accepted (开票中), then the number, time and the channel's files", async () => {
    const ch = channel();
    const invoice = kingdeeInvoice("PM01JNKD0000000000000000A1");
    expect(await ch.issue(invoice)).toEqual({ status: "pending" });
    expect(await query(ch, invoice.channelOrderNo)).toEqual({ status: "pending" });
    t += 3000;
    const done = issued(await query(ch, invoice.channelOrderNo));
    expect(done.number).toMatch(/^26447\d{15}$/);
    expect(done.issuedAt.toISOString()).toBe(new Date(START + 3000).toISOString());
    expect(done.totalAmount).toBe(invoice.totals.totalAmount);
    expect(Object.keys(done.files).sort()).toEqual(["ofd", "pdf", "xml"]);
    const pdf = await fetch(done.files.pdf!);
    expect(pdf.status).toBe(200);
    expect(await pdf.text()).toContain(done.number);
    // The same answer on every later query.
    expect(issued(await query(ch, invoice.channelOrderNo)).number).toBe(done.number);
  });

  it("sends the whole invoice, decodable only with the tenant's codec", async () => {
    const invoice = kingdeeInvoice("PM01JNKD0000000000000000A2");
    await channel().issue(invoice);
    const sent = standin.invoice(invoice.channelOrderNo)!.request as Record<string, unknown>;
    expect(sent).toMatchObject({
      serialNo: invoice.channelOrderNo,
      invoiceProperty: "0",
      invoiceType: "02",
      sellerTaxpayerId: SELLER,
      sellerAddress: "上海市浦东新区示范路1号",
      sellerBankAccount: "121900000010101",
      buyerName: "杭州买方科技有限公司",
      buyerTaxpayerId: "91330100MA2B00XX1K",
      buyerAddress: "杭州市西湖区文三路2号",
      buyerTel: "0571-88000000",
      buyerBank: "工商银行杭州分行",
      buyerBankAccount: "1202000000000000001",
      naturalPersonFlag: "N",
      remark: "桌号 12",
      drawer: "张三",
      payee: "李四",
      reviewer: "王五",
    });
    // Piaoma delivers the invoice itself: no recipient for Kingdee to send it to as well.
    expect(sent.buyerRecipientMail).toBeUndefined();
    const lines = sent.invoiceDetail as Array<Record<string, unknown>>;
    expect(
      lines.map((l) => [l.lineProperty, l.goodsName, l.revenueCode, l.taxRate, l.privilegeType]),
    ).toEqual([
      ["2", "午餐", "3070401000000000000", "0.06", undefined],
      ["1", "午餐", "3070401000000000000", "0.06", undefined],
      ["0", "蔬菜", "1010101000000000000", "0", "03"],
      ["0", "咨询", "3040201000000000000", "0.13", undefined],
    ]);
    expect(lines[0]).toMatchObject({
      specification: "套",
      units: "份",
      quantity: 2,
      amount: 100,
      taxAmount: 6,
    });
    expect(lines[1]).toMatchObject({ amount: -5.66, taxAmount: -0.34 });
  });

  it("turns a callback into a query: a real one gives the queried result, a forged or repeated one changes nothing", async () => {
    const received: KingdeeCallbackOutcome[] = [];
    const ch = channel();
    const receiver = await listen(async (body) => {
      const outcome = await ch.handleCallback(body, { expectSellerTaxId: SELLER });
      received.push(outcome);
      return outcome.reply;
    });
    try {
      standin.setCallbackUrl("PIAOMA", receiver.url);
      standin.scenario({ callbackCopies: 2 });
      const serial = "PM01JNKD0000000000000000A3";
      await ch.issue(kingdeeInvoice(serial));
      // Pending: nothing final yet, so nothing is called back.
      expect(await standin.deliverCallbacks()).toEqual([]);
      // A forged callback claiming the invoice is issued: only a query follows, and it says 开票中.
      const forged = await standin.forgeCallback({
        data: {
          serialNo: serial,
          sellerTaxpayerId: SELLER,
          invoiceNum: "26447999999999999999",
          invoiceStatus: "0",
        },
      });
      expect(forged).toEqual({ message: "回调成功", errorCode: "0", success: true });
      expect(received.at(-1)).toMatchObject({
        accepted: true,
        channelOrderNo: serial,
        result: { status: "pending" },
      });
      // A forged callback for a serial Kingdee never saw: the query finds nothing.
      await standin.forgeCallback({ data: { serialNo: "PM01FORGED", sellerTaxpayerId: SELLER } });
      expect(received.at(-1)).toMatchObject({ accepted: true, result: null });

      t += 3000;
      const delivered = await standin.deliverCallbacks();
      expect(delivered).toHaveLength(1);
      expect(delivered[0]!.replies).toEqual([
        { message: "回调成功", errorCode: "0", success: true },
        { message: "回调成功", errorCode: "0", success: true },
      ]);
      const [first, second] = received.slice(-2);
      const number = standin.invoice(serial)!.invoiceNum;
      expect(issued(first!.accepted ? first!.result : null).number).toBe(number);
      expect(issued(second!.accepted ? second!.result : null).number).toBe(number);
      // Already delivered: not again.
      expect(await standin.deliverCallbacks()).toEqual([]);
      if (encryption === "aes") {
        // Without the tenant's password a forger cannot make data that decodes.
        const garbage = Buffer.alloc(40, 7).toString("base64");
        const reply = await standin.forgeCallback({ raw: garbage });
        expect(reply).toMatchObject({ success: false, errorCode: "9999" });
        expect(received.at(-1)).toMatchObject({ accepted: false });
      }
    } finally {
      await receiver.close();
    }
  });
});

describe("kingdee adapter: idempotency", () => {
  it("a repeated serial (10127) is resolved by a query of that serial, sequentially and concurrently", async () => {
    const ch = channel();
    const invoice = kingdeeInvoice("PM01JNKD0000000000000000B1");
    expect(await ch.issue(invoice)).toEqual({ status: "pending" });
    expect(await ch.issue(invoice)).toEqual({ status: "pending" });
    t += 3000;
    const number = issued(await query(ch, invoice.channelOrderNo)).number;
    // Once issued, a repeat answers the first result.
    expect(issued(await ch.issue(invoice)).number).toBe(number);

    const twin = kingdeeInvoice("PM01JNKD0000000000000000B2");
    const both = await Promise.all([ch.issue(twin), ch.issue(twin)]);
    expect(both).toEqual([{ status: "pending" }, { status: "pending" }]);
    const opens = standin.log().filter((e) => e.interfaceCode === "ALLE.INVOICE.OPEN");
    expect(opens.map((e) => e.answer.split(" ")[1])).toEqual(["0", "10127", "10127", "0", "10127"]);
    expect(standin.state().invoices.map((i) => i!.serialNo)).toEqual([
      invoice.channelOrderNo,
      twin.channelOrderNo,
    ]);
  });

  it("an answer lost after the commit is resolved by a query, never by a new serial", async () => {
    const ch = channel();
    const invoice = kingdeeInvoice("PM01JNKD0000000000000000C1");
    standin.scenario({ dropResponses: 1 });
    expect(await ch.issue(invoice)).toEqual({ status: "pending" });
    expect(standin.log().map((e) => [e.interfaceCode, e.answer])).toEqual([
      [undefined, "200 0"],
      [undefined, "200 0"],
      ["ALLE.INVOICE.OPEN", "200 0 (dropped)"],
      ["ALLE.INVOICE.QUERY", "200 0"],
    ]);
    t += 3000;
    expect(issued(await query(ch, invoice.channelOrderNo)).number).toMatch(/^\d{20}$/);
    expect(standin.state().invoices).toHaveLength(1);
  });

  it("a timeout is transient while the channel stays slow; the re-send of the same serial then finds it", async () => {
    // A short deadline only while the channel is slow (the token is fetched first, at normal speed).
    await channel().testConnection({ sellerTaxId: SELLER });
    const impatient = channel(undefined, { timeoutMs: 100 });
    standin.scenario({ slowMs: 1000 });
    const invoice = kingdeeInvoice("PM01JNKD0000000000000000C2");
    expect(await impatient.issue(invoice)).toMatchObject({ status: "transient" });
    standin.scenario({ slowMs: 0 });
    expect(await channel().issue(invoice)).toEqual({ status: "pending" });
    const opens = standin.log().filter((e) => e.interfaceCode === "ALLE.INVOICE.OPEN");
    expect(opens.map((e) => e.answer)).toEqual(["200 0", "200 10127"]);
  });

  it("5xx and an unreadable answer are transient and commit nothing", async () => {
    const ch = channel();
    const invoice = kingdeeInvoice("PM01JNKD0000000000000000C3");
    standin.scenario({ http5xx: 1 });
    expect(await ch.issue(invoice)).toEqual({ status: "transient", reason: "金蝶答复 HTTP 502" });
    standin.scenario({ malformed: 1 });
    expect(await ch.issue(invoice)).toMatchObject({ status: "transient" });
    expect(standin.state().invoices).toEqual([]);
    expect(await ch.issue(invoice)).toEqual({ status: "pending" });
  });
});

describe("kingdee adapter: tokens", () => {
  it("logs in once and reuses the token across calls, concurrent calls and channel objects", async () => {
    const ch = channel();
    // Three at once, one through another channel object of the same account: one login between them.
    await Promise.all(
      [1, 2, 3].map((i) => (i === 2 ? channel() : ch).issue(kingdeeInvoice(`PM01JNKD00000000000000000${i}`))),
    );
    await query(ch, "PM01JNKD000000000000000001");
    await query(channel(), "PM01JNKD000000000000000002");
    expect(standin.counters()).toMatchObject({ appToken: 1, login: 1, openApi: 5 });
    expect(
      standin
        .log()
        .filter((e) => e.interfaceCode)
        .every((e) => e.tokenPlace === "query"),
    ).toBe(true);
  });

  it("renews shortly before the 2 h expiry, not after every call", async () => {
    const ch = channel();
    await query(ch, "PM01X");
    t += 2 * 3600_000 - 6 * 60_000;
    await query(ch, "PM01X");
    expect(standin.counters().login).toBe(1);
    t += 2 * 60_000; // inside the last 5 minutes
    await query(ch, "PM01X");
    expect(standin.counters().login).toBe(2);
  });

  it("a token refused mid-run costs one new login and the call goes on", async () => {
    const ch = channel();
    const invoice = kingdeeInvoice("PM01JNKD0000000000000000D1");
    await ch.issue(invoice);
    standin.expireTokens();
    t += 3000;
    expect(issued(await query(ch, invoice.channelOrderNo)).number).toMatch(/^\d{20}$/);
    expect(standin.counters()).toMatchObject({ appToken: 2, login: 2 });
    expect(standin.log().map((e) => e.answer)).toEqual([
      "200 0",
      "200 0",
      "200 0",
      "200 401",
      "200 0",
      "200 0",
      "200 0",
    ]);
  });
});

describe("kingdee adapter: account problems", () => {
  it("bad credentials and a bad user are account problems, not refusals", async () => {
    const bad = await channel({ ...standin.adapterSettings(), appSecret: "wrong" }).issue(
      kingdeeInvoice("PM01E1"),
    );
    expect(bad).toMatchObject({
      status: "account_problem",
      problem: "bad_credentials",
      channelMessage: "appId、appSecret 或 accountId 不正确",
    });
    const user = await channel({ ...standin.adapterSettings(), user: "13900000000" }).testConnection({
      sellerTaxId: SELLER,
    });
    expect(user).toMatchObject({
      status: "account_problem",
      problem: "bad_credentials",
      channelMessage: "用户不存在",
    });
    expect(standin.state().invoices).toEqual([]);
  });

  it("a logged-out 电子税局 session and a due 实人认证 hold the invoice; the account check says so", async () => {
    const ch = channel();
    standin.scenario({ session: "loggedOut" });
    expect(await ch.issue(kingdeeInvoice("PM01E2"))).toMatchObject({
      status: "account_problem",
      problem: "logged_out",
      channelCode: "20001",
    });
    expect(await ch.testConnection({ sellerTaxId: SELLER })).toMatchObject({
      status: "account_problem",
      problem: "logged_out",
    });
    standin.scenario({ session: "needsFaceAuth" });
    expect(await ch.issue(kingdeeInvoice("PM01E2"))).toMatchObject({
      status: "account_problem",
      problem: "face_auth",
    });
    standin.scenario({ session: "online" });
    expect(await ch.issue(kingdeeInvoice("PM01E2"))).toEqual({ status: "pending" });
    expect(await ch.testConnection({ sellerTaxId: SELLER })).toMatchObject({
      status: "ok",
      loggedIn: true,
      faceAuthDone: true,
      creditLimit: "1000000.00",
    });
  });

  it("a codec, system code or base URL that does not match the tenant is a misconfiguration", async () => {
    const aes = { ...standin.adapterSettings(), encryption: "aes", aesPassword: "not-the-tenant-mode" };
    expect(await channel(aes).issue(kingdeeInvoice("PM01E3"))).toMatchObject({
      status: "account_problem",
      problem: "misconfigured",
      channelCode: "10010",
    });
    const system = { ...standin.adapterSettings(), businessSystemCode: "OTHER" };
    expect(await channel(system).issue(kingdeeInvoice("PM01E3"))).toMatchObject({
      problem: "misconfigured",
      channelCode: "10011",
    });
    const base = { ...standin.adapterSettings(), baseUrl: standin.baseUrl.replace("/demo", "/other") };
    expect(await channel(base).testConnection({ sellerTaxId: SELLER })).toMatchObject({
      problem: "misconfigured",
      channelCode: "HTTP 404",
    });
    expect(standin.state().invoices).toEqual([]);
  });

  it("an unreachable channel is transient", async () => {
    const settings = standin.adapterSettings();
    await standin.close();
    expect(await channel(settings).issue(kingdeeInvoice("PM01E4"))).toMatchObject({ status: "transient" });
    await start();
  });
});

describe("kingdee adapter: refusals", () => {
  it("keeps the channel's code and message for the operator and gives the consumer a plain sentence", async () => {
    const ch = channel();
    const special = kingdeeInvoice("PM01F1", {
      invoiceType: "digital_special",
      buyer: { ...kingdeeInvoice("x").buyer, taxId: "" },
    });
    expect(await ch.issue(special)).toEqual({
      status: "refused",
      channelCode: "10100",
      channelMessage: "数电专票购买方税号不能为空",
      consumerMessage: "开票服务没有开出这张发票，商家已收到通知，会尽快处理。",
    });
    standin.scenario({ risk: true });
    expect(await ch.issue(kingdeeInvoice("PM01F2"))).toMatchObject({
      status: "refused",
      channelCode: "30001",
      consumerMessage: "税务系统暂时不能为这家商户开票，商家已收到通知，会尽快处理。",
    });
  });

  it("a failure at the bureau after acceptance is a refusal when queried", async () => {
    const ch = channel();
    standin.scenario({ failNext: { message: "购买方纳税人状态异常" } });
    expect(await ch.issue(kingdeeInvoice("PM01F3"))).toEqual({ status: "pending" });
    expect(await query(ch, "PM01F3")).toMatchObject({
      status: "refused",
      channelCode: "30002",
      channelMessage: "开票失败：购买方纳税人状态异常",
    });
  });

  it("a failed query it does not recognise is transient and reported, never the invoice's refusal", async () => {
    const ch = channel();
    await ch.issue(kingdeeInvoice("PM01F7"));
    standin.scenario({ queryErrors: { count: 1, code: "9999", message: "系统繁忙" } });
    expect(await query(ch, "PM01F7")).toEqual({ status: "transient", reason: "金蝶查询失败：9999 系统繁忙" });
    expect(warnings).toEqual(["金蝶查询失败，原因不明，按暂时失败处理"]);
    expect(await query(ch, "PM01F7")).toEqual({ status: "pending" });
  });

  it("refuses locally, without a call, what cannot be sent", async () => {
    const ch = channel();
    expect(await ch.issue(kingdeeInvoice("PM01F4", { drawer: " " }))).toMatchObject({
      status: "refused",
      channelCode: "LOCAL_VALIDATION",
      channelMessage: "请填写开票人",
    });
    expect(await ch.issue(kingdeeInvoice("x".repeat(51)))).toMatchObject({ channelCode: "LOCAL_VALIDATION" });
    expect(standin.counters().openApi).toBe(0);
  });

  it("a seal failure stays pending until the channel has sealed it", async () => {
    const ch = channel();
    standin.scenario({ sealFailNextMs: 10_000 });
    await ch.issue(kingdeeInvoice("PM01F5"));
    t += 3000;
    expect(await query(ch, "PM01F5")).toEqual({ status: "pending", note: "签章失败，金蝶重试中" });
    t += 10_000;
    expect(issued(await query(ch, "PM01F5")).number).toMatch(/^\d{20}$/);
  });

  it("an invoiceStatus nobody knows is read as pending and reported, never as issued or refused", async () => {
    const ch = channel();
    await ch.issue(kingdeeInvoice("PM01F6"));
    t += 3000;
    standin.overrideStatus("PM01F6", "9");
    expect(await query(ch, "PM01F6")).toEqual({ status: "pending" });
    expect(warnings).toEqual(["金蝶发票状态未知，按开票中处理"]);
    standin.overrideStatus("PM01F6", null);
    expect(issued(await query(ch, "PM01F6")).number).toMatch(/^\d{20}$/);
  });

  it.each(["http429", "code"] as const)("a rate limit (%s) is transient with a wait", async (answer) => {
    const ch = channel();
    await query(ch, "PM01G1");
    standin.scenario({ rateLimit: { perSecond: 1, answer } });
    await query(ch, "PM01G1");
    expect(await query(ch, "PM01G1")).toMatchObject({ status: "transient", retryAfterMs: 1000 });
    t += 1000;
    expect(await query(ch, "PM01G1")).toBeNull();
  });
});

describe("kingdee adapter: red", () => {
  async function blue(ch: ReturnType<typeof channel>, serial: string) {
    await ch.issue(kingdeeInvoice(serial));
    t += 3000;
    return issued(await query(ch, serial)).number;
  }
  const red = (serial: string, blueNumber: string) => ({
    channelOrderNo: serial,
    invoiceType: "digital_normal" as const,
    sellerTaxId: SELLER,
    blueNumber,
    reason: "销货退回",
  });

  it("not booked by the buyer: the red is issued without a 确认单, and the blue shows as reversed", async () => {
    const ch = channel();
    const number = await blue(ch, "PM01H1");
    expect(await ch.red(red("PM01H1R", number))).toEqual({ status: "pending" });
    expect((standin.invoice("PM01H1R")!.request as Record<string, unknown>).redReason).toBe("02");
    t += 3000;
    const done = issued(await query(ch, "PM01H1R"));
    expect(done.number).not.toBe(number);
    expect(issued(await query(ch, "PM01H1")).laterState).toBe("reversed");
    // Repeated: the same red, through 10127 and a query.
    expect(issued(await ch.red(red("PM01H1R", number))).number).toBe(done.number);
  });

  it("booked: 确认单 pending, then confirmed and issued; refused or expired is a refusal", async () => {
    const ch = channel();
    standin.scenario({ blueBooked: true });
    const a = await blue(ch, "PM01H2");
    expect(await ch.red(red("PM01H2R", a))).toEqual({
      status: "confirmation_pending",
      confirmStatus: "02",
      confirmation: { number: expect.stringMatching(/^\d{20}$/), status: "pending" },
    });
    standin.confirmRed("PM01H2R", true);
    expect(await query(ch, "PM01H2R")).toEqual({ status: "pending" });
    t += 3000;
    expect(issued(await query(ch, "PM01H2R")).number).toMatch(/^\d{20}$/);

    const b = await blue(ch, "PM01H3");
    await ch.red(red("PM01H3R", b));
    standin.confirmRed("PM01H3R", false);
    expect(await query(ch, "PM01H3R")).toMatchObject({ status: "refused", channelCode: "RED_CONFIRM_05" });

    const c = await blue(ch, "PM01H4");
    await ch.red(red("PM01H4R", c));
    t += 72 * 3600_000;
    expect(await query(ch, "PM01H4R")).toMatchObject({ status: "refused", channelCode: "RED_CONFIRM_07" });
    // After a refused 确认单 a new red (its own serial) may be applied for.
    expect(await ch.red(red("PM01H4S", c))).toEqual({
      status: "confirmation_pending",
      confirmStatus: "02",
      confirmation: { number: expect.stringMatching(/^\d{20}$/), status: "pending" },
    });
  });

  it("a red for an unknown blue number is refused with the channel's words", async () => {
    expect(await channel().red(red("PM01H5R", "26447000000000009999"))).toMatchObject({
      status: "refused",
      channelCode: "10201",
      channelMessage: "蓝字发票不存在或尚未开具",
    });
  });
});

/** A tiny callback receiver: the route the lead wires to POST /channels/kingdee/callback. */
async function listen(
  handle: (body: unknown) => Promise<unknown>,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const reply = await handle(Buffer.concat(chunks).toString("utf8"));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(reply));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/channels/kingdee/callback`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
