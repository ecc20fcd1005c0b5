import Decimal from "decimal.js";
import { z } from "zod";
import { chinaDateTime } from "../../../../domain/china-time";
import {
  ChannelAccountError,
  type ChannelAccountStatus,
  type ChannelAdapter,
  type ChannelFile,
  type ChannelOutcome,
  ChannelUnavailableError,
  type IssueRequest,
  type RedConfirmationReport,
} from "../channel.js";
import { fileHostsOf } from "../channel-files";
import { openSettings } from "../channel-registry";
import { createNuonuoClient, type NuonuoAnswer, type NuonuoClientOptions } from "./client";
import {
  BILL_STATUS,
  blueDetailIndexOf,
  CONSUMER_SENTENCE,
  FILE_HOSTS,
  INVOICE_LINE,
  INVOICE_STATUS,
  LINE_PROPERTY,
  NUONUO,
  RED_REASON,
  SESSION_PATTERNS,
  ZERO_RATE_POLICY,
} from "./mapping";
import { NUONUO_SECRET_KEYS, type NuonuoSettings, nuonuoSettings } from "./settings";

const M = "nuonuo.OpeMplatform.";

/** Refusal codes that are about the account's set-up at 诺诺, not the invoice (§1.5). */
const SETUP_CODES: Record<string, string> = {
  E9301: "该税号未在诺诺备案：请在诺诺开通诺税通并核对销方税号",
  E9302: "诺诺应用所属税号与本组织税号不符：请使用本组织税号下的应用",
  E9338: "该企业无权限调用 API 开票：请在诺诺开通 API 开票权限",
};

/**
 * Our serial (`PM` + 26) → 诺诺 `orderNo` (≤ 20, unique per seller tax no.): `P` + the first 19
 * characters of the id (10 of time, 9 of randomness: 45 random bits within a millisecond).
 * Deterministic, so it is known — and stored, with the serial — before the first call.
 */
export function nuonuoOrderNo(serial: string): string {
  if (serial.length <= 20) return serial;
  return `P${serial.slice(serial.startsWith("PM") ? 2 : 0).slice(0, 19)}`;
}

/** An invoice-result item as 诺诺 answers it (§1.6); only what we read. */
const resultItem = z
  .object({
    serialNo: z.string().nullish(),
    orderNo: z.string().nullish(),
    status: z.union([z.string(), z.number()]).transform(String),
    statusMsg: z.string().nullish(),
    failCause: z.string().nullish(),
    invoiceNo: z.string().nullish(),
    allElectronicInvoiceNumber: z.string().nullish(),
    allElectronicInvoiceNumbe: z.string().nullish(),
    invoiceTime: z.union([z.number(), z.string()]).nullish(),
    pdfUrl: z.string().nullish(),
    ofdUrl: z.string().nullish(),
    xmlUrl: z.string().nullish(),
  })
  .passthrough();
type ResultItem = z.infer<typeof resultItem>;

const billItem = z
  .object({
    billId: z.string().nullish(),
    billNo: z.string().nullish(),
    billStatus: z.union([z.string(), z.number()]).transform(String),
    billMessage: z.string().nullish(),
    invoiceSerialNum: z.string().nullish(),
    orderNo: z.string().nullish(),
  })
  .passthrough();

