import { afterEach, beforeEach, expect, it } from "vitest";
import { describeEachDatabase, openTestDatabase } from "../../../../../test/support/db";
import {
  type ComputedLine,
  computeInvoice,
  isInvoiceNumber,
  planReversal,
  type ReversalPlan,
  takenBy,
} from "../../../../domain";
import { Keyring } from "../../../../platform/crypto";
import type { Database } from "../../../../platform/db/client";
import { channelTokens } from "../../../../platform/db/schema";
import { createNuonuoStandin, DEFAULT_APP } from "../../../../standins/nuonuo/nuonuo-standin";
import type { RunningStandin } from "../../../../standins/server";
import { standinControl } from "../../../../standins/server";
import { reversedLineNumbers } from "../../reversal.partial";
import {
  ChannelAccountError,
  type ChannelAdapter,
  ChannelUnavailableError,
  type IssueRequest,
} from "../channel.js";
import { prepareSettings } from "../channel-registry";
import { registerBuiltInChannels } from "../channels";
import { CONSUMER_SENTENCE } from "./mapping";
import { createNuonuoChannel, nuonuoOrderNo, redConfirmOf } from "./nuonuo.channel";
import { nuonuoSettings } from "./settings";

registerBuiltInChannels();

const LUNCH = {
  name: "午餐",
  shortName: "餐饮服务",
  taxCode: "3070401000000000000",
  taxRate: "0.06",
  quantity: "3",
  unitPrice: "33.33",
};
const computed = computeInvoice({
  lines: [
    LUNCH,
    {
      name: "矿泉水",
      shortName: "水冰雪",
      taxCode: "1030307000000000000",
      taxRate: "0.13",
      amount: "7.00",
      discount: "-1.00",
    },
  ],
});
if (!computed.ok) throw new Error(`fixture does not compute: ${JSON.stringify(computed)}`);
const invoice = computed.value;

const SELLER = {
  name: "示范酒店",
  taxId: "91440300PMDEM0017W",
  address: "深圳市南山区",
  phone: "0755-1234567",
  bankName: "招商银行",
  bankAccount: "755900000000",
};

/** A red request for `plan` of the blue invoice `number` (its lines numbered as issuing.attempt.ts does). */
function partialRed(
  base: IssueRequest,
  number: string,
  blueLines: readonly ComputedLine[],
  plan: ReversalPlan,
): IssueRequest {
  return {
    ...base,
    color: "red",
    lines: plan.red.lines,
    totals: plan.red.totals,
    reverses: {
      number,
      reason: "销货退回",
      lines: reversedLineNumbers(
        blueLines,
        plan.pieces.map((p, position) => ({ blueLineNo: p.blueLineNo, position })),
      ),
    },
  };
}

function planned(
  blueLines: readonly ComputedLine[],
  earlier: ReversalPlan[],
  request: { reason?: string; lines?: unknown; amount?: unknown },
): ReversalPlan {
  const plan = planReversal(blueLines, earlier.flatMap(takenBy), { reason: "销货退回", ...request });
  if (!plan.ok) throw new Error(`plan refused: ${JSON.stringify(plan.issues)}`);
  return plan.value;
}

let seq = 0;
const serial = () => `PM01KXQ5Z8${String(++seq).padStart(4, "0")}ABCDEFGHJKMN`;

interface StandinState {
  invoices: Array<{ orderNo: string; status: string; number: string | null; order: Order }>;
  bills: Array<{ billId: string; billStatus: string; request: Record<string, unknown> }>;
  calls: Array<{ method: string; code: string }>;
  tokenCalls: Record<string, number>;
}
interface Order extends Record<string, unknown> {
  orderNo: string;
  invoiceDetail: Array<Record<string, string>>;
}

interface Harness {
  database: Database;
  standin: RunningStandin;
  channel: ChannelAdapter;
  settings: Record<string, unknown>;
  control(action: string, body?: unknown): Promise<unknown>;
  state(): Promise<StandinState>;
  request(overrides?: Partial<IssueRequest>): IssueRequest;
}

