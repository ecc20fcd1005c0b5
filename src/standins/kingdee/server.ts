/**
 * "kingdee-standin": a local 金蝶发票云旗舰版 tenant (CHANNELS.md §7.5) for tests and demos. It checks
 * what the real one checks — app token, login, access token (2 h), the `sim/openApi` envelope, the
 * tenant's BASE64 or AES-GCM codec, the invoice's fields — and answers 开票中 first, the number
 * later. Time is the stand-in's clock (`now`, moved further by `advance`), so tests are deterministic:
 * nothing happens by a timer except the `slowMs` scenario.
 *
 * Paths (under the tenant prefix, default `/demo`, to catch base-URL mistakes):
 *   POST {prefix}/api/getAppToken.do, {prefix}/api/login.do, {prefix}/kapi/app/sim/openApi
 *   GET  {prefix}/files/{serialNo}.pdf|ofd|xml     — the invoice's files
 * Test controls (no prefix): GET /__standin/state, POST /__standin/{scenario, advance, expire-tokens,
 *   confirm-red, booked, deliver-callbacks, forge-callback, reset-log} — the same as the `control` API.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  chinaTime,
  DEFAULT_SCENARIO,
  DEFAULT_TENANT,
  HOUR,
  type InvoiceRecord,
  type KingdeeScenario,
  type KingdeeStandinLogEntry,
  type KingdeeStandinOptions,
  type KingdeeStandinTenant,
  RED_CONFIRM_TTL_MS,
} from "./model";
import { CODES, decodeData, encodeData, INVOICE_STATUS } from "./protocol";
import { validateOpen } from "./validate";

export type {
  KingdeeScenario,
  KingdeeStandinLogEntry,
  KingdeeStandinOptions,
  KingdeeStandinTenant,
} from "./model";

export async function startKingdeeStandin(options: KingdeeStandinOptions = {}) {
  const prefix = (options.tenantPath ?? "/demo").replace(/\/+$/, "");
  const tenant: KingdeeStandinTenant = { ...DEFAULT_TENANT, ...options.tenant };
  const scenario: KingdeeScenario = { ...DEFAULT_SCENARIO, ...options.scenario };
  const baseNow = options.now ?? Date.now;
  let offset = 0;
  const now = () => baseNow() + offset;
  const accessTtl = options.accessTokenTtlMs ?? 2 * HOUR;
  const appTtl = options.appTokenTtlMs ?? 2 * HOUR;

  const appTokens = new Map<string, number>();
  const accessTokens = new Map<string, number>();
  const invoices = new Map<string, InvoiceRecord>();
  const log: KingdeeStandinLogEntry[] = [];
  const counters = { appToken: 0, login: 0, openApi: 0 };
  let tokenSeq = 0;
  let numberSeq = 0;
  let confirmSeq = 0;
  let issuedTotal = "0";
  const rate = { second: -1, count: 0 };
  let url = "";

  const newToken = (kind: string) =>
    `${kind}-${(++tokenSeq).toString(36).padStart(6, "0")}-${now().toString(36)}`;

  // ---- invoice state -------------------------------------------------------------------------
  /** Brings a record up to the stand-in's present: numbers allocated in the order they are looked at. */
  function settle(r: InvoiceRecord): void {
    const t = now();
    if (r.fail || r.number) return;
    if (r.kind === "red") {
      if (r.confirm === "02" && t >= r.acceptedAt + RED_CONFIRM_TTL_MS) r.confirm = "07";
      if (r.confirm !== "01" && r.confirm !== "04") return;
    }
    if (t < r.readyAt) return;
    numberSeq += 1;
    const year = String(new Date(r.readyAt + 8 * HOUR).getUTCFullYear()).slice(2);
    r.number = `${year}447${String(numberSeq).padStart(15, "0")}`;
    r.issuedAt = r.readyAt;
    if (r.kind === "red" && r.blueSerial) {
      const blue = invoices.get(r.blueSerial);
      if (blue) blue.reversedBy = r.serialNo;
    } else {
      const total = r.request.totalAmount;
      if (total !== undefined) issuedTotal = (Number(issuedTotal) + Number(total)).toFixed(2);
    }
  }

  function invoiceStatus(r: InvoiceRecord): string {
    if (r.statusOverride) return r.statusOverride;
    if (!r.number) return INVOICE_STATUS.pending;
    if (r.sealFailUntil > now()) return INVOICE_STATUS.sealFailed;
    if (r.reversedBy && invoices.get(r.reversedBy)?.number) return INVOICE_STATUS.reversed;
    return INVOICE_STATUS.issued;
  }

  function fileUrl(serialNo: string, ext: string): string {
    return `${url}${prefix}/files/${encodeURIComponent(serialNo)}.${ext}`;
  }

  /** The invoice as ALLE.INVOICE.QUERY and the 2.1.02 callback show it. */
  function view(
    r: InvoiceRecord,
  ): Record<string, unknown> & { serialNo: string; invoiceNum: string; invoiceStatus: string } {
    settle(r);
    const status = invoiceStatus(r);
    const done = status === INVOICE_STATUS.issued || status === INVOICE_STATUS.reversed;
    const q = r.request;
    return {
      serialNo: r.serialNo,
      sellerTaxpayerId: r.sellerTaxId,
      sellerName: q.sellerName,
      buyerName: q.buyerName,
      buyerTaxpayerId: q.buyerTaxpayerId,
      invoiceType: q.invoiceType,
      invoiceProperty: r.kind === "red" ? "1" : "0",
      invoiceStatus: status,
      invoiceNum: r.number ?? "",
      invoiceDate: r.issuedAt === null ? "" : chinaTime(r.issuedAt),
      totalAmount: q.totalAmount,
      drawer: q.drawer,
      invoiceFileUrl: done ? fileUrl(r.serialNo, "pdf") : "",
      ofdFileUrl: done ? fileUrl(r.serialNo, "ofd") : "",
      xmlFileUrl: done ? fileUrl(r.serialNo, "xml") : "",
      invoiceDetail: q.invoiceDetail,
      ...(r.kind === "red"
        ? {
            originalInvoiceNumber: q.invoiceNum,
            redInfoBillNo: r.confirmNo,
            redConfirmBillStatus: r.confirm,
          }
        : {}),
    };
  }

  // ---- HTTP ----------------------------------------------------------------------------------
  type Answer = { status?: number; body: unknown; drop?: boolean; headers?: Record<string, string> };

  const fail = (errorCode: string, message: string): Answer => ({
    body: { success: false, errorCode, message, data: null },
  });
  const ok = (data: unknown): Answer => ({
    body: { success: true, errorCode: CODES.ok, message: "操作成功", data },
  });
  const encoded = (value: unknown) =>
    encodeData(JSON.stringify(value), tenant.encryption, tenant.aesPassword);

  function authAnswer(data: Record<string, unknown>): Answer {
    return { body: { data, state: data.success ? "success" : "fail", status: data.success === true } };
  }

  function getAppToken(body: Record<string, unknown>): Answer {
    counters.appToken += 1;
    if (
      body.appId !== tenant.appId ||
      body.appSecret !== tenant.appSecret ||
      body.accountId !== tenant.accountId
    )
      return authAnswer({
        success: false,
        error_code: "1",
        error_desc: "appId、appSecret 或 accountId 不正确",
        app_token: "",
      });
    const token = newToken("APP");
    const expire = now() + appTtl;
    appTokens.set(token, expire);
    return authAnswer({
      success: true,
      error_code: "0",
      error_desc: "",
      app_token: token,
      expire_time: expire,
    });
  }

  function login(body: Record<string, unknown>): Answer {
    counters.login += 1;
    const appExpiry = appTokens.get(String(body.apptoken ?? ""));
    if (appExpiry === undefined || appExpiry <= now())
      return authAnswer({ success: false, error_code: "2", error_desc: "apptoken 无效或已过期" });
    if (body.accountId !== tenant.accountId)
      return authAnswer({ success: false, error_code: "3", error_desc: "accountId 不正确" });
    if (body.usertype !== "UserName" && body.usertype !== "Mobile")
      return authAnswer({ success: false, error_code: "4", error_desc: "usertype 应为 UserName 或 Mobile" });
    if (body.user !== tenant.user || body.usertype !== tenant.userType)
      return authAnswer({ success: false, error_code: "5", error_desc: "用户不存在" });
    const token = newToken("AT");
    const expire = now() + accessTtl;
    accessTokens.set(token, expire);
    return authAnswer({
      success: true,
      error_code: "0",
      error_desc: "",
      access_token: token,
      expire_time: expire,
    });
  }

  function rateLimited(): boolean {
    if (!scenario.rateLimit) return false;
    const second = Math.floor(now() / 1000);
    if (second !== rate.second) {
      rate.second = second;
      rate.count = 0;
    }
    rate.count += 1;
    return rate.count > scenario.rateLimit.perSecond;
  }

  function openApi(
    req: IncomingMessage,
    search: URLSearchParams,
    raw: string,
    entry: KingdeeStandinLogEntry,
  ): Answer {
    counters.openApi += 1;
    if (rateLimited()) {
      return scenario.rateLimit!.answer === "http429"
        ? {
            status: 429,
            body: { success: false, errorCode: "429", message: "请求过于频繁" },
            headers: { "retry-after": "1" },
          }
        : fail(CODES.rateLimited, "请求过于频繁，请稍后再试");
    }
    if (scenario.http5xx > 0) {
      scenario.http5xx -= 1;
      return { status: 502, body: "Bad Gateway" };
    }
    if (scenario.malformed > 0) {
      scenario.malformed -= 1;
      return { body: "<html>网关错误</html>" };
    }
    let envelope: Record<string, unknown>;
    try {
      envelope = JSON.parse(raw) as Record<string, unknown>;
      if (!envelope || typeof envelope !== "object") throw new Error();
    } catch {
      return fail(CODES.badRequest, "请求体不是 JSON");
    }
    const queryToken = search.get("access_token");
    const headerToken = req.headers.access_token;
    const token = queryToken ?? (typeof headerToken === "string" ? headerToken : null);
    entry.tokenPlace = queryToken ? "query" : headerToken ? "header" : undefined;
    const expiry = token ? accessTokens.get(token) : undefined;
    if (expiry === undefined || expiry <= now()) return fail(CODES.tokenInvalid, "access_token 无效或已过期");
    const interfaceCode = String(envelope.interfaceCode ?? "");
    entry.interfaceCode = interfaceCode;
    if (!/^\d{16}$/.test(String(envelope.requestId ?? "")))
      return fail(CODES.badRequest, "requestId 应为16位数字");
    const system = String(envelope.businessSystemCode ?? "");
    if (!(system in tenant.businessSystems))
      return fail(CODES.unknownSystem, `业务系统编码 ${system} 未登记`);
    const handler = INTERFACES[interfaceCode];
    if (!handler) return fail(CODES.badRequest, `接口 ${interfaceCode} 不存在`);
    const text = decodeData(envelope.data, tenant.encryption, tenant.aesPassword);
    if (text === null) return fail(CODES.codec, "data 解密失败，请检查加密策略");
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(text) as Record<string, unknown>;
      if (!data || typeof data !== "object" || Array.isArray(data)) throw new Error();
    } catch {
      return fail(CODES.badRequest, "data 解码后不是 JSON 对象");
    }
    const answer = handler(data, system);
    if (scenario.dropResponses > 0) {
      scenario.dropResponses -= 1;
      return { ...answer, drop: true };
    }
    return answer;
  }

  function sessionProblem(): Answer | null {
    if (scenario.session === "loggedOut") return fail(CODES.loggedOut, "电子税局账号未登录，请先登录");
    if (scenario.session === "needsFaceAuth")
      return fail(CODES.faceAuth, "电子税局要求实人认证，请完成刷脸认证");
    return null;
  }

  const INTERFACES: Record<string, (data: Record<string, unknown>, system: string) => Answer> = {
    "ALLE.INVOICE.OPEN"(data, system) {
      const serialNo = String(data.serialNo ?? "");
      if (serialNo && invoices.has(serialNo)) return fail(CODES.duplicate, `流水号 ${serialNo} 重复`);
      const session = sessionProblem();
      if (session) return session;
      if (scenario.risk) return fail(CODES.risk, "该纳税人存在风险，暂停开票");
      if (scenario.rejectNext) {
        const r = scenario.rejectNext;
        scenario.rejectNext = null;
        return fail(r.code, r.message);
      }
      const problem = validateOpen(data);
      if (problem) return fail(CODES.invalidInvoice, problem);
      const t = now();
      invoices.set(serialNo, {
        serialNo,
        kind: "blue",
        businessSystemCode: system,
        sellerTaxId: String(data.sellerTaxpayerId),
        request: data,
        acceptedAt: t,
        readyAt: t + scenario.pendingMs,
        fail: scenario.failNext,
        sealFailUntil: scenario.sealFailNextMs > 0 ? t + scenario.pendingMs + scenario.sealFailNextMs : 0,
        number: null,
        issuedAt: null,
        booked: scenario.blueBooked,
        callbacksSent: 0,
      });
      scenario.failNext = null;
      scenario.sealFailNextMs = 0;
      // The vendor example answers the serial in plain text although the schema says "encrypted".
      return ok(serialNo);
    },

    "ALLE.INVOICE.QUERY"(data) {
      const injected = scenario.queryErrors;
      if (injected && injected.count > 0) {
        injected.count -= 1;
        return fail(injected.code, injected.message);
      }
      const r = invoices.get(String(data.serialNo ?? ""));
      if (!r || r.sellerTaxId !== String(data.sellerTaxpayerId ?? ""))
        return fail(CODES.notFound, "未查询到该流水号的发票");
      if (r.fail) return fail(CODES.issueFailed, `开票失败：${r.fail.message}`);
      return ok(encoded(view(r)));
    },

    "ALLE.INVOICE.RED"(data, system) {
      const serialNo = String(data.serialNo ?? "");
      if (!serialNo || serialNo.length > 50)
        return fail(CODES.invalidInvoice, "serialNo 不能为空且不能超过50位");
      if (invoices.has(serialNo)) return fail(CODES.duplicate, `流水号 ${serialNo} 重复`);
      const session = sessionProblem();
      if (session) return session;
      if (!/^0[1-4]$/.test(String(data.redReason ?? "")))
        return fail(CODES.invalidInvoice, "redReason 应为 01–04");
      const blue = [...invoices.values()].find(
        (b) => b.kind === "blue" && b.number === data.invoiceNum && b.sellerTaxId === data.sellerTaxpayerId,
      );
      if (!blue) return fail(CODES.blueNotFound, "蓝字发票不存在或尚未开具");
      if (blue.reversedBy) {
        const red = invoices.get(blue.reversedBy);
        if (red && !["05", "06", "07", "08"].includes(red.confirm ?? ""))
          return fail(CODES.blueTaken, "该发票已红冲或有进行中的红字确认单");
      }
      const t = now();
      const red: InvoiceRecord = {
        serialNo,
        kind: "red",
        businessSystemCode: system,
        sellerTaxId: blue.sellerTaxId,
        request: {
          ...blue.request,
          serialNo,
          invoiceNum: blue.number,
          redReason: data.redReason,
          totalAmount:
            typeof blue.request.totalAmount === "number"
              ? -blue.request.totalAmount
              : blue.request.totalAmount,
        },
        acceptedAt: t,
        readyAt: t + scenario.pendingMs,
        fail: null,
        sealFailUntil: 0,
        number: null,
        issuedAt: null,
        booked: false,
        blueSerial: blue.serialNo,
        confirm: blue.booked ? "02" : "01",
        confirmNo: `${String(new Date(t).getUTCFullYear())}44${String(++confirmSeq).padStart(14, "0")}`,
        callbacksSent: 0,
      };
      invoices.set(serialNo, red);
      blue.reversedBy = serialNo;
      return ok(serialNo);
    },

    "ALLE.BATCH.QUERY"(data) {
      const pageNo = Number(data.pageNo ?? 0);
      const pageSize = Math.min(Math.max(Number(data.pageSize ?? 20), 1), 100);
      const all = [...invoices.values()]
        .filter(
          (r) =>
            r.sellerTaxId === data.sellerTaxpayerId &&
            (!data.invoiceType || r.request.invoiceType === data.invoiceType),
        )
        .map(view)
        .filter((v) => v.invoiceNum);
      return ok(
        encoded({
          total: all.length,
          pageNo,
          pageSize,
          list: all.slice(pageNo * pageSize, (pageNo + 1) * pageSize),
        }),
      );
    },

    "ALLE.ACCOUNT.CHECK"(data) {
      return ok(
        encoded({
          taxno: data.taxno,
          loginStatus: scenario.session === "loggedOut" ? "0" : "1",
          authStatus: scenario.session === "needsFaceAuth" ? "0" : "1",
          creditLimit: (Number(scenario.creditLimit) - Number(issuedTotal)).toFixed(2),
        }),
      );
    },
  };

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 5_000_000) throw new Error("body too large");
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString("utf8");
  }

  function send(res: ServerResponse, answer: Answer): void {
    if (res.destroyed) return;
    const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
    res.writeHead(answer.status ?? 200, {
      "content-type": "application/json; charset=UTF-8",
      ...answer.headers,
    });
    res.end(text);
  }

  function jsonBody(raw: string): Record<string, unknown> {
    try {
      const v = JSON.parse(raw || "{}");
      return v && typeof v === "object" ? (v as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      send(res, { status: 500, body: { success: false, errorCode: "500", message: String(e) } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = new URL(req.url ?? "/", "http://standin");
    const path = target.pathname;
    if (path.startsWith("/__standin/")) return controlRoute(req, res, path.slice("/__standin/".length));
    if (req.method === "GET" && path.startsWith(`${prefix}/files/`)) {
      const m = /^(.+)\.(pdf|ofd|xml)$/.exec(decodeURIComponent(path.slice(`${prefix}/files/`.length)));
      const r = m ? invoices.get(m[1]!) : undefined;
      if (!m || !r?.number) return send(res, { status: 404, body: { message: "not found" } });
      res.writeHead(200, { "content-type": m[2] === "xml" ? "application/xml" : `application/${m[2]}` });
      res.end(`kingdee-standin ${m[2]} ${r.number}`);
      return;
    }
    if (req.method !== "POST") return send(res, { status: 405, body: { message: "method not allowed" } });
    const raw = await readBody(req);
    const entry: KingdeeStandinLogEntry = { path, answer: "" };
    let answer: Answer;
    if (path === `${prefix}/api/getAppToken.do`) answer = getAppToken(jsonBody(raw));
    else if (path === `${prefix}/api/login.do`) answer = login(jsonBody(raw));
    else if (path === `${prefix}/kapi/app/sim/openApi`)
      answer = openApi(req, target.searchParams, raw, entry);
    else answer = { status: 404, body: { message: `no such path: ${path}` } };
    const b = answer.body as Record<string, unknown> | string;
    entry.answer =
      typeof b === "string"
        ? `HTTP ${answer.status ?? 200}`
        : `${answer.status ?? 200} ${String(b.errorCode ?? (b.data as Record<string, unknown> | undefined)?.error_code ?? "")}`;
    log.push(entry);
    if (scenario.slowMs > 0) await new Promise((r) => setTimeout(r, scenario.slowMs));
    if (answer.drop) {
      entry.answer += " (dropped)";
      req.socket.destroy();
      return;
    }
    send(res, answer);
  }

  // ---- callbacks -----------------------------------------------------------------------------
  async function post(target: string, body: unknown): Promise<unknown> {
    try {
      const response = await fetch(target, {
        method: "POST",
        headers: { "content-type": "application/json; charset=UTF-8" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    } catch (e) {
      return { error: String(e) };
    }
  }

  function acknowledged(reply: unknown): boolean {
    const r = reply as Record<string, unknown> | null;
    return !!r && typeof r === "object" && r.success === true && String(r.errorCode) === "0";
  }

  function callbackBody(r: InvoiceRecord): Record<string, unknown> {
    const v = view(r);
    const failed = r.fail !== null || (r.kind === "red" && !["01", "04"].includes(r.confirm ?? ""));
    return {
      returnMsg: failed ? (r.fail?.message ?? `红字确认单状态 ${r.confirm}`) : "success",
      returnCode: failed ? "9999" : "0",
      interfaceCode: r.kind === "red" ? "INVOICE.RED" : "INVOICE.OPEN",
      data: encoded(v),
    };
  }

  function isFinal(r: InvoiceRecord): boolean {
    settle(r);
    if (r.fail) return true;
    if (r.kind === "red" && ["05", "06", "07", "08", "09", "10"].includes(r.confirm ?? "")) return true;
    return r.number !== null && invoiceStatus(r) !== INVOICE_STATUS.sealFailed;
  }

  const control = {
    /** The stand-in's base URL including the tenant prefix: the adapter's `baseUrl`. */
    get baseUrl() {
      return `${url}${prefix}`;
    },
    now,
    advance(ms: number) {
      offset += ms;
    },
    scenario(patch: Partial<KingdeeScenario>) {
      Object.assign(scenario, patch);
      return { ...scenario };
    },
    /** Every access and app token expires now. */
    expireTokens() {
      for (const k of accessTokens.keys()) accessTokens.set(k, 0);
      for (const k of appTokens.keys()) appTokens.set(k, 0);
    },
    /** The buyer (or the other party) answers a red 确认单 that waits (02): agree → 04 (red issued), refuse → 05. */
    confirmRed(serialNo: string, agree: boolean) {
      const r = invoices.get(serialNo);
      if (r?.kind !== "red" || r.confirm !== "02") throw new Error(`no red 确认单 waiting for ${serialNo}`);
      settle(r);
      if (r.confirm !== "02") throw new Error(`确认单 ${serialNo} is ${r.confirm}`);
      r.confirm = agree ? "04" : "05";
      if (agree) r.readyAt = now() + scenario.pendingMs;
    },
    /** Makes the query answer this `invoiceStatus` for a serial (e.g. a code nobody knows); null undoes it. */
    overrideStatus(serialNo: string, status: string | null) {
      const r = invoices.get(serialNo);
      if (!r) throw new Error(`no invoice ${serialNo}`);
      r.statusOverride = status ?? undefined;
    },
    /** Whether the buyer has booked a blue invoice (decides whether its red needs a 确认单). */
    setBooked(serialNo: string, booked: boolean) {
      const r = invoices.get(serialNo);
      if (!r) throw new Error(`no invoice ${serialNo}`);
      r.booked = booked;
    },
    /** Posts 2.1.02 callbacks for invoices that reached a final state and were not called back yet. */
    async deliverCallbacks(): Promise<Array<{ serialNo: string; replies: unknown[] }>> {
      const out: Array<{ serialNo: string; replies: unknown[] }> = [];
      for (const r of invoices.values()) {
        const target = tenant.businessSystems[r.businessSystemCode];
        if (!target || r.callbacksSent > 0 || !isFinal(r)) continue;
        const body = callbackBody(r);
        const replies: unknown[] = [];
        for (let i = 0; i < Math.max(1, scenario.callbackCopies); i++) {
          for (let attempt = 0; attempt <= scenario.callbackRetries; attempt++) {
            const reply = await post(target, body);
            replies.push(reply);
            if (acknowledged(reply)) break;
          }
        }
        r.callbacksSent = replies.length;
        out.push({ serialNo: r.serialNo, replies });
      }
      return out;
    },
    /**
     * A forged callback to the URL of `businessSystemCode` (default: the first with a URL): `data`
     * is encoded with the tenant's codec unless `raw` is given as the exact `data` text.
     */
    async forgeCallback(input: {
      data?: Record<string, unknown>;
      raw?: string;
      interfaceCode?: string;
      businessSystemCode?: string;
    }) {
      const system =
        input.businessSystemCode ??
        Object.keys(tenant.businessSystems).find((k) => tenant.businessSystems[k]);
      const target = system ? tenant.businessSystems[system] : null;
      if (!target) throw new Error("no callback URL configured");
      return post(target, {
        returnMsg: "success",
        returnCode: "0",
        interfaceCode: input.interfaceCode ?? "INVOICE.OPEN",
        data: input.raw ?? encoded(input.data ?? {}),
      });
    },
    /** What the stand-in holds about a serial (for assertions), settled to now. */
    invoice(serialNo: string) {
      const r = invoices.get(serialNo);
      return r ? { ...view(r), failed: r.fail?.message ?? null, booked: r.booked, request: r.request } : null;
    },
    state() {
      return {
        baseUrl: `${url}${prefix}`,
        now: now(),
        counters: { ...counters },
        scenario: { ...scenario },
        invoices: [...invoices.keys()].map((k) => control.invoice(k)),
        log: [...log],
      };
    },
    counters: () => ({ ...counters }),
    log: () => [...log],
    resetLog() {
      log.length = 0;
      counters.appToken = 0;
      counters.login = 0;
      counters.openApi = 0;
    },
    /** The settings an adapter needs for this tenant (the `kingdee` tax-account settings). */
    adapterSettings(businessSystemCode = Object.keys(tenant.businessSystems)[0] ?? "PIAOMA") {
      return {
        baseUrl: `${url}${prefix}`,
        appId: tenant.appId,
        appSecret: tenant.appSecret,
        accountId: tenant.accountId,
        user: tenant.user,
        userType: tenant.userType,
        businessSystemCode,
        encryption: tenant.encryption,
        ...(tenant.encryption === "aes" ? { aesPassword: tenant.aesPassword } : {}),
      };
    },
    /** Points a businessSystemCode's callbacks at a URL. */
    setCallbackUrl(businessSystemCode: string, target: string | null) {
      tenant.businessSystems[businessSystemCode] = target;
    },
  };

  async function controlRoute(req: IncomingMessage, res: ServerResponse, action: string): Promise<void> {
    const body = req.method === "POST" ? jsonBody(await readBody(req)) : {};
    const reply = (value: unknown) => send(res, { body: value ?? { ok: true } });
    try {
      switch (action) {
        case "state":
          return reply(control.state());
        case "scenario":
          return reply(control.scenario(body as Partial<KingdeeScenario>));
        case "advance":
          control.advance(Number(body.ms ?? 0));
          return reply({ now: now() });
        case "expire-tokens":
          return reply(control.expireTokens());
        case "confirm-red":
          return reply(control.confirmRed(String(body.serialNo), body.agree !== false));
        case "booked":
          return reply(control.setBooked(String(body.serialNo), body.booked !== false));
        case "deliver-callbacks":
          return reply(await control.deliverCallbacks());
        case "forge-callback":
          return reply(await control.forgeCallback(body as Parameters<typeof control.forgeCallback>[0]));
        case "reset-log":
          return reply(control.resetLog());
        default:
          return send(res, { status: 404, body: { message: `no control ${action}` } });
      }
    } catch (e) {
      send(res, { status: 400, body: { message: (e as Error).message } });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  url = `http://${options.host ?? "127.0.0.1"}:${address.port}`;
  let delivering = false;
  const timer =
    options.autoCallbacksEveryMs && options.autoCallbacksEveryMs > 0
      ? setInterval(() => {
          if (delivering) return;
          delivering = true;
          control.deliverCallbacks().finally(() => {
            delivering = false;
          });
        }, options.autoCallbacksEveryMs)
      : null;
  timer?.unref();

  return {
    ...control,
    get baseUrl() {
      return `${url}${prefix}`;
    },
    port: address.port,
    /** Stops the server and cuts open connections. */
    /** What `piaoma standin kingdee` prints: where it listens and the settings to paste. */
    describe() {
      return {
        baseUrl: `${url}${prefix}`,
        controlUrl: `${url}/__standin/`,
        settings: control.adapterSettings(),
        callbackUrls: { ...tenant.businessSystems },
      };
    },
    async close() {
      if (timer) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type KingdeeStandin = Awaited<ReturnType<typeof startKingdeeStandin>>;