export function createNuonuoChannel(options: NuonuoClientOptions): ChannelAdapter {
  const client = createNuonuoClient(options);
  const now = options.now ?? (() => new Date());

  // Settings opened (secrets decrypted, checked) by their stored form: every call used to decrypt and
  // parse them again. Bounded: emptied when it holds more than a few accounts' worth.
  const opened = new Map<string, NuonuoSettings>();

  function settingsOf(stored: Record<string, unknown>): NuonuoSettings {
    const key = JSON.stringify(stored);
    const known = opened.get(key);
    if (known) return known;
    const settings = parseSettings(stored);
    if (opened.size >= 256) opened.clear();
    opened.set(key, settings);
    return settings;
  }

  function parseSettings(stored: Record<string, unknown>): NuonuoSettings {
    const parsed = nuonuoSettings.safeParse(openSettings(stored, options.keyring, NUONUO_SECRET_KEYS));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ChannelAccountError(
        "misconfigured",
        "SETTINGS_INVALID",
        `诺诺设置不完整：${issue?.path.join(".") ?? ""} ${issue?.message ?? ""}`.trim(),
        "请在 电子税局账号 页补全诺诺设置",
      );
    }
    return parsed.data;
  }

  /** A refusal, unless the channel's words say the account is the problem. */
  function refusal(code: string, message: string, consumer: string): ChannelOutcome {
    const setup = SETUP_CODES[code];
    if (setup) throw new ChannelAccountError("misconfigured", code, message, setup);
    const session = SESSION_PATTERNS.find((p) => p.pattern.test(message));
    if (session) throw new ChannelAccountError(session.problem, code, message, session.action);
    return { status: "rejected", code: `NUONUO_${code}`, message, consumerMessage: consumer };
  }

  function outcomeOf(item: ResultItem): ChannelOutcome {
    switch (item.status) {
      case INVOICE_STATUS.done: {
        const number = item.allElectronicInvoiceNumber || item.allElectronicInvoiceNumbe || item.invoiceNo;
        if (!number) return { status: "pending", message: "诺诺已开具，号码尚未返回" };
        const files: ChannelFile[] = [];
        if (item.pdfUrl) files.push({ kind: "pdf", url: item.pdfUrl });
        if (item.ofdUrl) files.push({ kind: "ofd", url: item.ofdUrl });
        if (item.xmlUrl) files.push({ kind: "xml", url: item.xmlUrl });
        const time = Number(item.invoiceTime);
        return {
          status: "issued",
          number,
          issuedAt: Number.isFinite(time) && time > 0 ? new Date(time) : now(),
          files,
        };
      }
      case INVOICE_STATUS.issuing:
      case INVOICE_STATUS.sealing:
        return { status: "pending", message: item.statusMsg || "开票中" };
      case INVOICE_STATUS.failed:
        return refusal("22", item.failCause || item.statusMsg || "开票失败", CONSUMER_SENTENCE.refused);
      case INVOICE_STATUS.sealFailed:
        // Issued but not sealed: `retry` (reInvoice) seals it; until then it is not an invoice.
        return {
          status: "rejected",
          code: "NUONUO_24",
          message: `开票成功签章失败：${item.failCause || item.statusMsg || ""}`,
          consumerMessage: CONSUMER_SENTENCE.refused,
        };
      default:
        return {
          status: "rejected",
          code: `NUONUO_STATUS_${item.status}`,
          message: item.statusMsg || `诺诺发票状态 ${item.status}`,
          consumerMessage: CONSUMER_SENTENCE.refused,
        };
    }
  }

  async function queryResult(
    s: NuonuoSettings,
    by: { orderNos: string[] } | { serialNos: string[] },
  ): Promise<ResultItem | null> {
    const answer = await client.call(s, `${M}queryInvoiceResult`, { ...by, isOfferInvoiceDetail: "0" });
    if (answer.code === NUONUO.notFound) return null;
    if (answer.code !== NUONUO.ok) throw unexpected("queryInvoiceResult", answer);
    const list = Array.isArray(answer.result) ? answer.result : [];
    const parsed = resultItem.safeParse(list[0]);
    if (!parsed.success) {
      if (list.length === 0) return null;
      throw new ChannelUnavailableError("诺诺查询结果格式不符");
    }
    return parsed.data;
  }

  async function queryBlue(serial: string, s: NuonuoSettings): Promise<ChannelOutcome | null> {
    const item = await queryResult(s, { orderNos: [nuonuoOrderNo(serial)] });
    if (!item) return null;
    if (item.status === INVOICE_STATUS.sealFailed) {
      // A seal failure is retried at once (same orderNo and serial, §1.7).
      const retried = await reInvoice(s, serial);
      if (retried) return retried;
    }
    return outcomeOf(item);
  }

  /**
   * A red request's state, read from its 红字确认单: by `billId` (our red serial, the idempotency key
   * of saveInvoiceRedConfirm), else by the 确认单 number 诺诺 gave earlier (`billNo`, stored with our
   * 确认单). Null only when 诺诺 knows neither. Each answer carries the form's number and its state
   * in our words (mapping.ts BILL_STATUS).
   */
  async function queryRed(
    serial: string,
    s: NuonuoSettings,
    billNo?: string,
  ): Promise<ChannelOutcome | null> {
    const bill = (await findBill(s, { billId: serial })) ?? (billNo ? await findBill(s, { billNo }) : null);
    if (!bill) return null;
    const entry = BILL_STATUS[bill.billStatus];
    const redConfirmation: RedConfirmationReport = {
      ...(bill.billNo ? { number: bill.billNo } : {}),
      ...(entry?.ours ? { status: entry.ours } : {}),
    };
    if (entry === undefined || entry.meaning === "pending")
      return { status: "pending", message: bill.billMessage || "红字确认单申请中" };
    if (entry.meaning === "confirmation_pending") return { status: "confirmation_pending", redConfirmation };
    if (entry.meaning === "rejected")
      return {
        status: "rejected",
        code: `NUONUO_BILL_${bill.billStatus}`,
        message: bill.billMessage || `红字确认单状态 ${bill.billStatus}`,
        consumerMessage: CONSUMER_SENTENCE.red,
        redConfirmation,
      };
    // 01 / 04: 诺诺 issues the red invoice by itself; its result is read like a blue one.
    const item = bill.invoiceSerialNum
      ? await queryResult(s, { serialNos: [bill.invoiceSerialNum] })
      : await queryResult(s, { orderNos: [bill.orderNo || nuonuoOrderNo(serial)] });
    const outcome = item ? outcomeOf(item) : { status: "pending" as const, message: "红字发票开具中" };
    return outcome.status === "issued" || outcome.status === "rejected"
      ? { ...outcome, redConfirmation }
      : outcome;
  }

  async function findBill(
    s: NuonuoSettings,
    by: { billId: string } | { billNo: string },
  ): Promise<z.infer<typeof billItem> | null> {
    const answer = await client.call(s, `${M}queryInvoiceRedConfirm`, {
      identity: "0",
      ...by,
      pageNo: "1",
      pageSize: "10",
    });
    if (answer.code === NUONUO.notFound) return null;
    if (answer.code !== NUONUO.ok) throw unexpected("queryInvoiceRedConfirm", answer);
    const result = answer.result as { list?: unknown[] } | null;
    const found = billItem.safeParse(result?.list?.[0]);
    return found.success ? found.data : null;
  }

  /** reInvoice (§1.7): null when 诺诺 does not know the order. */
  async function reInvoice(s: NuonuoSettings, serial: string): Promise<ChannelOutcome | null> {
    const answer = await client.call(s, `${M}reInvoice`, { orderno: nuonuoOrderNo(serial) });
    if (answer.code === NUONUO.ok) return { status: "pending", message: answer.describe || "重试中" };
    if (answer.code === NUONUO.notFound) return null;
    if (answer.code === NUONUO.retryCap)
      return {
        status: "rejected",
        code: `NUONUO_${answer.code}`,
        message: answer.describe || "同一订单单日最多重试 20 次",
        consumerMessage: CONSUMER_SENTENCE.refused,
      };
    if (/无需再重试|已生成/.test(answer.describe)) return queryBlue(serial, s);
    return refusal(answer.code, answer.describe, CONSUMER_SENTENCE.refused);
  }

  async function issueBlue(request: IssueRequest, s: NuonuoSettings): Promise<ChannelOutcome> {
    const answer = await client.call(
      s,
      `${M}requestBillingNew`,
      { order: orderOf(request, s, now()) },
      request.seller.taxId,
    );
    if (answer.code === NUONUO.ok) return { status: "pending", message: answer.describe || "开票提交成功" };
    // Already accepted under this orderNo (an earlier attempt, or a concurrent one): ask for it.
    if (answer.code === NUONUO.duplicateOrder)
      return (await queryBlue(request.serial, s)) ?? { status: "pending", message: "诺诺已受理，结果未出" };
    return refusal(answer.code, answer.describe || "诺诺拒绝开票", CONSUMER_SENTENCE.refused);
  }

  async function issueRed(request: IssueRequest, s: NuonuoSettings): Promise<ChannelOutcome> {
    if (!request.reverses?.number)
      return {
        status: "rejected",
        code: "RED_WITHOUT_BLUE",
        message: "红字发票缺少对应蓝字发票号码",
        consumerMessage: CONSUMER_SENTENCE.red,
      };
    const answer = await client.call(
      s,
      `${M}saveInvoiceRedConfirm`,
      redConfirmOf(request, s),
      request.seller.taxId,
    );
    if (answer.code === NUONUO.ok || answer.code === NUONUO.duplicateBill)
      return (await queryRed(request.serial, s)) ?? { status: "pending", message: "红字确认单申请中" };
    return refusal(answer.code, answer.describe || "诺诺拒绝红字确认单", CONSUMER_SENTENCE.red);
  }

  return {
    id: "nuonuo",
    orderNoOf: nuonuoOrderNo,
    pollsRedConfirmation: true,

    async issue(request) {
      const s = settingsOf(request.settings);
      return request.color === "red" ? issueRed(request, s) : issueBlue(request, s);
    },

    async query(serial, settings, queryOptions) {
      const s = settingsOf(settings);
      return queryOptions?.color === "red"
        ? queryRed(serial, s, queryOptions.redConfirmationNumber)
        : queryBlue(serial, s);
    },

    async retry(serial, settings) {
      const s = settingsOf(settings);
      return (await reInvoice(s, serial)) ?? (await queryBlue(serial, s));
    },

    async accountStatus(settings) {
      return accountStatusOf(settings);
    },

    async reauthQrCode(settings, problem, options) {
      const s = settingsOf(settings);
      // getQrCode: 0 / 1 new / current face-auth QR, 2 / 3 new / current login QR (§1.9).
      const face = problem === "identity_verification_due";
      const queryType = options.refresh ? (face ? "0" : "2") : face ? "1" : "3";
      const answer = await client.call(s, `${M}getQrCode`, { queryType, extensionNumber: s.extensionNumber });
      const qr = qrOf(answer);
      if (qr) return { qrCode: qr };
      return {
        qrCode: null,
        message: `诺诺未给出二维码：${answer.code === NUONUO.ok ? "二维码已失效或缺失，请刷新" : `${answer.code} ${answer.describe}`}`,
      };
    },

    async reauthScan(settings, problem) {
      const s = settingsOf(settings);
      // verifyComplete 1: the scan's result (0 in progress, 1 done, 2 failed / expired).
      const read = await client.call(s, `${M}verifyComplete`, {
        queryType: "1",
        extensionNumber: s.extensionNumber,
      });
      const scanned = read.code === NUONUO.ok ? statusField(read, "status") : undefined;
      if (scanned === "2") return "expired";
      if (scanned !== "1") return "waiting";
      if (problem === "logged_out") {
        // verifyComplete 0 confirms the scan login with the bureau.
        const confirmed = await client.call(s, `${M}verifyComplete`, {
          queryType: "0",
          extensionNumber: s.extensionNumber,
        });
        const status = confirmed.code === NUONUO.ok ? statusField(confirmed, "status") : undefined;
        return status === "1" ? "done" : status === "2" ? "expired" : "waiting";
      }
      // 实人认证: the certification state refreshed from the bureau (0; limited to 1 per 30 s).
      const refreshed = await client.call(s, `${M}getCertificationStatus`, {
        queryType: "0",
        eleAccount: "",
        extensionNumber: s.extensionNumber,
      });
      return refreshed.code === NUONUO.ok && statusField(refreshed, "certificationStatus") === "1"
        ? "done"
        : "waiting";
    },

    fileHosts(settings) {
      const s = settingsOf(settings);
      return fileHostsOf(s.fileHosts, FILE_HOSTS, [s.apiUrl]);
    },
  };

  async function accountStatusOf(settings: Record<string, unknown>): Promise<ChannelAccountStatus> {
    try {
      const s = settingsOf(settings);
      // 测试连接: a query for a made-up order proves the token, the signature and the app (E9500).
      await client.call(s, `${M}queryInvoiceResult`, {
        orderNos: [`PTEST${Date.now().toString(36).toUpperCase()}`],
        isOfferInvoiceDetail: "0",
      });
      const status: ChannelAccountStatus = { status: "online", message: "连接正常" };
      const read = (queryType: string) =>
        client.call(s, `${M}getCertificationStatus`, {
          queryType,
          eleAccount: "",
          extensionNumber: s.extensionNumber,
        });
      // Read-only queries (queryType 1 / 2): they do not count against the refresh limits.
      const login = await read("2");
      if (login.code === NUONUO.ok && statusField(login, "certificationStatus") === "0") {
        const qr = await qrCode(s, "3");
        return {
          status: "reauth",
          problem: "logged_out",
          message: "诺诺的数电账号未登录电子税局",
          action: SESSION_PATTERNS.find((p) => p.problem === "logged_out")!.action,
          ...(qr ? { qrCode: qr } : {}),
        };
      }
      const identity = await read("1");
      if (identity.code === NUONUO.ok && statusField(identity, "certificationStatus") === "2") {
        const qr = await qrCode(s, "1");
        return {
          status: "reauth",
          problem: "identity_verification_due",
          message: "电子税局要求实人认证",
          action: SESSION_PATTERNS.find((p) => p.problem === "identity_verification_due")!.action,
          ...(qr ? { qrCode: qr } : {}),
        };
      }
      const credit = await client.call(s, `${M}getCreditLine`, {
        queryType: "1",
        extensionNumber: s.extensionNumber,
      });
      if (credit.code === NUONUO.ok && credit.result && typeof credit.result === "object") {
        const c = credit.result as Record<string, unknown>;
        status.creditLine = {
          available: String(c.availableCreditLine ?? ""),
          used: String(c.usedCreditLine ?? ""),
          total: String(c.totalCreditLine ?? ""),
        };
      }
      return status;
    } catch (e) {
      if (e instanceof ChannelAccountError)
        return { status: e.accountStatus, problem: e.problem, message: e.message, action: e.action };
      if (e instanceof ChannelUnavailableError) return { status: "offline", message: e.message };
      throw e;
    }
  }

  async function qrCode(s: NuonuoSettings, queryType: string) {
    return qrOf(await client.call(s, `${M}getQrCode`, { queryType, extensionNumber: s.extensionNumber }));
  }
}