it("a partial 红字确认单 names each blue line by blueDetailIndex, in the blue order, with negative quantity, amount and tax; a full one sends no detail", () => {
  const paired = computeInvoice({
    lines: [
      {
        name: "矿泉水",
        shortName: "水冰雪",
        taxCode: "1030307000000000000",
        taxRate: "0.13",
        quantity: "10",
        unitPrice: "2.00",
        discount: "-2.00",
      },
      LUNCH,
      {
        name: "蔬菜",
        shortName: "蔬菜",
        taxCode: "1010112000000000000",
        taxRate: "0",
        zeroRateKind: "exempt",
        amount: "20.00",
      },
    ],
  });
  if (!paired.ok) throw new Error("fixture does not compute");
  const blue = paired.value.lines;
  const settings = nuonuoSettings.parse({ appKey: "k", appSecret: "s", extensionNumber: "8889" });
  const base = { serial: serial(), invoiceType: "digital_normal", seller: SELLER, settings } as const;
  const request = (lines: unknown) =>
    partialRed(
      {
        ...base,
        color: "red",
        buyer: { type: "enterprise", name: "某公司", taxId: "91330100MA2CC1X505", naturalPerson: false },
        lines: [],
        totals: paired.value.totals,
      },
      "26442000000000000123",
      blue,
      planned(blue, [], { lines }),
    );

  // Named in any order; sent in the blue invoice's order. The pair is line 1 (its discount row is 2,
  // never named), the lunch line 3, the exempt line 4.
  const partial = request([{ lineNo: 4 }, { lineNo: 3, quantity: "1" }, { lineNo: 1, quantity: "5" }]);
  // The blue line of each red line, as printed and without the discount row (issuing.attempt.ts).
  expect(partial.reverses?.lines).toEqual([
    { lineNo: 1, netLineNo: 1 },
    { lineNo: 3, netLineNo: 2 },
    { lineNo: 4, netLineNo: 3 },
  ]);
  const body = redConfirmOf(partial, settings);
  expect(body).toMatchObject({
    billId: expect.any(String),
    blueElecInvoiceNumber: "26442000000000000123",
    blueInvoiceLine: "pc",
    applySource: "0",
    redReason: "1",
    orderNo: expect.stringMatching(/^.{1,20}$/),
  });
  expect(body.detail).toEqual([
    {
      blueDetailIndex: "1",
      goodsName: "矿泉水",
      goodsCode: "1030307000000000000",
      taxRate: "0.13",
      // Half of the net 18.00: 9.00 → 7.96 + 1.04.
      num: "-5",
      taxExcludedPrice: "1.592",
      taxExcludedAmount: "-7.96",
      taxAmount: "-1.04",
    },
    {
      blueDetailIndex: "3",
      goodsName: "午餐",
      goodsCode: "3070401000000000000",
      taxRate: "0.06",
      num: "-1",
      taxExcludedPrice: "31.44",
      taxExcludedAmount: "-31.44",
      taxAmount: "-1.89",
    },
    {
      blueDetailIndex: "4",
      goodsName: "蔬菜",
      goodsCode: "1010112000000000000",
      taxRate: "0",
      taxExcludedAmount: "-20.00",
      taxAmount: "0.00",
      favouredPolicyFlag: "03",
    },
  ]);
  // Every value a string, as 诺诺 wants them.
  for (const line of body.detail as Array<Record<string, unknown>>)
    for (const v of Object.values(line)) expect(typeof v).toBe("string");

  // The whole invoice: no detail (诺诺 reverses it by number).
  const whole = redConfirmOf(
    { ...request([{ lineNo: 1 }]), reverses: { number: "26442000000000000123", reason: "开票有误" } },
    settings,
  );
  expect(whole).not.toHaveProperty("detail");
  expect(whole.redReason).toBe("2");
});

let h: Harness;
const keyring = new Keyring("test-master-secret");

