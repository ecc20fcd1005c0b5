/** §7.6 through the real issuing path against the 诺诺 stand-in (the list: test/support/channel-scenarios.ts). */
import Decimal from "decimal.js";
import { describeChannelScenarios } from "../../../../../test/support/channel-scenarios";
import { createNuonuoStandin, DEFAULT_APP } from "../../../../standins/nuonuo/nuonuo-standin";
import { type RunningStandin, standinControl } from "../../../../standins/server";
import { nuonuoOrderNo } from "./nuonuo.channel";
import { nuonuoVectorsAsSigned } from "./signing.vectors";

interface NuonuoState {
  tokenCalls: Record<string, number>;
  invoices: Array<{
    orderNo: string;
    number: string | null;
    order: { invoiceDetail: Array<Record<string, string>> };
  }>;
  bills: Array<{ billId: string }>;
  calls: Array<{ method: string; code: string }>;
  callbacks: Array<{ answer: string }>;
}

describeChannelScenarios("诺诺", () => {
  let running: RunningStandin;
  const control = (action: string, body: unknown = {}) => standinControl(running.url, action, body);
  const state = async () => (await control("state")) as NuonuoState;
  const scenario = (patch: Record<string, unknown>) => control("scenario", patch).then(() => {});
  async function callback(serial: string, url: string, times: number, forged?: Record<string, unknown>) {
    const before = (await state()).callbacks.length;
    await control("callback", { orderNo: nuonuoOrderNo(serial), url, times, ...(forged ? { forged } : {}) });
    return (await state()).callbacks.slice(before).map((c) => JSON.parse(c.answer) as unknown);
  }
  return {
    channel: "nuonuo",
    async start() {
      running = await createNuonuoStandin().start();
    },
    close: () => running.close(),
    settings: () => ({
      apiUrl: `${running.url}/open/v1/services`,
      tokenUrl: `${running.url}/accessToken`,
      appKey: DEFAULT_APP.appKey,
      appSecret: DEFAULT_APP.appSecret,
    }),
    advance: (ms) => control("clock", { advanceMs: ms }).then(() => {}),
    pendingFor: (ms) => scenario({ pendingMs: ms }),
    keyOf: nuonuoOrderNo,
    accepted: async () => (await state()).invoices.map((i) => ({ key: i.orderNo, number: i.number })),
    normal: () => scenario({ fail: null, sealFail: false, session: "ok" }),
    failNext: (reason) => scenario({ fail: reason }),
    dropNextAnswer: () => scenario({ dropResponse: { count: 1, method: "requestBillingNew" } }),
    http5xxNext: () => scenario({ http5xx: 1 }),
    loggedOut: (on) => scenario({ session: on ? "loggedOut" : "ok" }),
    sealFailNext: () => scenario({ sealFail: true }),
    expireTokens: () => scenario({ expireTokens: true }),
    tokenFetches: async () => (await state()).tokenCalls[DEFAULT_APP.appKey] ?? 0,
    callback: (serial, url, times = 1) => callback(serial, url, times),
    forgeCallback: async (serial, url) =>
      (
        await callback(serial, url, 1, {
          c_status: "1",
          c_orderno: nuonuoOrderNo(serial),
          c_fphm: "26000000000000000001",
          allElectronicInvoiceNumber: "26000000000000000001",
        })
      )[0],
    legalPdf: (number) => `%PDF standin ${number}`,
    acknowledgement: { status: "0000", message: "同步成功" },
    callbackPath: "/channels/nuonuo/callback",
    // 诺诺 decides per form whether the buyer must confirm: the stand-in's switch holds for every
    // red applied for from now on.
    booked: (_blueSerial, on) => scenario({ redBooked: on }),
    answerRed: async (redSerial, agree) => {
      const answer = (await control("red/confirm", { billId: redSerial, agree })) as { code: string };
      if (answer.code !== "E0000") throw new Error(`red/confirm: ${JSON.stringify(answer)}`);
    },
    redApplications: async () => (await state()).bills.length,
    rateLimited: (on) => scenario({ rateLimit: on ? { count: 1000, mode: "code" } : null }),
    businessCalls: async () => (await state()).calls.length,
    partialRed: true,
    async reverseLineOutside(blueNumber, lineNo) {
      // The blue invoice as the stand-in holds it; a form taking the whole of that line (net of its
      // discount row), as a merchant would fill it in at 诺诺's workbench.
      const blue = (await state()).invoices.find((i) => i.number === blueNumber)!;
      const rows = blue.order.invoiceDetail;
      const row = rows[lineNo - 1]!;
      const discount = row.invoiceLineProperty === "2" ? rows[lineNo] : undefined;
      const neg = (key: string) =>
        new Decimal(row[key]!)
          .plus(discount?.[key] ?? "0")
          .negated()
          .toFixed(2);
      const answer = (await control("red/outside", {
        billId: `OUTSIDE${lineNo}${blueNumber}`.slice(0, 32),
        blueElecInvoiceNumber: blueNumber,
        detail: [
          {
            blueDetailIndex: String(lineNo),
            goodsName: row.goodsName,
            goodsCode: row.goodsCode,
            taxRate: row.taxRate,
            taxExcludedAmount: neg("taxExcludedAmount"),
            taxAmount: neg("tax"),
          },
        ],
      })) as { code: string };
      if (answer.code !== "E0000") throw new Error(`red/outside: ${JSON.stringify(answer)}`);
    },
    signingVectors: nuonuoVectorsAsSigned,
  };
});