/** The QR code in a getQrCode answer, with its expiry (`endTime`), or null. */
function qrOf(answer: NuonuoAnswer): { text: string; expiresAt: Date | null } | null {
  const r = answer.result as { qrCode?: unknown; endTime?: unknown; status?: unknown } | null;
  if (answer.code !== NUONUO.ok || typeof r?.qrCode !== "string" || r.qrCode === "") return null;
  // status 2: failed or expired (0 in progress, 1 scanned): not one to show.
  if (String(r.status ?? "") === "2") return null;
  const end = chinaInstant(r.endTime);
  return { text: r.qrCode, expiresAt: Number.isFinite(end) ? new Date(end) : null };
}

/** `yyyy-MM-dd HH:mm:ss` as 诺诺 prints times (China time), or epoch ms; NaN otherwise. */
function chinaInstant(value: unknown): number {
  if (typeof value === "number") return value;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})$/.exec(String(value ?? ""));
  return m ? new Date(`${m[1]}T${m[2]}+08:00`).getTime() : Number.NaN;
}

function statusField(answer: NuonuoAnswer, key: string): string | undefined {
  const r = answer.result as Record<string, unknown> | null;
  return r && r[key] !== undefined ? String(r[key]) : undefined;
}

function unexpected(method: string, answer: NuonuoAnswer): Error {
  return new ChannelUnavailableError(`诺诺 ${method} 应答 ${answer.code} ${answer.describe}`.trim());
}

