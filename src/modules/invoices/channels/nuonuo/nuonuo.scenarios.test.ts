/** §7.6 through the real issuing path against the 诺诺 stand-in (the list: test/support/channel-scenarios.ts). */
import { describeChannelScenarios } from "../../../../../test/support/channel-scenarios";
import { createNuonuoStandin, DEFAULT_APP } from "../../../../standins/nuonuo/nuonuo-standin";
import { type RunningStandin, standinControl } from "../../../../standins/server";
import { nuonuoOrderNo } from "./nuonuo.channel";

interface NuonuoState {
  tokenCalls: Record<string, number>;
  invoices: Array<{ orderNo: string; number: string | null }>;
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
  };
});
