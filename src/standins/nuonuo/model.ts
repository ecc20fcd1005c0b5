/** The 诺诺 stand-in's app, scenario and records: its state's shapes, defaults and answer helpers. */
import type { StandinClock } from "../clock";
import type { Taking } from "./red-detail";

export const GUESSED = {
  badToken: "070302",
  badQuery: "070602",
  duplicateBill: "E9106",
  refreshLimited: "E9620",
  rateLimited: "E9999",
  sessionRefused: "E9701",
  blueNotFound: "E9500",
  /** A form the blue invoice cannot take: reversed in full, or more of a line than remains. */
  redNotReversible: "E9103",
} as const;

export interface NuonuoApp {
  appKey: string;
  appSecret: string;
  /** `self`: 自用型应用 (client_credentials); `isv`: 第三方应用 (authorization_code; userTax header required). */
  type?: "self" | "isv";
}

/** Scenario controls: `POST /__standin/scenario` with any of these (merged into the current one). */
export interface NuonuoScenario {
  /** How long 20 (开票中) lasts before the final state, on the stand-in clock. */
  pendingMs: number;
  /** The next accepted orders fail (22) with this cause. */
  fail: string | null;
  /** The next accepted orders end in 24 (签章失败) until reInvoice. */
  sealFail: boolean;
  /** After acceptance, queries answer E9500 for this long. */
  unknownAfterSubmitMs: number;
  /** The next N business calls (of `method`, if given) are done, and their answer is dropped. */
  dropResponse: { count: number; method?: string } | null;
  /** The next N business calls answer HTTP 502 (nothing done). */
  http5xx: number;
  /** The next N business calls answer a non-JSON page. */
  malformed: number;
  /** Every business answer is delayed this long (wall time). */
  slowMs: number;
  /** TTL of new tokens, seconds, or "permanent". */
  tokenTtl: number | "permanent";
  /** The 数电 session at 诺诺. */
  session: "ok" | "loggedOut" | "needsFaceAuth";
  /** How a bad session shows on issuing [G]: accepted then 22 with a cause, or refused at once. */
  sessionMode: "fail22" | "refuse";
  /** Throttling [G]: the next N calls (of `method`, if given) answer 429 or E9999. */
  rateLimit: { count: number; method?: string; mode: "429" | "code" } | null;
  /** A red form for a blue invoice not yet booked by the buyer needs no confirmation (01), else 02. */
  redBooked: boolean;
  /** How long a 红字确认单 stays 15 (申请中). */
  redApplyMs: number;
  /** 授信额度 total (tax-exclusive, a decimal string); each issued invoice uses its amount. */
  creditTotal: string;
}

export const DEFAULT_SCENARIO: NuonuoScenario = {
  pendingMs: 3000,
  fail: null,
  sealFail: false,
  unknownAfterSubmitMs: 0,
  dropResponse: null,
  http5xx: 0,
  malformed: 0,
  slowMs: 0,
  tokenTtl: 86400,
  session: "ok",
  sessionMode: "fail22",
  rateLimit: null,
  redBooked: false,
  redApplyMs: 1000,
  creditTotal: "1000000.00",
};

export interface Issued {
  serialNo: string;
  orderNo: string;
  taxNum: string;
  order: Record<string, unknown>;
  acceptedAt: number;
  pendingMs: number;
  final: "2" | "22" | "24";
  failCause: string;
  number?: string;
  invoiceTime?: number;
  retries: Map<string, number>;
  callBackUrl?: string;
  notified?: string;
  redOf?: string;
  excluded: string;
}

export interface Bill {
  billId: string;
  billNo: string;
  billUuid: string;
  taxNum: string;
  createdAt: number;
  status: string;
  statusSince: number;
  message: string;
  blueNumber: string;
  orderNo: string;
  redReason: string;
  redSerial?: string;
  request: Record<string, unknown>;
  /** What the form takes of each blue line (by blueDetailIndex), positive: all of it when full. */
  taken: Map<number, Taking>;
  /** A partial form's detail (the red invoice's lines); absent for a full one. */
  detail?: Array<Record<string, unknown>>;
}

export type Answer = { code: string; describe: string; result?: unknown };

export const ok = (result?: unknown, describe = "成功"): Answer => ({ code: "E0000", describe, result });
export const err = (code: string, describe: string): Answer => ({ code, describe });

export interface NuonuoStandinOptions {
  port?: number;
  host?: string;
  clock?: StandinClock;
  apps?: NuonuoApp[];
  /** Seller tax numbers registered at 诺诺; any when absent. */
  sellers?: string[];
}

export const DEFAULT_APP: NuonuoApp = { appKey: "standin-app", appSecret: "standin-secret", type: "self" };