/**
 * `saveInvoiceRedConfirm`'s body (§1.8): `billId` = our red serial (the idempotency key), the red
 * invoice's `orderNo`, and — for a partial reversal only — `detail[]`: per red line, the blue line it
 * reverses (mapping.ts blueDetailIndexOf), in the blue invoice's order, with negative quantity,
 * amount and tax and a positive tax-exclusive unit price. A full reversal sends no detail.
 */
export function redConfirmOf(request: IssueRequest, s: NuonuoSettings): Record<string, unknown> {
  const reverses = request.reverses;
  if (!reverses) throw new Error("a red request without the blue invoice it reverses");
  const body: Record<string, unknown> = {
    billId: request.serial,
    blueInvoiceLine: INVOICE_LINE[request.invoiceType],
    applySource: "0",
    blueElecInvoiceNumber: reverses.number,
    sellerTaxNo: request.seller.taxId,
    sellerName: request.seller.name,
    buyerTaxNo: request.buyer.taxId,
    buyerName: request.buyer.name,
    redReason: RED_REASON[reverses.reason] ?? RED_REASON.开票有误!,
    extensionNumber: s.extensionNumber,
    autoInvoice: "1",
    orderNo: nuonuoOrderNo(request.serial),
  };
  if (s.callbackUrl) body.callbackUrl = s.callbackUrl;
  if (reverses.lines) {
    const blue = reverses.lines;
    if (blue.length !== request.lines.length)
      throw new Error("a partial red request names a blue line for each of its lines");
    body.detail = request.lines
      .map((l, i) => ({ l, blue: blue[i]! }))
      .sort((a, b) => a.blue.lineNo - b.blue.lineNo)
      .map(({ l, blue }) => {
        const line: Record<string, unknown> = {
          blueDetailIndex: blueDetailIndexOf(blue),
          goodsName: l.name,
          goodsCode: l.taxCode,
          taxRate: l.taxRate,
          taxExcludedAmount: l.amountExcludingTax,
          taxAmount: l.tax,
        };
        if (l.quantity !== null && l.unitPrice !== null) {
          line.num = l.quantity;
          line.taxExcludedPrice = price8(l.unitPrice);
        }
        const policy = l.zeroRateKind ? ZERO_RATE_POLICY[l.zeroRateKind] : "";
        if (policy) line.favouredPolicyFlag = policy;
        return line;
      });
  }
  return body;
}

