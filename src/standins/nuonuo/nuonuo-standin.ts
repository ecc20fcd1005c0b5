import { createHmac, randomBytes } from "node:crypto";
import Decimal from "decimal.js";
import { sandboxInvoiceNumber } from "../../domain";
import { chinaTimeText, StandinClock } from "../clock";
import {
  type RunningStandin,
  type StandinDefinition,
  type StandinRequest,
  type StandinResponse,
  startStandin,
} from "../server";

/**
 * A local 诺诺 诺税通 SaaS (CHANNELS.md §7.4): the token endpoint (client_credentials with its 50
 * per 30 days quota), the signed gateway `/open/v1/services` (signature over the raw body, token,
 * senid / nonce format), requestBillingNew with the field rules of §1.5, queryInvoiceResult,
 * reInvoice, the 红字确认单 calls and their state machine (partial forms checked line by line against
 * what earlier forms left, red-detail.ts), the session / 实人认证 / credit-line calls,
 * result callbacks, and scenario controls under `/__standin/` (see `NuonuoScenario`). Codes the
 * real service does not document come from the adapter's mapping table (marked [G] there); the
 * stand-in answers the same so the two cannot drift silently — they are listed in `GUESSED`.
 */

import { type SentCallback, sendCallback } from "./callbacks";
import { checkLines, sumOf } from "./lines";
import {
  type Answer,
  type Bill,
  DEFAULT_APP,
  DEFAULT_SCENARIO,
  err,
  GUESSED,
  type Issued,
  type NuonuoScenario,
  type NuonuoStandinOptions,
  ok,
} from "./model";
import { blueLinesOf, checkRedDetail, redInvoiceDetail, takenBy, wholeOf } from "./red-detail";
import { createSessionCalls } from "./session";

export type { NuonuoApp, NuonuoScenario, NuonuoStandinOptions } from "./model";
export { DEFAULT_APP, GUESSED } from "./model";

/** 红字确认单 states in which a form no longer takes anything from its blue invoice. */
const VOID_BILL = ["05", "06", "07", "08", "09", "16"];