describeEachDatabase("诺诺 channel against its stand-in", (kind) => {
  beforeEach(async () => {
    const database = await openTestDatabase(kind);
    const standin = await createNuonuoStandin().start();
    const settings = {
      apiUrl: `${standin.url}/open/v1/services`,
      tokenUrl: `${standin.url}/accessToken`,
      appKey: DEFAULT_APP.appKey,
      appSecret: DEFAULT_APP.appSecret,
      extensionNumber: "8889",
    };
    const channel = createNuonuoChannel({ database, keyring, allowPrivateUrls: true, timeoutMs: 2000 });
    h = {
      database,
      standin,
      channel,
      settings,
      control: (action, body) => standinControl(standin.url, action, body),
      state: () => standinControl(standin.url, "state") as Promise<StandinState>,
      request: (overrides = {}) => ({
        serial: serial(),
        invoiceType: "digital_normal",
        color: "blue",
        seller: SELLER,
        buyer: {
          type: "individual",
          name: "张三",
          taxId: "",
          naturalPerson: true,
          address: "北京市海淀区",
          phone: "13800000000",
          bankName: "",
          bankAccount: "",
        },
        lines: invoice.lines,
        totals: invoice.totals,
        remark: "桌号 8",
        drawer: "王五",
        payee: "李四",
        reviewer: "赵六",
        settings,
        ...overrides,
      }),
    };
  });
  afterEach(async () => {
    await h.standin.close();
    await h.database.close();
  });

  const advance = (ms: number) => h.control("clock", { advanceMs: ms });

  it("issue → pending (开票中) → issued, with the number, time and the channel's files", async () => {
    const req = h.request();
    expect(await h.channel.issue(req)).toEqual({ status: "pending", message: "开票提交成功" });
    expect(await h.channel.query(req.serial, h.settings)).toMatchObject({ status: "pending" });
    await advance(3000);
    const done = await h.channel.query(req.serial, h.settings);
    if (done?.status !== "issued") throw new Error(`not issued: ${JSON.stringify(done)}`);
    expect(isInvoiceNumber(done.number)).toBe(true);
    expect(done.issuedAt.toISOString()).toBe("2026-01-05T02:00:03.000Z");
    expect(done.files?.map((f) => f.kind)).toEqual(["pdf", "ofd", "xml"]);
    const pdf = await fetch(done.files![0]!.url);
    expect(await pdf.text()).toContain(done.number);

    // The whole invoice travelled, every value a string, as 诺诺 wants it.
    const { invoices } = await h.state();
    const order = invoices[0]!.order;
    expect(order).toMatchObject({
      orderNo: nuonuoOrderNo(req.serial),
      invoiceType: "1",
      invoiceLine: "pc",
      pushMode: "-1",
      salerTaxNum: SELLER.taxId,
      salerAddress: SELLER.address,
      salerAccount: "招商银行 755900000000",
      buyerName: "张三",
      buyerAddress: "北京市海淀区",
      buyerTel: "13800000000",
      naturalPersonFlag: "1",
      clerk: "王五",
      payee: "李四",
      checker: "赵六",
      remark: "桌号 8",
      extensionNumber: "8889",
    });
    expect(order.orderNo).toHaveLength(20);
    expect(order.invoiceDetail.map((l) => l.invoiceLineProperty)).toEqual(["0", "2", "1"]);
    expect(order.invoiceDetail[0]).toMatchObject({
      goodsCode: "3070401000000000000",
      num: "3",
      taxRate: "0.06",
    });
    expect(order.invoiceDetail[2]?.num).toBeUndefined();
  });

  it("issuing the same serial twice, one after the other and at once, makes one invoice (E9106 → query)", async () => {
    const req = h.request();
    await h.channel.issue(req);
    expect(await h.channel.issue(req)).toMatchObject({ status: "pending" });
    await advance(3000);
    const again = await h.channel.issue(req);
    expect(again.status).toBe("issued");

    const other = h.request();
    const both = await Promise.all([h.channel.issue(other), h.channel.issue(other)]);
    expect(both.map((o) => o.status)).toEqual(["pending", "pending"]);
    const { invoices, calls } = await h.state();
    expect(invoices).toHaveLength(2);
    // The second and third sequential calls, and one of the two at once.
    expect(calls.filter((c) => c.code === "E9106")).toHaveLength(3);
  });

  it("a response lost after the channel committed: the query finds it, no new order is ever sent", async () => {
    const req = h.request();
    await h.control("scenario", { dropResponse: { count: 1, method: "requestBillingNew" } });
    await expect(h.channel.issue(req)).rejects.toBeInstanceOf(ChannelUnavailableError);
    expect(await h.channel.query(req.serial, h.settings)).toMatchObject({ status: "pending" });
    // Slower than the client's deadline: also unknown, also committed.
    const slow = h.request();
    await h.control("scenario", { slowMs: 2500 });
    await expect(h.channel.issue(slow)).rejects.toBeInstanceOf(ChannelUnavailableError);
    await h.control("scenario", { slowMs: 0 });
    await advance(3000);
    expect(await h.channel.query(slow.serial, h.settings)).toMatchObject({ status: "issued" });
    expect((await h.channel.issue(req)).status).toBe("issued");
    const { invoices } = await h.state();
    expect(invoices.map((i) => i.orderNo).sort()).toEqual(
      [nuonuoOrderNo(req.serial), nuonuoOrderNo(slow.serial)].sort(),
    );
  });

  it("keeps one token, sealed in the database, reused across calls and processes; renews once when refused", async () => {
    for (let i = 0; i < 4; i++) await h.channel.issue(h.request());
    // Another process (another adapter instance) reads the kept token.
    const second = createNuonuoChannel({ database: h.database, keyring, allowPrivateUrls: true });
    await second.issue(h.request());
    expect((await h.state()).tokenCalls).toEqual({ [DEFAULT_APP.appKey]: 1 });
    const [row] = await h.database.db.select().from(channelTokens);
    expect(row?.channel).toBe("nuonuo");
    expect(row?.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 86_000_000);
    const token = keyring.decrypt(row!.tokenCiphertext);
    expect(row!.tokenCiphertext).not.toContain(token);

    await h.control("scenario", { expireTokens: true });
    expect((await h.channel.issue(h.request())).status).toBe("pending");
    expect((await h.state()).tokenCalls).toEqual({ [DEFAULT_APP.appKey]: 2 });
  });

  it("a pasted token is used as it is; the quota and bad credentials are account problems", async () => {
    const form = new URLSearchParams({
      client_id: DEFAULT_APP.appKey,
      client_secret: DEFAULT_APP.appSecret,
      grant_type: "client_credentials",
    });
    const got = await fetch(`${h.standin.url}/accessToken`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form,
    });
    const { access_token } = (await got.json()) as { access_token: string };
    const pasted = { ...h.settings, accessToken: access_token };
    expect((await h.channel.issue(h.request({ settings: pasted }))).status).toBe("pending");
    expect((await h.state()).tokenCalls).toEqual({ [DEFAULT_APP.appKey]: 1 });
    expect(await h.database.db.select().from(channelTokens)).toHaveLength(0);

    await h.control("scenario", { expireTokens: true });
    const expired = await h.channel.issue(h.request({ settings: pasted })).catch((e) => e);
    expect(expired).toBeInstanceOf(ChannelAccountError);
    expect(expired).toMatchObject({ problem: "bad_credentials", code: "070302", accountStatus: "reauth" });

    await h.control("scenario", { tokenQuotaUsed: 50 });
    const quota = await h.channel.issue(h.request()).catch((e) => e);
    expect(quota).toMatchObject({ problem: "token_quota", code: "070306" });
    expect(quota.action).toContain("永不过期");

    const wrong = await h.channel
      .issue(h.request({ settings: { ...h.settings, appSecret: "nope" } }))
      .catch((e) => e);
    expect(wrong).toMatchObject({ problem: "bad_credentials", code: "070305" });
  });

  it("the 数电 session logged out or 实人认证 due is an account problem, and the status shows the QR", async () => {
    await h.control("scenario", { session: "loggedOut" });
    const req = h.request();
    expect((await h.channel.issue(req)).status).toBe("pending");
    await advance(3000);
    const out = await h.channel.query(req.serial, h.settings).catch((e) => e);
    expect(out).toBeInstanceOf(ChannelAccountError);
    expect(out).toMatchObject({ problem: "logged_out", accountStatus: "reauth" });
    expect(await h.channel.accountStatus!(h.settings)).toMatchObject({
      status: "reauth",
      problem: "logged_out",
    });

    await h.control("scenario", { session: "needsFaceAuth", sessionMode: "refuse" });
    const face = await h.channel.issue(h.request()).catch((e) => e);
    expect(face).toMatchObject({ problem: "identity_verification_due" });
    const status = await h.channel.accountStatus!(h.settings);
    expect(status).toMatchObject({ status: "reauth", problem: "identity_verification_due" });
    expect(status.qrCode?.text).toMatch(/\/qr\/face\//);
    expect(status.qrCode?.expiresAt?.toISOString()).toBe("2026-01-05T02:05:03.000Z");

    // Back: retry (reInvoice, same order number) resumes the held invoice.
    await h.control("scenario", { session: "ok" });
    expect(await h.channel.retry!(req.serial, h.settings)).toMatchObject({ status: "pending" });
    await advance(3000);
    expect((await h.channel.query(req.serial, h.settings))?.status).toBe("issued");
    const online = await h.channel.accountStatus!(h.settings);
    expect(online).toMatchObject({
      status: "online",
      creditLine: { total: "1000000.00", used: invoice.totals.amountExcludingTax },
    });
    // Only read-only session queries: the refresh limits are never touched.
    expect((await h.state()).calls.some((c) => c.code === "E9620")).toBe(false);
  });

  it("refusals keep 诺诺's code and message and carry a plain sentence for the consumer", async () => {
    const noClerk = await h.channel.issue(h.request({ drawer: "" }));
    expect(noClerk).toMatchObject({
      status: "rejected",
      code: "NUONUO_E4000",
      message: "接口调用失败：clerk 不能为空",
    });
    if (noClerk.status === "rejected") expect(noClerk.consumerMessage).toMatch(/商家/);

    await h.control("scenario", { fail: "购方名称与税号不匹配" });
    const req = h.request();
    await h.channel.issue(req);
    await advance(3000);
    expect(await h.channel.query(req.serial, h.settings)).toMatchObject({
      status: "rejected",
      code: "NUONUO_22",
      message: "购方名称与税号不匹配",
    });
  });

  it("transport trouble is ChannelUnavailableError: 5xx, a page instead of JSON, 429, a private URL refused", async () => {
    const req = h.request();
    await h.control("scenario", { http5xx: 1 });
    await expect(h.channel.issue(req)).rejects.toBeInstanceOf(ChannelUnavailableError);
    await h.control("scenario", { malformed: 1 });
    await expect(h.channel.issue(req)).rejects.toBeInstanceOf(ChannelUnavailableError);
    await h.control("scenario", { rateLimit: { count: 1, mode: "429" } });
    await expect(h.channel.issue(req)).rejects.toBeInstanceOf(ChannelUnavailableError);
    await h.control("scenario", { rateLimit: { count: 1, mode: "code" } });
    await expect(h.channel.issue(req)).rejects.toBeInstanceOf(ChannelUnavailableError);
    expect((await h.state()).invoices).toHaveLength(0);

    const guarded = createNuonuoChannel({ database: h.database, keyring, allowPrivateUrls: false });
    await expect(guarded.issue(req)).rejects.toMatchObject({ problem: "misconfigured" });
  });

  it("seal failure (24) is retried with reInvoice and issued; the retry cap (E9613) fails it, the order kept", async () => {
    await h.control("scenario", { sealFail: true });
    const req = h.request();
    await h.channel.issue(req);
    await advance(3000);
    expect(await h.channel.query(req.serial, h.settings)).toMatchObject({ status: "pending" });
    await advance(3000);
    expect((await h.channel.query(req.serial, h.settings))?.status).toBe("issued");

    await h.control("scenario", { fail: "税局校验未通过" });
    const capped = h.request();
    await h.channel.issue(capped);
    await advance(3000);
    let last: unknown;
    for (let i = 0; i < 21; i++) last = await h.channel.retry!(capped.serial, h.settings);
    expect(last).toMatchObject({ status: "rejected", code: "NUONUO_E9613" });
    expect((await h.state()).invoices.filter((i) => i.orderNo === nuonuoOrderNo(capped.serial))).toHaveLength(
      1,
    );
  });

  it("red: not booked → issued through the 红字确认单; booked → confirmation_pending → confirmed → issued; refused or expired → rejected", async () => {
    const issueBlue = async () => {
      const blue = h.request();
      await h.channel.issue(blue);
      await advance(3000);
      const done = await h.channel.query(blue.serial, h.settings);
      if (done?.status !== "issued") throw new Error("blue not issued");
      return done.number;
    };
    const red = (number: string) =>
      h.request({
        color: "red",
        reverses: { number, reason: "销货退回" },
        lines: [],
        totals: invoice.totals,
      });

    const direct = red(await issueBlue());
    expect(await h.channel.issue(direct)).toMatchObject({ status: "pending" });
    await advance(1000);
    expect(await h.channel.query(direct.serial, h.settings, { color: "red" })).toMatchObject({
      status: "pending",
    });
    await advance(3000);
    const issued = await h.channel.query(direct.serial, h.settings, { color: "red" });
    expect(issued?.status).toBe("issued");
    const bill = (await h.state()).bills[0]!;
    expect(bill.request).toMatchObject({
      billId: direct.serial,
      redReason: "1",
      applySource: "0",
      orderNo: nuonuoOrderNo(direct.serial),
    });
    // Asking again with the same serial re-reads the form (duplicate billId), never a second form.
    expect((await h.channel.issue(direct)).status).toBe("issued");

    await h.control("scenario", { redBooked: true });
    const booked = red(await issueBlue());
    await h.channel.issue(booked);
    await advance(1000);
    // The form's number and its state in our words (mapping.ts BILL_STATUS: 02 → pending).
    expect(await h.channel.query(booked.serial, h.settings, { color: "red" })).toEqual({
      status: "confirmation_pending",
      redConfirmation: { number: expect.stringMatching(/^\d+$/), status: "pending" },
    });
    await h.control("red/confirm", { billId: booked.serial, agree: true });
    await advance(3000);
    expect(await h.channel.query(booked.serial, h.settings, { color: "red" })).toMatchObject({
      status: "issued",
      redConfirmation: { status: "confirmed" },
    });

    const refused = red(await issueBlue());
    await h.channel.issue(refused);
    await advance(1000);
    await h.control("red/confirm", { billId: refused.serial, agree: false });
    expect(await h.channel.query(refused.serial, h.settings, { color: "red" })).toMatchObject({
      status: "rejected",
      code: "NUONUO_BILL_05",
      redConfirmation: { status: "refused" },
    });

    const expired = red(await issueBlue());
    await h.channel.issue(expired);
    await advance(1000);
    await h.channel.query(expired.serial, h.settings, { color: "red" });
    await advance(72 * 3600_000);
    expect(await h.channel.query(expired.serial, h.settings, { color: "red" })).toMatchObject({
      status: "rejected",
      code: "NUONUO_BILL_07",
      redConfirmation: { status: "expired" },
    });
    expect((await h.state()).bills).toHaveLength(4);
  });

  it("partial red: one line, then a second form on the same line counting the first; more than remains, a line the blue invoice lacks or a wrong sign refused with 诺诺's answer", async () => {
    const blueReq = h.request();
    await h.channel.issue(blueReq);
    await advance(3000);
    const blue = await h.channel.query(blueReq.serial, h.settings);
    if (blue?.status !== "issued") throw new Error("blue not issued");
    const lines = invoice.lines;
    const issueRed = async (red: IssueRequest) => {
      await h.channel.issue(red);
      // 申请中 for 1 s, then 无需确认: 诺诺 issues the red invoice (开票中 for 3 s).
      await advance(1000);
      await h.channel.query(red.serial, h.settings, { color: "red" });
      await advance(3000);
      return h.channel.query(red.serial, h.settings, { color: "red" });
    };

    // One of the three lunches: 诺诺 issues a red invoice of just that.
    const first = planned(lines, [], { lines: [{ lineNo: 1, quantity: "1" }] });
    const red1 = partialRed(h.request(), blue.number, lines, first);
    expect(await issueRed(red1)).toMatchObject({
      status: "issued",
      number: expect.stringMatching(/^\d{20}$/),
      redConfirmation: { status: "no_confirmation_needed" },
    });
    const issuedRed = (await h.state()).invoices.find((i) => i.orderNo === nuonuoOrderNo(red1.serial))!;
    expect(issuedRed.order.invoiceDetail).toEqual([
      expect.objectContaining({ goodsName: "午餐", num: "-1", taxExcludedAmount: "-31.44", tax: "-1.89" }),
    ]);

    // The other two lunches and the water: the stand-in counts the first form.
    const second = planned(lines, [first], { lines: [{ lineNo: 1 }, { lineNo: 2 }] });
    const red2 = partialRed(h.request(), blue.number, lines, second);
    expect(await issueRed(red2)).toMatchObject({ status: "issued" });
    expect((await h.state()).bills.map((b) => (b.request.detail as unknown[]).length)).toEqual([1, 2]);

    // Our plan would refuse a third (nothing left); sent anyway, 诺诺 refuses it too.
    const again = partialRed(h.request(), blue.number, lines, first);
    expect(await h.channel.issue(again)).toMatchObject({
      status: "rejected",
      code: "NUONUO_E9103",
      message: expect.stringContaining("超过剩余可冲红"),
      consumerMessage: CONSUMER_SENTENCE.red,
    });
    // A line the blue invoice does not have, the discount row itself, a positive amount.
    const skewed = (patch: (l: Record<string, unknown>) => void) => {
      const body = redConfirmOf(
        partialRed(h.request(), blue.number, lines, first),
        nuonuoSettings.parse(h.settings),
      );
      patch((body.detail as Array<Record<string, unknown>>)[0]!);
      return h.control("red/outside", body) as Promise<{ code: string; describe: string }>;
    };
    expect(await skewed((l) => (l.blueDetailIndex = "9"))).toMatchObject({
      code: "E4000",
      describe: expect.stringContaining("不存在"),
    });
    expect(await skewed((l) => (l.blueDetailIndex = "3"))).toMatchObject({ code: "E4000" });
    expect(await skewed((l) => (l.taxExcludedAmount = "31.44"))).toMatchObject({
      code: "E4000",
      describe: expect.stringContaining("负数"),
    });
    expect((await h.state()).bills).toHaveLength(2);
  });

  it("settings sealed by the registry work, and the stand-in refuses a wrong signature", async () => {
    const stored = prepareSettings("nuonuo", h.settings, { keyring, allowPrivateUrls: true });
    expect(JSON.stringify(stored)).not.toContain(DEFAULT_APP.appSecret);
    expect((await h.channel.issue(h.request({ settings: stored }))).status).toBe("pending");

    const forged = await fetch(
      `${h.standin.url}/open/v1/services?senid=${"a".repeat(32)}&nonce=12345678&timestamp=1700000000&appkey=${DEFAULT_APP.appKey}`,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "X-Nuonuo-Sign": "AAAA",
          method: "nuonuo.OpeMplatform.queryInvoiceResult",
        },
        body: "{}",
      },
    );
    expect(await forged.json()).toMatchObject({ code: "070601" });
  });
});
