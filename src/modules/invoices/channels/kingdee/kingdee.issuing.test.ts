/** §7.6 through the real issuing path against the 金蝶 stand-in (the list: test/support/channel-scenarios.ts). */
import { describeChannelScenarios } from "../../../../../test/support/channel-scenarios";
import { type KingdeeStandin, startKingdeeStandin } from "../../../../standins/kingdee";
import { kingdeeVectorsAsEncoded } from "./codec.vectors";

describeChannelScenarios("金蝶", () => {
  let standin: KingdeeStandin;
  return {
    channel: "kingdee",
    async start() {
      // AES, so the callback's data is read with the account's own password.
      standin = await startKingdeeStandin({ tenant: { encryption: "aes", aesPassword: "scenario-aes" } });
    },
    close: () => standin.close(),
    settings: () => standin.adapterSettings(),
    advance: async (ms) => standin.advance(ms),
    pendingFor: async (ms) => {
      standin.scenario({ pendingMs: ms });
    },
    keyOf: (serial) => serial,
    accepted: async () =>
      standin.state().invoices.map((i) => ({ key: i!.serialNo, number: i!.invoiceNum || null })),
    normal: async () => {
      standin.scenario({ failNext: null, sealFailNextMs: 0, session: "online" });
    },
    failNext: async (reason) => {
      standin.scenario({ failNext: { message: reason } });
    },
    dropNextAnswer: async () => {
      standin.scenario({ dropResponses: 1 });
    },
    http5xxNext: async () => {
      standin.scenario({ http5xx: 1 });
    },
    loggedOut: async (on) => {
      standin.scenario({ session: on ? "loggedOut" : "online" });
    },
    sealFailNext: async () => {
      standin.scenario({ sealFailNextMs: 4000 });
    },
    expireTokens: async () => standin.expireTokens(),
    tokenFetches: async () => standin.counters().login,
    async callback(serial, url, times = 1) {
      standin.setCallbackUrl("PIAOMA", url);
      standin.scenario({ callbackCopies: times, callbackRetries: 0 });
      const sent = await standin.deliverCallbacks();
      return sent.find((s) => s.serialNo === serial)?.replies ?? [];
    },
    forgeCallback: async (serial, url) => {
      standin.setCallbackUrl("PIAOMA", url);
      return standin.forgeCallback({
        data: { serialNo: serial, invoiceNum: "26000000000000000001", invoiceStatus: "0" },
      });
    },
    legalPdf: (number) => `kingdee-standin pdf ${number}`,
    acknowledgement: { message: "回调成功", errorCode: "0", success: true },
    callbackPath: "/channels/kingdee/callback",
    booked: async (blueSerial, on) => standin.setBooked(blueSerial, on),
    answerRed: async (redSerial, agree) => standin.confirmRed(redSerial, agree),
    redApplications: async () =>
      standin.state().invoices.filter((i) => (i as Record<string, unknown> | null)?.invoiceProperty === "1")
        .length,
    rateLimited: async (on) => {
      standin.scenario({ rateLimit: on ? { perSecond: 0, answer: "code" } : null });
    },
    businessCalls: async () => standin.counters().openApi,
    // ALLE.INVOICE.RED names only the blue invoice (CHANNELS.md §2.4): whole reversals only.
    partialRed: false,
    signingVectors: kingdeeVectorsAsEncoded,
  };
});