/** A price as 诺诺 takes it: at most 8 decimals, no trailing zeros. */
function price8(value: string): string {
  return new Decimal(value).toDecimalPlaces(8, Decimal.ROUND_HALF_UP).toFixed();
}

/** `requestBillingNew`'s `order` (§1.5): every value a string, amounts from our decimal strings. */
export function orderOf(request: IssueRequest, s: NuonuoSettings, at: Date): Record<string, unknown> {
  const b = request.buyer;
  const seller = request.seller;
  const joined = (...parts: Array<string | undefined>) => parts.filter(Boolean).join(" ");
  const order: Record<string, unknown> = {
    orderNo: nuonuoOrderNo(request.serial),
    invoiceDate: chinaDateTime(request.orderedAt ?? at),
    invoiceType: "1",
    invoiceLine: INVOICE_LINE[request.invoiceType],
    salerTaxNum: seller.taxId,
    salerTel: seller.phone ?? "",
    salerAddress: seller.address ?? "",
    salerAccount: joined(seller.bankName, seller.bankAccount),
    buyerName: b.name,
    buyerTaxNum: b.taxId,
    buyerTel: b.phone ?? "",
    buyerAddress: b.address ?? "",
    buyerAccount: joined(b.bankName, b.bankAccount),
    naturalPersonFlag: b.naturalPerson ? "1" : "0",
    clerk: s.clerk || request.drawer || "",
    payee: request.payee ?? "",
    checker: request.reviewer ?? "",
    remark: request.remark ?? "",
    extensionNumber: s.extensionNumber,
    pushMode: "-1",
    listFlag: "0",
    invoiceDetail: request.lines.map((l) => {
      const line: Record<string, unknown> = {
        goodsName: l.name,
        goodsCode: l.taxCode,
        withTaxFlag: "0",
        taxRate: l.taxRate,
        taxExcludedAmount: l.amountExcludingTax,
        tax: l.tax,
        taxIncludedAmount: l.amountIncludingTax,
        invoiceLineProperty: LINE_PROPERTY[l.kind],
      };
      if (l.kind !== "discount" && l.quantity !== null && l.unitPrice !== null) {
        line.num = l.quantity;
        line.price = price8(l.unitPrice);
      }
      if (l.unit) line.unit = l.unit;
      if (l.spec) line.specType = l.spec;
      const policy = l.zeroRateKind ? ZERO_RATE_POLICY[l.zeroRateKind] : "";
      if (policy) line.favouredPolicyFlag = policy;
      return line;
    }),
  };
  if (s.callbackUrl) order.callBackUrl = s.callbackUrl;
  return order;
}
