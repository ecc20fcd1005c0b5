/** The kingdee stand-in's tenant, scenario and records: its state's shapes and defaults (server.ts serves them). */
import type { Encryption } from "./protocol";

export interface KingdeeStandinTenant {
  appId: string;
  appSecret: string;
  accountId: string;
  user: string;
  userType: "UserName" | "Mobile";
  encryption: Encryption;
  aesPassword: string;
  /** businessSystemCode → the callback URL Kingdee posts 2.1.02 results to (or null for none). */
  businessSystems: Record<string, string | null>;
}

export interface KingdeeScenario {
  /** How long an accepted invoice stays 开票中 (default 3 s of stand-in time). */
  pendingMs: number;
  /** The next accepted OPEN fails at the bureau (its query then answers the failure). */
  failNext: { message: string } | null;
  /** The next accepted OPEN gets a number but its seal fails for this long (status "4", then issued). */
  sealFailNextMs: number;
  /** The next OPEN is refused at once with this code and message. */
  rejectNext: { code: string; message: string } | null;
  /** The next n queries fail with this code and message (an error nobody documented, say). */
  queryErrors: { count: number; code: string; message: string } | null;
  /** Risk control (风控): every OPEN refused with 30001. */
  risk: boolean;
  /** The next n openApi calls are carried out, then the connection is cut before the answer. */
  dropResponses: number;
  /** The next n openApi calls answer HTTP 502 without doing anything. */
  http5xx: number;
  /** The next n openApi calls answer a body that is not JSON (after doing nothing). */
  malformed: number;
  /** Every openApi answer waits this long (real time). */
  slowMs: number;
  /** The 电子税局 session of the tax numbers. */
  session: "online" | "loggedOut" | "needsFaceAuth";
  /** At most this many openApi calls per stand-in second, then HTTP 429 or the rate-limit code. */
  rateLimit: { perSecond: number; answer: "http429" | "code" } | null;
  /** Whether new blue invoices count as booked (入账) by the buyer: then a red needs the buyer's 确认单. */
  blueBooked: boolean;
  /** How many times each callback is sent (2 = one duplicate). */
  callbackCopies: number;
  /**
   * Re-sends of a callback whose reply is not `{"errorCode":"0","success":true}` (Kingdee's retry
   * policy is not public; here retries follow at once, so tests need no timers).
   */
  callbackRetries: number;
  /** The 授信额度 reported by ALLE.ACCOUNT.CHECK, decreasing with each issued amount. */
  creditLimit: string;
}

export interface InvoiceRecord {
  serialNo: string;
  kind: "blue" | "red";
  businessSystemCode: string;
  sellerTaxId: string;
  request: Record<string, unknown>;
  acceptedAt: number;
  readyAt: number;
  fail: { message: string } | null;
  sealFailUntil: number;
  number: string | null;
  issuedAt: number | null;
  booked: boolean;
  /** Red: the blue invoice's serial; 确认单 state and when it changed. */
  blueSerial?: string;
  confirm?: string;
  confirmNo?: string;
  reversedBy?: string;
  callbacksSent: number;
  /** Test control: the invoiceStatus the query answers, whatever the state (an unknown code, say). */
  statusOverride?: string;
}

export interface KingdeeStandinOptions {
  port?: number;
  host?: string;
  /** Default "/demo". */
  tenantPath?: string;
  /** ms epoch; default Date.now. `control.advance(ms)` moves the stand-in's time further. */
  now?: () => number;
  tenant?: Partial<KingdeeStandinTenant>;
  scenario?: Partial<KingdeeScenario>;
  accessTokenTtlMs?: number;
  appTokenTtlMs?: number;
  /**
   * For demos (`piaoma standin kingdee`): deliver due callbacks by themselves every this many ms of
   * real time. Off by default: tests call `deliverCallbacks()` when they mean to.
   */
  autoCallbacksEveryMs?: number;
}

export interface KingdeeStandinLogEntry {
  path: string;
  interfaceCode?: string;
  tokenPlace?: "query" | "header";
  answer: string;
}

export const DEFAULT_TENANT: KingdeeStandinTenant = {
  appId: "piaoma-demo-app",
  appSecret: "piaoma-demo-secret",
  accountId: "1000000000000000",
  user: "13800000000",
  userType: "Mobile",
  encryption: "base64",
  aesPassword: "piaoma-demo-aes",
  businessSystems: { PIAOMA: null },
};

export const DEFAULT_SCENARIO: KingdeeScenario = {
  pendingMs: 3000,
  failNext: null,
  sealFailNextMs: 0,
  rejectNext: null,
  queryErrors: null,
  risk: false,
  dropResponses: 0,
  http5xx: 0,
  malformed: 0,
  slowMs: 0,
  session: "online",
  rateLimit: null,
  blueBooked: false,
  callbackCopies: 1,
  callbackRetries: 2,
  creditLimit: "1000000.00",
};

export const HOUR = 3600_000;
export const RED_CONFIRM_TTL_MS = 72 * HOUR;

export function chinaTime(ms: number): string {
  const d = new Date(ms + 8 * HOUR);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}