export function createNuonuoStandin(options: NuonuoStandinOptions = {}) {
  const clock = options.clock ?? new StandinClock("manual");
  const apps = new Map((options.apps ?? [DEFAULT_APP]).map((a) => [a.appKey, { type: "self", ...a }]));
  let scenario: NuonuoScenario = { ...DEFAULT_SCENARIO };
  let tokens = new Map<string, { appKey: string; expiresAt: number | null }>();
  let tokenCalls = new Map<string, number[]>();
  /** Every request to the token endpoint, refused ones too (what 诺诺 says must not be frequent). */
  let tokenRequests = 0;
  let issued = new Map<string, Issued>();
  let bySerial = new Map<string, Issued>();
  let byOrder = new Map<string, Issued[]>();
  // The orders a tick still has to look at (开票中, or a callback not sent yet), in the order they
  // were accepted (`accepted`), so that a tick costs what is open, not every order ever accepted.
  let open = new Set<Issued>();
  let accepted = new WeakMap<Issued, number>();
  let reopened = false;
  let bills = new Map<string, Bill>();
  let sequence = 0;
  let serialSeq = 0;
  let creditUsed = new Decimal(0);
  let calls: Array<{ method: string; code: string }> = [];
  let callbacks: SentCallback[] = [];
  let baseUrl = "";

  function reset(): void {
    scenario = { ...DEFAULT_SCENARIO };
    tokens = new Map();
    tokenCalls = new Map();
    tokenRequests = 0;
    issued = new Map();
    bySerial = new Map();
    byOrder = new Map();
    open = new Set();
    accepted = new WeakMap();
    reopened = false;
    bills = new Map();
    sequence = 0;
    serialSeq = 0;
    creditUsed = new Decimal(0);
    session.reset();
    calls = [];
    callbacks = [];
  }

  const now = () => clock.ms();
  const session = createSessionCalls({
    clock,
    session: () => scenario.session,
    setSession: (next) => {
      scenario = { ...scenario, session: next };
    },
    creditUsed: () => creditUsed,
    creditTotal: () => new Decimal(scenario.creditTotal),
    baseUrl: () => baseUrl,
  });

  /** A new order (blue, or the red one a 确认单 issues), indexed and watched by tick. */
  function remember(key: string, record: Issued): void {
    accepted.set(record, issued.size);
    issued.set(key, record);
    bySerial.set(record.serialNo, record);
    const same = byOrder.get(record.orderNo);
    if (same) same.push(record);
    else byOrder.set(record.orderNo, [record]);
    open.add(record);
  }

  /** The first order accepted with this number (any seller), as a scan of every order would find it. */
  const firstByOrder = (orderNo: string) => byOrder.get(orderNo)?.[0];

  // ---- token endpoint (§1.3) ----
  function tokenEndpoint(req: StandinRequest): StandinResponse {
    tokenRequests += 1;
    const type = String(req.headers["content-type"] ?? "");
    if (!type.startsWith("application/x-www-form-urlencoded"))
      return { json: { error: "070315", error_description: "Incorrect content-type" } };
    const form = new URLSearchParams(req.body.toString("utf8"));
    const app = apps.get(form.get("client_id") ?? "");
    if (!app) return { json: { error: "070304", error_description: "Incorrect clientId" } };
    if (form.get("client_secret") !== app.appSecret)
      return { json: { error: "070305", error_description: "Incorrect clientSecret" } };
    const grant = form.get("grant_type");
    if (grant !== "client_credentials" || app.type !== "self")
      return { json: { error: "070307", error_description: "Incorrect appType" } };
    const window = 30 * 24 * 3600_000;
    const recent = (tokenCalls.get(app.appKey) ?? []).filter((t) => t > now() - window);
    if (recent.length >= 50)
      return { json: { error: "070306", error_description: "The number of calls is limited" } };
    recent.push(now());
    tokenCalls.set(app.appKey, recent);
    const token = randomBytes(12).toString("hex").toUpperCase();
    const ttl = scenario.tokenTtl;
    tokens.set(token, { appKey: app.appKey, expiresAt: ttl === "permanent" ? null : now() + ttl * 1000 });
    // [G] How a permanent token's expires_in looks is unknown: the stand-in sends "0".
    return { json: { access_token: token, expires_in: ttl === "permanent" ? "0" : String(ttl) } };
  }

  // ---- gateway (§1.4) ----
  function gateway(req: StandinRequest): StandinResponse {
    const q = req.url.searchParams;
    const senid = q.get("senid") ?? "";
    const nonce = q.get("nonce") ?? "";
    const timestamp = q.get("timestamp") ?? "";
    const appKey = q.get("appkey") ?? "";
    const method = String(req.headers.method ?? "");
    const answer = (a: Answer): StandinResponse => {
      calls.push({ method, code: a.code });
      return { json: a };
    };
    if (!/^[0-9a-zA-Z]{32}$/.test(senid) || !/^[1-9]\d{7}$/.test(nonce) || !/^\d{10}$/.test(timestamp))
      return answer(err(GUESSED.badQuery, "senid、nonce 或 timestamp 格式不正确"));
    const app = apps.get(appKey);
    if (!app) return answer(err("070101", "获取app密钥失败或appkey无效"));
    const body = req.body.toString("utf8");
    const [p = "", l = "", a = ""] = req.url.pathname.split("/").filter(Boolean);
    const text = `a=${a}&l=${l}&p=${p}&k=${appKey}&i=${senid}&n=${nonce}&t=${timestamp}&f=${body}`;
    const expected = createHmac("sha1", app.appSecret).update(text, "utf8").digest("base64");
    if (req.headers["x-nuonuo-sign"] !== expected) return answer(err("070601", "签名不匹配"));
    const token = tokens.get(String(req.headers.accesstoken ?? ""));
    if (!token || token.appKey !== appKey || (token.expiresAt !== null && token.expiresAt <= now()))
      return answer(err(GUESSED.badToken, "accessToken 无效或已过期"));
    const userTax = String(req.headers.usertax ?? "");
    if (app.type === "isv" && !userTax) return answer(err("E9302", "身份认证与当前企业税号不相符"));
    if (scenario.http5xx > 0) {
      scenario.http5xx--;
      calls.push({ method, code: "HTTP_502" });
      return { status: 502, text: "<html>502 Bad Gateway</html>", contentType: "text/html" };
    }
    if (scenario.malformed > 0) {
      scenario.malformed--;
      calls.push({ method, code: "MALFORMED" });
      return { text: "<html>维护中</html>", contentType: "text/html" };
    }
    if (scenario.rateLimit && scenario.rateLimit.count > 0 && matches(scenario.rateLimit.method, method)) {
      scenario.rateLimit.count--;
      calls.push({ method, code: "RATE_LIMITED" });
      if (scenario.rateLimit.mode === "429") return { status: 429, text: "Too Many Requests" };
      return { json: err(GUESSED.rateLimited, "请求过于频繁") };
    }
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(body) as Record<string, unknown>;
      if (!payload || typeof payload !== "object") throw new Error("not an object");
    } catch {
      return answer(err("E4000", "接口调用失败：消息体不是 JSON 对象"));
    }
    const result = dispatch(method, payload, userTax);
    if (
      scenario.dropResponse &&
      scenario.dropResponse.count > 0 &&
      matches(scenario.dropResponse.method, method)
    ) {
      scenario.dropResponse.count--;
      calls.push({ method, code: `DROPPED_${result.code}` });
      return { drop: true };
    }
    return answer(result);
  }

  const matches = (wanted: string | undefined, method: string) =>
    !wanted || method === wanted || method.endsWith(`.${wanted}`);

  function dispatch(method: string, body: Record<string, unknown>, userTax: string): Answer {
    tick();
    switch (method) {
      case "nuonuo.OpeMplatform.requestBillingNew":
        return requestBillingNew(body, userTax);
      case "nuonuo.OpeMplatform.queryInvoiceResult":
        return queryInvoiceResult(body);
      case "nuonuo.OpeMplatform.reInvoice":
        return reInvoice(body);
      case "nuonuo.OpeMplatform.saveInvoiceRedConfirm":
        return saveInvoiceRedConfirm(body, userTax);
      case "nuonuo.OpeMplatform.queryInvoiceRedConfirm":
        return queryInvoiceRedConfirm(body);
      case "nuonuo.OpeMplatform.confirm":
        return confirmBill(body);
      case "nuonuo.OpeMplatform.confirmInfoCancel":
        return cancelBill(body);
      case "nuonuo.OpeMplatform.refreshInvoiceRedConfirm":
        return ok(null, "下载成功");
      case "nuonuo.OpeMplatform.fastInvoiceRed":
        return fastInvoiceRed(body);
      case "nuonuo.OpeMplatform.getCertificationStatus":
        return session.certificationStatus(body);
      case "nuonuo.OpeMplatform.getQrCode":
        return session.qrCode(body);
      case "nuonuo.OpeMplatform.verifyComplete":
        return session.verifyComplete(body);
      case "nuonuo.OpeMplatform.getCreditLine":
        return session.creditLine(body);
      default:
        return err("E4000", `接口调用失败：未知方法 ${method}`);
    }
  }

  // ---- requestBillingNew (§1.5) ----
  function requestBillingNew(body: Record<string, unknown>, userTax: string): Answer {
    const order = body.order as Record<string, unknown> | undefined;
    if (!order || typeof order !== "object") return err("E4000", "接口调用失败：缺少 order");
    for (const [key, value] of Object.entries(order)) {
      if (key === "invoiceDetail") continue;
      if (typeof value !== "string") return err("E4000", `接口调用失败：${key} 必须是字符串`);
    }
    const s = (k: string) => (order[k] as string | undefined) ?? "";
    for (const k of ["orderNo", "invoiceDate", "invoiceType", "salerTaxNum", "buyerName", "clerk"])
      if (!s(k)) return err("E4000", `接口调用失败：${k} 不能为空`);
    if (s("orderNo").length > 20) return err("E4000", "接口调用失败：orderNo 长度不能超过 20");
    if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(s("invoiceDate")))
      return err("E4000", "接口调用失败：invoiceDate 格式应为 yyyy-MM-dd HH:mm:ss");
    if (s("invoiceType") !== "1" && s("invoiceType") !== "2") return err("E9101", "发票类型只能为1或2");
    if (userTax && userTax !== s("salerTaxNum")) return err("E9302", "身份认证与当前企业税号不相符");
    if (options.sellers && !options.sellers.includes(s("salerTaxNum")))
      return err("E9301", "企业信息备案错误");
    if (s("email").length > 50) return err("E9104", "邮箱长度不能超过50");
    if (s("invoiceLine") === "bs" && !s("buyerTaxNum"))
      return err("E4000", "接口调用失败：专票购方税号不能为空");
    if (s("remark").length > 200) return err("E4000", "接口调用失败：备注不能超过200");
    // The buyer's and seller's details as §1.5 bounds them, the natural-person flag, the people.
    if ((s("buyerTel") + s("buyerAddress")).length > 100)
      return err("E4000", "接口调用失败：购方地址和电话合计不能超过100");
    for (const k of ["buyerAccount", "salerAccount", "buyerName"])
      if (s(k).length > 100) return err("E4000", `接口调用失败：${k} 不能超过100`);
    if (!["", "0", "1"].includes(s("naturalPersonFlag")))
      return err("E4000", "接口调用失败：naturalPersonFlag 只能是 0 或 1");
    if (s("naturalPersonFlag") === "1" && s("invoiceLine") !== "pc")
      return err("E4000", "接口调用失败：自然人标识仅适用于数电普票");
    for (const k of ["clerk", "payee", "checker"])
      if (s(k).length > 20) return err("E4000", `接口调用失败：${k} 不能超过20`);
    if (!["pc", "bs", "es", "ec"].includes(s("invoiceLine")))
      return err("E4000", "接口调用失败：数电发票须传 invoiceLine（pc、bs、es、ec）");
    const lines = order.invoiceDetail;
    if (!Array.isArray(lines) || lines.length === 0) return err("E9122", "商品详情为空");
    const lineProblem = checkLines(lines as Array<Record<string, unknown>>);
    if (lineProblem) return lineProblem;
    const key = `${s("salerTaxNum")}|${s("orderNo")}`;
    if (issued.has(key)) return err("E9106", "订单编号或流水号不能重复");
    if (scenario.session !== "ok" && scenario.sessionMode === "refuse")
      return err(GUESSED.sessionRefused, sessionCause());
    const serialNo = newSerial();
    let final: Issued["final"] = "2";
    let failCause = "";
    if (scenario.session !== "ok") {
      final = "22";
      failCause = sessionCause();
    } else if (scenario.fail) {
      final = "22";
      failCause = scenario.fail;
    } else if (scenario.sealFail) {
      final = "24";
      failCause = "签章失败";
    }
    const record: Issued = {
      serialNo,
      orderNo: s("orderNo"),
      taxNum: s("salerTaxNum"),
      order,
      acceptedAt: now(),
      pendingMs: scenario.pendingMs,
      final,
      failCause,
      retries: new Map(),
      excluded: sumOf(lines as Array<Record<string, unknown>>, "taxExcludedAmount"),
      ...(s("callBackUrl") ? { callBackUrl: s("callBackUrl") } : {}),
    };
    remember(key, record);
    return ok({ invoiceSerialNum: serialNo }, "开票提交成功");
  }

  const sessionCause = () => (scenario.session === "loggedOut" ? "请先登录电子税局" : "需实人认证");

  function newSerial(): string {
    serialSeq++;
    const d = chinaTimeText(clock.now()).replace(/\D/g, "").slice(2, 14);
    return `${d}${String(serialSeq).padStart(8, "0")}`;
  }

  function statusOf(r: Issued): string {
    return now() < r.acceptedAt + r.pendingMs ? "20" : r.final;
  }

  /** Gives a finished invoice its number (once) and sends its callback. */
  function finish(r: Issued): void {
    if (statusOf(r) === "2" && !r.number) {
      sequence++;
      r.invoiceTime = r.acceptedAt + r.pendingMs;
      r.number = sandboxInvoiceNumber({
        issuedAt: new Date(r.invoiceTime),
        sellerTaxId: r.taxNum,
        sequence,
      });
      creditUsed = creditUsed.plus(r.excluded);
    }
  }

  function tick(): void {
    if (reopened) {
      // An order started again (reInvoice) takes its place back among the open ones, so numbers are
      // still given in the order the orders were accepted.
      open = new Set([...open].sort((a, b) => accepted.get(a)! - accepted.get(b)!));
      reopened = false;
    }
    for (const r of open) {
      finish(r);
      const status = statusOf(r);
      if (status !== "20" && r.callBackUrl && r.notified !== `${status}|${r.acceptedAt}`) {
        r.notified = `${status}|${r.acceptedAt}`;
        void sendCallback(callbacks, r.callBackUrl, callbackForm(r));
      }
      // Final and told: nothing left for a tick to do, until reInvoice starts it again.
      if (status !== "20") open.delete(r);
    }
    for (const bill of bills.values()) advanceBill(bill);
  }

  function resultOf(r: Issued): Record<string, unknown> {
    finish(r);
    const status = statusOf(r);
    const files = r.number
      ? {
          pdfUrl: `${baseUrl}/files/${r.serialNo}.pdf`,
          ofdUrl: `${baseUrl}/files/${r.serialNo}.ofd`,
          xmlUrl: `${baseUrl}/files/${r.serialNo}.xml`,
        }
      : {};
    return {
      serialNo: r.serialNo,
      orderNo: r.orderNo,
      status,
      statusMsg: { "2": "开票完成（最终状态）", "20": "开票中", "22": "开票失败", "24": "开票成功签章失败" }[
        status
      ],
      failCause: status === "22" || status === "24" ? r.failCause : "",
      invoiceCode: "",
      invoiceNo: r.number && status === "2" ? r.number : "",
      allElectronicInvoiceNumber: r.number && status === "2" ? r.number : "",
      invoiceTime: r.invoiceTime ?? null,
      invoiceKind: r.order.invoiceLine === "bs" ? "电子发票(增值税专用发票)" : "电子发票(普通发票)",
      salerTaxNum: r.taxNum,
      payerName: r.order.buyerName,
      payerTaxNo: r.order.buyerTaxNum,
      exTaxAmount: r.excluded,
      clerk: r.order.clerk,
      remark: r.order.remark ?? "",
      naturalPersonFlag: r.order.naturalPersonFlag ?? "0",
      ...(r.redOf ? { invoiceType: "2", oldEleInvoiceNumber: r.redOf } : { invoiceType: "1" }),
      ...(status === "2" ? files : {}),
    };
  }

  function queryInvoiceResult(body: Record<string, unknown>): Answer {
    const serials = Array.isArray(body.serialNos) ? (body.serialNos as string[]) : [];
    const orders = Array.isArray(body.orderNos) ? (body.orderNos as string[]) : [];
    if (serials.length === 0 && orders.length === 0) return err("E9611", "流水号或订单号不能全为空");
    if (serials.length > 50 || orders.length > 50) return err("E4000", "接口调用失败：一次最多查询 50 张");
    const found: Issued[] = [];
    if (serials.length > 0) for (const s of serials) bySerial.get(s) && found.push(bySerial.get(s)!);
    else for (const o of orders) found.push(...(byOrder.get(o) ?? []));
    const visible = found.filter((r) => now() >= r.acceptedAt + scenario.unknownAfterSubmitMs);
    if (visible.length === 0) return err("E9500", "发票不存在");
    return ok(visible.map(resultOf), "查询成功");
  }

  function reInvoice(body: Record<string, unknown>): Answer {
    const serial = String(body.fpqqlsh ?? "");
    const orderNo = String(body.orderno ?? "");
    const r = serial ? bySerial.get(serial) : firstByOrder(orderNo);
    if (!r) return err("E9500", "发票不存在");
    const day = chinaTimeText(clock.now()).slice(0, 10);
    const count = (r.retries.get(day) ?? 0) + 1;
    if (count > 20) return err("E9613", "同一流水号(订单号)单日最多重试 20 次");
    r.retries.set(day, count);
    const status = statusOf(r);
    if (status === "2") return ok("", "发票已生成，无需再重试开票");
    if (status === "20") return ok("", "开票中（重试中），请耐心等待开票结果");
    // 22 / 24: start again under the same serial and orderNo.
    r.acceptedAt = now();
    r.pendingMs = scenario.pendingMs;
    r.final = scenario.session !== "ok" ? "22" : scenario.fail ? "22" : "2";
    r.failCause = scenario.session !== "ok" ? sessionCause() : (scenario.fail ?? "");
    scenario.sealFail = false;
    open.add(r);
    reopened = true;
    return ok("", "重试成功");
  }

  // ---- 红字确认单 (§1.8) ----
  function saveInvoiceRedConfirm(body: Record<string, unknown>, userTax: string): Answer {
    const s = (k: string) => (typeof body[k] === "string" ? (body[k] as string) : "");
    for (const k of ["blueInvoiceLine", "applySource", "sellerTaxNo", "sellerName", "buyerName", "redReason"])
      if (!s(k)) return err("E4000", `接口调用失败：${k} 不能为空`);
    if (userTax && userTax !== s("sellerTaxNo")) return err("E9302", "身份认证与当前企业税号不相符");
    if (!["1", "2", "3", "4"].includes(s("redReason")))
      return err("E4000", "接口调用失败：redReason 只能是 1-4");
    if (s("billId").length > 32 || s("orderNo").length > 20)
      return err("E4000", "接口调用失败：billId 或 orderNo 过长");
    const billId = s("billId") || randomBytes(16).toString("hex");
    if (bills.has(billId)) return err(GUESSED.duplicateBill, "红字确认单申请号重复");
    const blue = [...issued.values()].find((r) => r.number === s("blueElecInvoiceNumber") && !r.redOf);
    if (!blue || statusOf(blue) !== "2") return err(GUESSED.blueNotFound, "蓝字发票不存在或未开具完成");
    // Forms of the same blue invoice still alive (not void, not failed) count against it.
    const live = [...bills.values()].filter(
      (b) => b.blueNumber === blue.number && !VOID_BILL.includes(b.status),
    );
    const blueLines = blueLinesOf(blue.order.invoiceDetail as Array<Record<string, unknown>>);
    const partial = body.detail !== undefined;
    if (!partial && live.length > 0) return err(GUESSED.redNotReversible, "该发票不能重复冲红");
    if (partial) {
      const problem = checkRedDetail(
        body.detail,
        blueLines,
        live.map((b) => b.taken),
      );
      if (problem) return problem;
    }
    const detail = partial ? (body.detail as Array<Record<string, unknown>>) : undefined;
    bills.set(billId, {
      billId,
      billNo: `${chinaTimeText(clock.now()).replace(/\D/g, "")}${String(bills.size + 1).padStart(6, "0")}`,
      billUuid: randomBytes(16).toString("hex"),
      taxNum: s("sellerTaxNo"),
      createdAt: now(),
      status: "15",
      statusSince: now(),
      message: "申请中",
      blueNumber: blue.number!,
      orderNo: s("orderNo") || `R${billId.slice(0, 19)}`,
      redReason: s("redReason"),
      request: body,
      taken: detail ? takenBy(detail) : wholeOf(blueLines),
      ...(detail ? { detail } : {}),
    });
    return ok(billId, "申请成功");
  }

  function setBill(bill: Bill, status: string, message: string): void {
    bill.status = status;
    bill.statusSince = now();
    bill.message = message;
    if ((status === "01" || status === "04") && !bill.redSerial) {
      const blue = [...issued.values()].find((r) => r.number === bill.blueNumber)!;
      const serialNo = newSerial();
      const neg = (v: unknown) => new Decimal(String(v ?? "0")).negated().toFixed(2);
      // A partial form issues its detail's lines; a full one the negated blue invoice.
      const lines = bill.detail ? redInvoiceDetail(bill.detail) : undefined;
      const red: Issued = {
        serialNo,
        orderNo: bill.orderNo,
        taxNum: bill.taxNum,
        order: { ...blue.order, orderNo: bill.orderNo, ...(lines ? { invoiceDetail: lines } : {}) },
        acceptedAt: now(),
        pendingMs: scenario.pendingMs,
        final: "2",
        failCause: "",
        retries: new Map(),
        redOf: bill.blueNumber,
        excluded: lines ? sumOf(lines, "taxExcludedAmount") : neg(blue.excluded),
      };
      remember(`${bill.taxNum}|R|${bill.billId}`, red);
      bill.redSerial = serialNo;
    }
  }

  function advanceBill(bill: Bill): void {
    if (bill.status === "15" && now() >= bill.createdAt + scenario.redApplyMs) {
      if (scenario.session !== "ok") setBill(bill, "16", sessionCause());
      else if (scenario.redBooked) setBill(bill, "02", "销方录入待购方确认");
      else setBill(bill, "01", "无需确认");
    }
    if (bill.status === "02" && now() >= bill.statusSince + 72 * 3600_000)
      setBill(bill, "07", "作废（超72小时未确认）");
  }

  const billOf = (body: Record<string, unknown>) =>
    [...bills.values()].find(
      (b) =>
        (body.billUuid && b.billUuid === body.billUuid) ||
        (body.billId && b.billId === body.billId) ||
        (body.billNo && b.billNo === body.billNo),
    );

  function queryInvoiceRedConfirm(body: Record<string, unknown>): Answer {
    if (body.identity !== "0" && body.identity !== "1")
      return err("E4000", "接口调用失败：identity 只能是 0 或 1");
    const bill = billOf(body);
    const list = bill ? [bill] : body.billId || body.billNo || body.billUuid ? [] : [...bills.values()];
    return ok(
      {
        total: list.length,
        list: list.map((b) => {
          const red = b.redSerial ? bySerial.get(b.redSerial) : undefined;
          return {
            billId: b.billId,
            billNo: b.billNo,
            billUuid: b.billUuid,
            billStatus: b.status,
            billMessage: b.message,
            requestStatus: "",
            openStatus: red && statusOf(red) === "2" ? "1" : "0",
            invoiceSerialNum: b.redSerial ?? "",
            orderNo: b.redSerial ? b.orderNo : "",
            blueElecInvoiceNumber: b.blueNumber,
            redReason: b.redReason,
            billTime: chinaTimeText(new Date(b.createdAt)),
          };
        }),
      },
      "查询成功",
    );
  }

  function confirmBill(body: Record<string, unknown>): Answer {
    const bill = billOf(body);
    if (!bill) return err("E9500", "红字确认单不存在");
    if (bill.status !== "02" && bill.status !== "03")
      return err("E4000", `确认单状态 ${bill.status} 不可确认`);
    if (body.confirmAgreement === "1") setBill(bill, "04", "购销双方已确认");
    else setBill(bill, "05", `作废（销方录入购方否认）${String(body.confirmReason ?? "")}`);
    return ok(bill.billId, "确认成功");
  }

  function cancelBill(body: Record<string, unknown>): Answer {
    const bill = billOf(body);
    if (!bill) return err("E9500", "红字确认单不存在");
    if (bill.status === "04" || bill.status === "01") setBill(bill, "09", "作废（确认后撤销）");
    else setBill(bill, "08", "作废（发起方已撤销）");
    return ok(bill.billId, "撤销成功");
  }

  function fastInvoiceRed(body: Record<string, unknown>): Answer {
    const bill = billOf(body);
    if (!bill?.redSerial) return err("E9500", "红字发票不存在");
    return ok({ invoiceSerialNum: bill.redSerial }, "成功");
  }

  // ---- callbacks (§1.10) ----
  function callbackForm(r: Issued, forged?: Record<string, unknown>): string {
    const status = statusOf(r);
    const content = forged ?? {
      c_status: status === "2" ? "1" : status === "24" ? "3" : "2",
      c_fpqqlsh: r.serialNo,
      c_orderno: r.orderNo,
      c_kprq: r.invoiceTime ?? null,
      c_fpdm: "",
      c_fphm: r.number ?? "",
      allElectronicInvoiceNumber: r.number ?? "",
      c_hjse: "",
      c_bhsje: r.excluded,
      c_url: r.number ? `${baseUrl}/files/${r.serialNo}.pdf` : "",
      c_ofd_url: r.number ? `${baseUrl}/files/${r.serialNo}.ofd` : "",
      c_errorMessage: status === "2" ? "" : r.failCause,
    };
    return new URLSearchParams({
      operater: "callback",
      orderno: r.orderNo,
      content: JSON.stringify(content),
    }).toString();
  }

  // ---- controls ----
  async function control(action: string, body: Record<string, unknown>): Promise<unknown> {
    switch (action) {
      case "tick":
        tick();
        return {};
      case "scenario": {
        const next = { ...scenario, ...(body as Partial<NuonuoScenario>) };
        if (typeof body.tokenQuotaUsed === "number") {
          const appKey = String(body.appKey ?? [...apps.keys()][0]);
          tokenCalls.set(
            appKey,
            Array.from({ length: body.tokenQuotaUsed }, () => now()),
          );
          delete (next as Record<string, unknown>).tokenQuotaUsed;
          delete (next as Record<string, unknown>).appKey;
        }
        if (body.expireTokens === true) {
          for (const t of tokens.values()) t.expiresAt = now();
          delete (next as Record<string, unknown>).expireTokens;
        }
        scenario = next;
        return scenario;
      }
      case "qr/scan":
        // Someone scans the current 实人认证 / login QR with their phone.
        return session.scan(body.kind);
      case "red/confirm": {
        // The buyer confirms (or refuses) a form, as at the bureau.
        const answer = confirmBill({
          billId: body.billId,
          confirmAgreement: body.agree === false ? "0" : "1",
        });
        tick();
        return answer;
      }
      case "red/outside": {
        // A 红字确认单 applied for outside Piaoma (at 诺诺's workbench) for a blue invoice, full or
        // with `detail`: it counts against the blue invoice like any other form.
        const blue = [...issued.values()].find((r) => r.number === body.blueElecInvoiceNumber && !r.redOf);
        const answer = saveInvoiceRedConfirm(
          {
            blueInvoiceLine: String(blue?.order.invoiceLine ?? "pc"),
            applySource: "0",
            sellerTaxNo: blue?.taxNum ?? "",
            sellerName: "销方",
            buyerName: String(blue?.order.buyerName ?? ""),
            redReason: "1",
            ...body,
          },
          "",
        );
        tick();
        return answer;
      }
      case "callback": {
        // Send a callback now: a duplicate of the real one, or a forged one.
        const r = firstByOrder(String(body.orderNo ?? ""));
        const url = String(body.url ?? r?.callBackUrl ?? "");
        if (!url) throw new Error("callback: no url");
        const form = r
          ? callbackForm(r, body.forged as Record<string, unknown> | undefined)
          : new URLSearchParams({
              operater: "callback",
              orderno: String(body.orderNo ?? ""),
              content: JSON.stringify(body.forged ?? {}),
            }).toString();
        const times = typeof body.times === "number" ? body.times : 1;
        for (let i = 0; i < times; i++) await sendCallback(callbacks, url, form, 1);
        return { sent: times };
      }
      default:
        throw new Error(`unknown control ${action}`);
    }
  }

  function state() {
    tick();
    return {
      now: clock.now().toISOString(),
      scenario,
      tokenCalls: Object.fromEntries([...tokenCalls].map(([k, v]) => [k, v.length])),
      tokenRequests,
      tokens: tokens.size,
      invoices: [...issued.values()].map((r) => ({
        serialNo: r.serialNo,
        orderNo: r.orderNo,
        status: statusOf(r),
        number: r.number ?? null,
        order: r.order,
      })),
      bills: [...bills.values()].map((b) => ({
        billId: b.billId,
        billStatus: b.status,
        redSerial: b.redSerial ?? null,
        request: b.request,
      })),
      calls,
      callbacks,
    };
  }

  const definition: StandinDefinition = {
    name: "nuonuo",
    handle(req) {
      if (req.method === "POST" && /\/accessToken$/.test(req.url.pathname)) return tokenEndpoint(req);
      if (req.method === "POST" && req.url.pathname === "/open/v1/services") return gateway(req);
      const file = /^\/files\/(\d{20})\.(pdf|ofd|xml)$/.exec(req.url.pathname);
      if (req.method === "GET" && file) {
        const r = bySerial.get(file[1]!);
        if (!r?.number) return { status: 404, text: "not found" };
        const kinds = { pdf: "application/pdf", ofd: "application/ofd", xml: "application/xml" } as const;
        const kind = file[2] as keyof typeof kinds;
        const text =
          kind === "xml"
            ? `<?xml version="1.0" encoding="UTF-8"?><Invoice number="${r.number}"/>`
            : `%${kind.toUpperCase()} standin ${r.number}`;
        return { text, contentType: kinds[kind] };
      }
      return { status: 404, json: { error: "not found" } };
    },
    delayMs: (req) => (req.url.pathname === "/open/v1/services" ? scenario.slowMs : 0),
    control,
    state,
    reset,
  };

  return {
    definition,
    clock,
    async start(): Promise<RunningStandin> {
      const running = await startStandin(definition, clock, { port: options.port, host: options.host });
      baseUrl = running.url;
      return running;
    },
  };
}
