/**
 * Our invoice → the `data` of ALLE.INVOICE.OPEN / ALLE.INVOICE.RED (CHANNELS.md §2.4, §2.5). Amounts
 * are written from our decimal text as JSON numbers; nothing passes through a float.
 */
import { Dec } from "../../../../domain/money";
import type { IssueRequest } from "../channel";
import { JsonDecimal, type JsonValue } from "./json";
import { KINGDEE_MAPPING as M } from "./mapping";
import type { KingdeeSettings } from "./settings";
import type { KingdeeIssueRequest, KingdeeRedRequest } from "./types";

const SERIAL_NO = /^[A-Za-z0-9_-]{1,50}$/;

/**
 * The Kingdee `serialNo` for one of our serials. Kingdee allows 50 characters and our serials are
 * 28 (`PM` + 26), so it is the serial itself; the function exists so that the rule lives in one place
 * and refuses what Kingdee could not take. The caller stores it before the first call.
 */
export function kingdeeSerialNo(serial: string): string {
  if (!SERIAL_NO.test(serial)) throw new Error(`serial cannot be a Kingdee serialNo: ${serial}`);
  return serial;
}

export function isKingdeeSerialNo(value: string): boolean {
  return SERIAL_NO.test(value);
}

const num = (text: string) => new JsonDecimal(new Dec(text).toFixed());
const amount = (text: string) => new JsonDecimal(new Dec(text).toFixed(2));
/** Kingdee's `price` has 8 decimals (14,8); ours can have 13. */
const price = (text: string) => new JsonDecimal(new Dec(text).toDecimalPlaces(8).toFixed());
const opt = (v: string | null | undefined) => (v ? v : undefined);

/** What a request lacks before it can be sent, or null. Checked locally: no call is made. */
export function localProblem(request: KingdeeIssueRequest): string | null {
  if (!isKingdeeSerialNo(request.channelOrderNo))
    return "渠道单号缺失或不合规（金蝶 serialNo 最多 50 位字母数字）";
  if (!request.drawer?.trim()) return "请填写开票人";
  if (request.lines.length === 0) return "发票没有明细行";
  return null;
}

export function openInvoiceData(request: KingdeeIssueRequest): JsonValue {
  const { seller, buyer } = request;
  return {
    serialNo: request.channelOrderNo,
    invoiceProperty: "0",
    invoiceType: M.invoiceTypeCodes[request.invoiceType],
    includeTaxFlag: M.includeTaxFlag,
    sellerName: seller.name,
    sellerTaxpayerId: seller.taxId,
    sellerAddress: opt(seller.address),
    sellerTel: opt(seller.phone),
    sellerBank: opt(seller.bank),
    sellerBankAccount: opt(seller.bankAccount),
    buyerName: buyer.name,
    buyerTaxpayerId: opt(buyer.taxId),
    buyerAddress: opt(buyer.address),
    buyerTel: opt(buyer.phone),
    buyerBank: opt(buyer.bank),
    buyerBankAccount: opt(buyer.bankAccount),
    naturalPersonFlag: buyer.naturalPerson ? M.naturalPerson.yes : M.naturalPerson.no,
    buyerRecipientMail: M.sendRecipientContacts ? opt(buyer.email) : undefined,
    buyerRecipientPhone: M.sendRecipientContacts ? opt(buyer.mobile) : undefined,
    remark: opt(request.remark),
    drawer: request.drawer,
    payee: opt(request.payee),
    reviewer: opt(request.reviewer),
    totalAmount: M.sendTotalAmount ? amount(request.totals.totalAmount) : undefined,
    invoiceDetail: request.lines.map((line, index) => {
      const privilegeType = line.zeroRateKind ? M.zeroRatePrivilegeType[line.zeroRateKind] : null;
      return {
        seq: String(index + 1),
        lineProperty: M.lineKindCodes[line.kind],
        goodsName: line.name,
        revenueCode: line.taxCode,
        // A discount line has no 规格型号 or 单位 (DOMAIN.md §9), nor quantity and price.
        specification: line.kind === "discount" ? undefined : opt(line.spec),
        units: line.kind === "discount" ? undefined : opt(line.unit),
        quantity: line.quantity === null ? undefined : num(line.quantity),
        price: line.unitPrice === null ? undefined : price(line.unitPrice),
        amount: amount(line.amountExcludingTax),
        taxRate: new Dec(line.taxRate).toFixed(),
        taxAmount: amount(line.tax),
        privilegeType: privilegeType ?? undefined,
      };
    }),
  };
}

export function redInvoiceData(request: KingdeeRedRequest): JsonValue {
  return {
    serialNo: request.channelOrderNo,
    invoiceNum: request.blueNumber,
    redReason: M.redReasonCodes[request.reason] ?? "01",
    invoiceType: M.invoiceTypeCodes[request.invoiceType],
    sellerTaxpayerId: request.sellerTaxId,
  };
}

/**
 * The current contract's request (invoices/channels/channel.ts) plus what it does not carry yet →
 * the adapter's request. For the lead's wiring until the shared contract grows.
 */
export function kingdeeRequestFrom(
  request: IssueRequest,
  extras: Pick<KingdeeIssueRequest, "channelOrderNo" | "drawer"> &
    Partial<Pick<KingdeeIssueRequest, "remark" | "payee" | "reviewer">> & {
      seller?: Omit<KingdeeIssueRequest["seller"], "name" | "taxId">;
      buyer?: Omit<KingdeeIssueRequest["buyer"], "type" | "name" | "taxId" | "naturalPerson">;
    },
): KingdeeIssueRequest {
  const { settings: _settings, color: _color, reverses: _reverses, ...rest } = request;
  return {
    ...rest,
    channelOrderNo: extras.channelOrderNo,
    drawer: extras.drawer,
    remark: extras.remark ?? null,
    payee: extras.payee ?? null,
    reviewer: extras.reviewer ?? null,
    seller: { ...request.seller, ...extras.seller },
    buyer: { ...request.buyer, ...extras.buyer },
  };
}

/**
 * Whether a file URL Kingdee answered may be fetched: https (or the tenant's own scheme and host),
 * on the tenant's host or a Kingdee domain (mapping.ts `fileHostSuffixes`). No other host, ever.
 */
export function isKingdeeFileUrl(url: string, settings: Pick<KingdeeSettings, "baseUrl">): boolean {
  let u: URL;
  let base: URL;
  try {
    u = new URL(url);
    base = new URL(settings.baseUrl);
  } catch {
    return false;
  }
  if (u.username || u.password) return false;
  if (u.host === base.host && u.protocol === base.protocol) return true;
  if (u.protocol !== "https:") return false;
  return M.fileHostSuffixes.some((suffix) => u.hostname === suffix || u.hostname.endsWith(`.${suffix}`));
}
