import { eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import {
  type BuyerType,
  type ComputedInvoice,
  compareDecimals,
  computeInvoice,
  type InvoiceType,
  isValidEmail,
  isValidMobile,
  type LineInput,
  type LineKind,
  normalizeEmail,
  normalizeMobile,
  type OverLimitPolicy,
  planInvoices,
  printedItemName,
  taxRateLabel,
  trimDecimal,
  type ZeroRateKind,
} from "../../domain";
import { runStatement } from "../../platform/db/records";
import { receiptCodes } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { rateLimited } from "../../platform/failure-limiter";
import { recordAudit } from "../audit/audit.service";
import { createDeliveries, deliverNow } from "../deliveries/deliveries.service";
import { hasFailed, isIssued } from "../invoices/invoice-status";
import { totalsOf } from "../invoices/invoices.presenter";
import { findInvoicesOfCode, type InvoiceRow } from "../invoices/invoices.repository";
import { openIntegrations } from "../organizations/organizations.integrations";
import { assertCodeUsable, effectiveStatus } from "../receipt-codes/receipt-code-status";
import { findReceiptCodeByToken, type ReceiptCodeRow } from "../receipt-codes/receipt-codes.repository";
import type { JssdkConfig } from "../wechat/jssdk";
import { signJssdkConfig } from "../wechat/wechat.service";
import { maskEmail, maskMobile, maskTaxId } from "./masking";
import { codeResendWaitSeconds, RESENDS_PER_HOUR, recipientResendWaitSeconds } from "./resend-limits";
import { invoicingCodeId, mergedInto } from "./scan.merge";
import { SCAN_VIEW, type ScanLineRow } from "./scan.queries";
import type { InvoiceView, ScanView } from "./scan.schema";
import { searchTitles, type TitleSuggestion } from "./titles/title-provider";

export { RESENDS_PER_HOUR };

type ScanContext = Pick<AppContext, "database" | "config">;

/** A code the consumer may look at: unknown → 404; disabled or expired and never submitted → 410. */
export async function getViewableCode(ctx: ScanContext, token: string): Promise<ReceiptCodeRow> {
  const code = await findReceiptCodeByToken(ctx.database.db, token);
  if (!code) throw new AppError("RECEIPT_CODE_NOT_FOUND");
  assertCodeUsable(code);
  return code;
}

/** The computed order of a stored code: recomputed by the rules engine from what was stored. */
export function computeStored(
  code: Pick<ReceiptCodeRow, "id" | "priceIncludesTax">,
  lines: ScanLineRow[],
): ComputedInvoice {
  const input: LineInput[] = lines.map((l) =>
    l.kind === "discount"
      ? { kind: "discount", amount: l.amount }
      : {
          kind: l.kind === "discounted" ? "discounted" : "normal",
          name: l.name,
          shortName: l.shortName,
          taxCode: l.taxCode,
          taxRate: trimDecimal(l.taxRate),
          zeroRateKind: l.zeroRateKind as LineInput["zeroRateKind"],
          spec: l.spec || null,
          unit: l.unit || null,
          quantity: l.quantity === null ? null : trimDecimal(l.quantity),
          unitPrice: l.unitPrice === null ? null : trimDecimal(l.unitPrice),
          amount: l.amount,
        },
  );
  const result = computeInvoice({ priceIncludesTax: code.priceIncludesTax, lines: input });
  if (!result.ok)
    throw new Error(`stored receipt code ${code.id} no longer computes: ${result.issues[0]?.message}`);
  return result.value;
}

/**
 * What the consumer page shows. The hot path of a scan: one query returns the code with its seller,
 * configuration, submission and lines; the invoices are read only once submitted, and the split
 * plan is computed only when the total is above the limit.
 */
export async function getScanView(
  ctx: ScanContext & Pick<AppContext, "scans" | "orgViews">,
  token: string,
  options: { countScan?: boolean } = {},
): Promise<ScanView> {
  const { db } = ctx.database;
  const [row] = await runStatement(ctx.database, SCAN_VIEW, [token]);
  if (!row) throw new AppError("RECEIPT_CODE_NOT_FOUND");
  // The row is this call's own: its date and list are made in place rather than the row copied. A
  // driver answering JSON as text is handled too (PGlite and node-postgres parse it).
  const code = row as typeof row & { expiresAt: Date; invoiceTypes: string[] };
  code.expiresAt = new Date(row.expiresAt);
  if (typeof row.invoiceTypes === "string")
    code.invoiceTypes = row.invoiceTypes ? row.invoiceTypes.split(",") : [];
  // A first load counts as a scan unless the code itself is refused before anything is shown
  // (disabled, or expired): in memory, written with the others shortly (scan-counts.ts).
  if (options.countScan) {
    const own = effectiveStatus(code);
    if (own !== "disabled" && own !== "expired") ctx.scans.add(code.id);
  }
  // A code added to another's submit (合并开票) shows that one's status, submission and invoices.
  const merged = code.status === "merged" ? await mergedInto(ctx, code.id) : undefined;
  const status = assertCodeUsable(merged ? merged.code : code) as ScanView["status"];
  // The organization's part, kept per process until it changes (org-views.ts).
  const org = await ctx.orgViews.get(code.orgId);
  if (!org) throw new AppError("RECEIPT_CODE_NOT_FOUND");
  const submission = merged
    ? merged.submission
    : row.submissionBuyerName
      ? {
          invoiceType: row.submissionInvoiceType,
          buyerType: row.submissionBuyerType,
          buyerName: row.submissionBuyerName,
          email: row.submissionEmail,
          mobile: row.submissionMobile,
        }
      : null;
  const lines = (typeof row.lines === "string" ? JSON.parse(row.lines) : row.lines) as ScanLineRow[];

  const invoiceRows = submission?.buyerName
    ? await findInvoicesOfCode(db, merged ? merged.code.id : code.id)
    : [];
  const policy = (org.configOverLimitPolicy ?? "reject") as OverLimitPolicy;
  let invoiceCount = 0;
  if (org.configLimitText !== null) {
    if (compareDecimals(code.totalAmount, org.configLimitText) <= 0) invoiceCount = 1;
    else if (policy === "split") {
      const plan = planInvoices(computeStored(code, lines), { limit: org.configLimitText, policy });
      invoiceCount = plan.ok ? plan.value.invoices.length : 0;
    }
  }
  return {
    seller: { name: org.sellerName, phone: org.sellerPhone },
    serialNo: code.serialNo,
    status,
    expiresAt: code.expiresAt.toISOString(),
    receiptFooter: code.receiptFooter,
    lines: lines.map(lineView),
    totals: {
      amountExcludingTax: code.amountExcludingTax,
      taxAmount: code.taxAmount,
      totalAmount: code.totalAmount,
    },
    // The columns hold the domain's values (written through its schemas); the view names them so.
    invoiceTypes: code.invoiceTypes as InvoiceType[],
    defaultInvoiceType: code.defaultInvoiceType as InvoiceType,
    limit: { amount: org.configLimitAmount ?? "0.00", policy, invoiceCount },
    defaultBuyerType: org.configDefaultBuyerType === "individual" ? "individual" : "enterprise",
    titleSources: { wechat: org.wechatTitles === true, lookup: org.titleLookup === true },
    // The contacts the merchant pushed with the order fill the form; once submitted they are not shown.
    prefill:
      status === "active" && (row.notifyEmail || row.notifyMobile)
        ? { email: row.notifyEmail ?? "", mobile: row.notifyMobile ?? "" }
        : null,
    submission:
      submission?.buyerName != null
        ? {
            invoiceType: submission.invoiceType ?? "",
            buyerType: submission.buyerType ?? "",
            buyerName: submission.buyerName,
            email: maskEmail(submission.email),
            mobile: maskMobile(submission.mobile),
          }
        : null,
    invoices: invoiceRows.map((i) => toInvoiceView(token, i)),
    merge: {
      enabled: org.configMergeEnabled === true,
      maxReceipts: org.configMergeMaxReceipts ?? 1,
      receipts: merged ? merged.receipts : Number(row.submissionReceipts ?? 0) || 1,
    },
  };
}

/** A receipt line as the consumer page shows it. */
export function lineView(l: ScanLineRow): ScanView["lines"][number] {
  return {
    kind: l.kind as LineKind,
    itemName: printedItemName(l.shortName, l.name),
    name: l.name,
    spec: l.spec,
    unit: l.unit,
    quantity: l.quantity === null ? null : trimDecimal(l.quantity),
    unitPrice: l.unitPrice === null ? null : trimDecimal(l.unitPrice),
    amount: l.amount,
    taxRateLabel: rateLabel(l.taxRate, l.zeroRateKind as ZeroRateKind | null),
  };
}

/** taxRateLabel (decimal arithmetic) for the few rates there are, each worked out once. */
const rateLabels = new Map<string, string>();
function rateLabel(rate: string, zeroRateKind: ZeroRateKind | null): string {
  const key = `${rate}|${zeroRateKind ?? ""}`;
  let label = rateLabels.get(key);
  if (label === undefined) {
    label = taxRateLabel(rate, zeroRateKind);
    // Rates come from a short list; a bound keeps odd stored values from growing the map.
    if (rateLabels.size < 256) rateLabels.set(key, label);
  }
  return label;
}

export function toInvoiceView(token: string, i: InvoiceRow): InvoiceView {
  const issued = isIssued(i.status);
  return {
    id: i.id,
    number: i.number,
    invoiceType: i.invoiceType as InvoiceType,
    color: i.color as "blue" | "red",
    status: i.status,
    seq: i.seq,
    issuedAt: i.issuedAt?.toISOString() ?? null,
    totals: totalsOf(i),
    buyer: { type: i.buyerType as BuyerType, name: i.buyerName, taxId: maskTaxId(i.buyerTaxId) },
    email: maskEmail(i.email),
    mobile: maskMobile(i.mobile),
    pdfUrl: issued ? `/api/scan/${token}/invoices/${i.id}.pdf` : null,
    xmlUrl: issued ? `/api/scan/${token}/invoices/${i.id}.xml` : null,
    redOf: i.blueInvoiceId,
    failureMessage: hasFailed(i.status) ? consumerFailureMessage(i) : null,
  };
}

/** What a consumer reads about a failed invoice: the channel's plain sentence, or ours (also 我的发票's). */
export function consumerFailureMessage(i: Pick<InvoiceRow, "channelData">): string {
  const data = i.channelData as { consumerMessage?: unknown } | null;
  return typeof data?.consumerMessage === "string" && data.consumerMessage
    ? data.consumerMessage
    : "开票信息未通过税务校验，商家正在处理，请稍后查看或联系商家";
}

/**
 * 抬头 suggestions for the 名称 field (at least 2 characters typed) from the registry service the
 * organization chose with its key; without one the answer is empty and no request leaves. A
 * failing service is logged and answers empty: the consumer types on.
 */
export async function findTitles(
  ctx: Pick<AppContext, "database" | "config" | "providers" | "log" | "keyring">,
  token: string,
  q: string,
): Promise<{ titles: TitleSuggestion[] }> {
  const code = await getViewableCode(ctx, token);
  const query = q.trim();
  if (Array.from(query).length < 2) return { titles: [] };
  const { titleProvider } = await openIntegrations(ctx, code.orgId);
  const factory = titleProvider ? ctx.providers.titles[titleProvider.id] : undefined;
  if (!titleProvider || !factory) return { titles: [] };
  const titles = await searchTitles([factory(titleProvider.key)], query, 10, (provider, err) =>
    ctx.log.warn({ provider, err, orgId: code.orgId }, "title provider failed"),
  );
  return { titles };
}

/**
 * Sends the issued invoices of a code again, to an address given now: 5 an hour per code, and 10
 * resent messages a day per recipient across all codes (resend-limits.ts).
 */
export async function resendByToken(
  ctx: Pick<AppContext, "database" | "config" | "providers" | "log" | "deliveries" | "metrics">,
  token: string,
  to: { email?: string; mobile?: string },
): Promise<void> {
  const email = to.email ? normalizeEmail(to.email) : undefined;
  if (to.email && !isValidEmail(email ?? "")) throw AppError.validation({ email: "邮箱格式不正确" });
  const mobile = to.mobile ? normalizeMobile(to.mobile) : undefined;
  if (to.mobile && !isValidMobile(mobile ?? "")) throw AppError.validation({ mobile: "手机号格式不正确" });
  const code = await getViewableCode(ctx, token);
  const invoicing = await invoicingCodeId(ctx, code);
  const issued = (await findInvoicesOfCode(ctx.database.db, invoicing)).filter((i) => isIssued(i.status));
  if (issued.length === 0) throw new AppError("CONFLICT", "发票尚未开具完成，开具后会自动发送");
  const deliveryIds = await ctx.database.db.transaction(async (tx) => {
    // Lock the code so concurrent resends are counted one after another.
    await tx
      .select({ id: receiptCodes.id })
      .from(receiptCodes)
      .where(eq(receiptCodes.id, code.id))
      .for("update");
    const codeWait = await codeResendWaitSeconds(tx, code.id);
    if (codeWait > 0) {
      throw rateLimited(`每个开票码每小时最多重发 ${RESENDS_PER_HOUR} 次，请稍后再试`, codeWait * 1000);
    }
    // Whoever holds a code could otherwise mail a stranger from every code they hold.
    const recipient = email ?? mobile ?? "";
    const recipientWait = await recipientResendWaitSeconds(tx, recipient);
    if (recipientWait > 0) {
      throw rateLimited(
        `${email ? "该邮箱" : "该手机号"}近 24 小时收到的重发已达上限，请稍后再试`,
        recipientWait * 1000,
      );
    }
    await recordAudit(tx, {
      actor: { type: "consumer", token },
      orgId: code.orgId,
      action: "scan.resend",
      entityType: "receipt_code",
      entityId: code.id,
      details: { channel: email ? "email" : "sms" },
    });
    return createDeliveries(ctx, tx, {
      invoiceIds: issued.map((i) => i.id),
      email: email ?? null,
      mobile: mobile ?? null,
      reason: "resend",
    });
  });
  deliverNow(ctx, deliveryIds);
}

/**
 * `wx.config` for the consumer page inside WeChat, signed with the organization's 公众号 (微信抬头):
 * only for a code the consumer may use, only for this deployment's `/s/` pages.
 */
export async function wechatConfigForToken(
  ctx: Pick<AppContext, "database" | "config" | "keyring" | "providers">,
  token: string,
  url: string,
): Promise<JssdkConfig> {
  const code = await getViewableCode(ctx, token);
  const { wechat } = await openIntegrations(ctx, code.orgId);
  if (!wechat) throw new AppError("NOT_FOUND", "该商户未开通微信抬头");
  return signJssdkConfig(ctx.providers.wechat, wechat, {
    url,
    allowedPrefix: `${ctx.config.publicUrl}/s/`,
  });
}
