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
import { receiptCodes } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { rateLimited } from "../../platform/failure-limiter";
import { recordAudit } from "../audit/audit.service";
import { createDeliveries, deliverNow } from "../deliveries/deliveries.service";
import { isIssued } from "../invoices/invoice-status";
import { findInvoicesOfCode, type InvoiceRow } from "../invoices/invoices.repository";
import { openIntegrations } from "../organizations/organizations.integrations";
import { assertCodeUsable } from "../receipt-codes/receipt-code-status";
import {
  findReceiptCodeByToken,
  type ReceiptCodeLineRow,
  type ReceiptCodeRow,
} from "../receipt-codes/receipt-codes.repository";
import type { JssdkConfig } from "../wechat/jssdk";
import { signJssdkConfig } from "../wechat/wechat.service";
import { maskEmail, maskMobile, maskTaxId } from "./masking";
import { codeResendWaitSeconds, RESENDS_PER_HOUR, recipientResendWaitSeconds } from "./resend-limits";
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
export function computeStored(code: ReceiptCodeRow, lines: ReceiptCodeLineRow[]): ComputedInvoice {
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
 * The scan in one round trip: the code, its seller, configuration and submission, and its lines as
 * JSON. Raw SQL as a prepared statement: this is the hottest query of the product.
 */
const SCAN_VIEW_SQL = `
select rc.id, rc.org_id, rc.token, rc.serial_no, rc.source, rc.status, rc.expires_at, rc.receipt_footer,
       rc.invoice_types, rc.default_invoice_type, rc.price_includes_tax,
       rc.amount_excluding_tax::text as amount_excluding_tax, rc.tax_amount::text as tax_amount,
       rc.total_amount::text as total_amount,
       o.name as seller_name, o.phone as seller_phone, c.default_buyer_type,
       rc.notify_email, rc.notify_mobile, c.limit_text, c.limit_amount::text as limit_amount, c.over_limit_policy,
       s.invoice_type as s_invoice_type, s.buyer_type as s_buyer_type, s.buyer_name as s_buyer_name,
       s.email as s_email, s.mobile as s_mobile,
       (i.wechat_app_id is not null and i.wechat_secret_ciphertext is not null) as wechat_titles,
       (i.title_provider is not null and i.title_provider_key_ciphertext is not null) as title_lookup,
       (select coalesce(json_agg(json_build_object(
          'position', l.position, 'kind', l.kind, 'name', l.name, 'shortName', l.short_name,
          'taxCode', l.tax_code, 'taxRate', l.tax_rate::text, 'zeroRateKind', l.zero_rate_kind,
          'spec', l.spec, 'unit', l.unit, 'quantity', l.quantity::text, 'unitPrice', l.unit_price::text,
          'amount', l.amount::text, 'amountExcludingTax', l.amount_excluding_tax::text, 'tax', l.tax::text,
          'amountIncludingTax', l.amount_including_tax::text) order by l.position), '[]'::json)
        from receipt_code_lines l where l.receipt_code_id = rc.id) as lines
  from receipt_codes rc
  join organizations o on o.id = rc.org_id
  left join receipt_code_configs c on c.org_id = rc.org_id
  left join submissions s on s.receipt_code_id = rc.id
  left join org_integrations i on i.org_id = rc.org_id
 where rc.token = $1`;

/**
 * The same, counting the scan (a first load, not the page's polling) in the same statement: the
 * code's counter moves unless the view refuses it (disabled, or still active past its expiry).
 */
const SCAN_VIEW_COUNTING_SQL = `
with counted as (
  update receipt_codes set scan_count = scan_count + 1, first_scanned_at = coalesce(first_scanned_at, now())
  where token = $1 and status <> 'disabled' and (status <> 'active' or expires_at > now()))
${SCAN_VIEW_SQL}`;

interface ScanRow {
  id: string;
  org_id: string;
  token: string;
  serial_no: string;
  source: string;
  status: string;
  expires_at: Date | string;
  receipt_footer: string;
  invoice_types: string[];
  default_invoice_type: string;
  price_includes_tax: boolean;
  amount_excluding_tax: string;
  tax_amount: string;
  total_amount: string;
  seller_name: string;
  seller_phone: string;
  default_buyer_type: string | null;
  notify_email: string | null;
  notify_mobile: string | null;
  limit_text: string | null;
  limit_amount: string | null;
  over_limit_policy: string | null;
  s_invoice_type: string | null;
  s_buyer_type: string | null;
  s_buyer_name: string | null;
  s_email: string | null;
  s_mobile: string | null;
  wechat_titles: boolean | null;
  title_lookup: boolean | null;
  lines: StoredLineJson[] | string;
}

/** The columns of the code the rest of the view needs, in the repository's row shape. */
function toCodeRow(r: ScanRow) {
  return {
    id: r.id,
    orgId: r.org_id,
    token: r.token,
    serialNo: r.serial_no,
    source: r.source,
    status: r.status,
    expiresAt: r.expires_at instanceof Date ? r.expires_at : new Date(r.expires_at),
    receiptFooter: r.receipt_footer,
    invoiceTypes: r.invoice_types,
    defaultInvoiceType: r.default_invoice_type,
    priceIncludesTax: r.price_includes_tax,
    amountExcludingTax: r.amount_excluding_tax,
    taxAmount: r.tax_amount,
    totalAmount: r.total_amount,
  };
}

/** A stored line as the scan query returns it (numeric columns as text). */
interface StoredLineJson {
  position: number;
  kind: string;
  name: string;
  shortName: string;
  taxCode: string;
  taxRate: string;
  zeroRateKind: string | null;
  spec: string;
  unit: string;
  quantity: string | null;
  unitPrice: string | null;
  amount: string;
  amountExcludingTax: string;
  tax: string;
  amountIncludingTax: string;
}

/**
 * What the consumer page shows. The hot path of a scan: one query returns the code with its seller,
 * configuration, submission and lines; the invoices are read only once submitted, and the split
 * plan is computed only when the total is above the limit.
 */
export async function getScanView(
  ctx: ScanContext,
  token: string,
  options: { countScan?: boolean } = {},
): Promise<ScanView> {
  const { db } = ctx.database;
  const [row] = options.countScan
    ? await ctx.database.prepared<ScanRow>("scan-view-counting", SCAN_VIEW_COUNTING_SQL, [token])
    : await ctx.database.prepared<ScanRow>("scan-view", SCAN_VIEW_SQL, [token]);
  if (!row) throw new AppError("RECEIPT_CODE_NOT_FOUND");
  const code = toCodeRow(row);
  const status = assertCodeUsable(code);
  const found = {
    sellerName: row.seller_name,
    limitText: row.limit_text,
    limitAmount: row.limit_amount,
    policy: row.over_limit_policy,
  };
  const submission = row.s_buyer_name
    ? {
        invoiceType: row.s_invoice_type,
        buyerType: row.s_buyer_type,
        buyerName: row.s_buyer_name,
        email: row.s_email,
        mobile: row.s_mobile,
      }
    : null;
  // PGlite and node-postgres both hand json back parsed; a driver returning text is handled too.
  const lines = (typeof row.lines === "string" ? JSON.parse(row.lines) : row.lines) as StoredLineJson[];

  const invoiceRows = submission?.buyerName ? await findInvoicesOfCode(db, code.id) : [];
  const policy = (found.policy ?? "reject") as OverLimitPolicy;
  let invoiceCount = 0;
  if (found.limitText !== null) {
    if (compareDecimals(code.totalAmount, found.limitText) <= 0) invoiceCount = 1;
    else if (policy === "split") {
      const plan = planInvoices(
        computeStored(code as ReceiptCodeRow, lines as unknown as ReceiptCodeLineRow[]),
        {
          limit: found.limitText,
          policy,
        },
      );
      invoiceCount = plan.ok ? plan.value.invoices.length : 0;
    }
  }
  return {
    seller: { name: found.sellerName, phone: row.seller_phone },
    serialNo: code.serialNo,
    status,
    expiresAt: code.expiresAt.toISOString(),
    receiptFooter: code.receiptFooter,
    lines: lines.map((l) => ({
      kind: l.kind as LineKind,
      itemName: printedItemName(l.shortName, l.name),
      name: l.name,
      spec: l.spec,
      unit: l.unit,
      quantity: l.quantity === null ? null : trimDecimal(l.quantity),
      unitPrice: l.unitPrice === null ? null : trimDecimal(l.unitPrice),
      amount: l.amount,
      taxRateLabel: taxRateLabel(l.taxRate, l.zeroRateKind as ZeroRateKind | null),
    })),
    totals: {
      amountExcludingTax: code.amountExcludingTax,
      taxAmount: code.taxAmount,
      totalAmount: code.totalAmount,
    },
    // The columns hold the domain's values (written through its schemas); the view names them so.
    invoiceTypes: code.invoiceTypes as InvoiceType[],
    defaultInvoiceType: code.defaultInvoiceType as InvoiceType,
    limit: { amount: found.limitAmount ?? "0.00", policy, invoiceCount },
    defaultBuyerType: row.default_buyer_type === "individual" ? "individual" : "enterprise",
    titleSources: { wechat: row.wechat_titles === true, lookup: row.title_lookup === true },
    // The contacts the merchant pushed with the order fill the form; once submitted they are not shown.
    prefill:
      status === "active" && (row.notify_email || row.notify_mobile)
        ? { email: row.notify_email ?? "", mobile: row.notify_mobile ?? "" }
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
  };
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
    totals: { amountExcludingTax: i.amountExcludingTax, taxAmount: i.taxAmount, totalAmount: i.totalAmount },
    buyer: { type: i.buyerType as BuyerType, name: i.buyerName, taxId: maskTaxId(i.buyerTaxId) },
    email: maskEmail(i.email),
    mobile: maskMobile(i.mobile),
    pdfUrl: issued ? `/api/scan/${token}/invoices/${i.id}.pdf` : null,
    xmlUrl: issued ? `/api/scan/${token}/invoices/${i.id}.xml` : null,
    redOf: i.blueInvoiceId,
    failureMessage: i.status === "failed" ? consumerFailureMessage(i) : null,
  };
}

/** What a consumer reads about a failed invoice: the channel's plain sentence, or ours. */
function consumerFailureMessage(i: InvoiceRow): string {
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
  ctx: Pick<AppContext, "database" | "config" | "providers" | "log" | "deliveries">,
  token: string,
  to: { email?: string; mobile?: string },
): Promise<void> {
  const email = to.email ? normalizeEmail(to.email) : undefined;
  if (to.email && !isValidEmail(email ?? "")) throw AppError.validation({ email: "邮箱格式不正确" });
  const mobile = to.mobile ? normalizeMobile(to.mobile) : undefined;
  if (to.mobile && !isValidMobile(mobile ?? "")) throw AppError.validation({ mobile: "手机号格式不正确" });
  const code = await getViewableCode(ctx, token);
  const issued = (await findInvoicesOfCode(ctx.database.db, code.id)).filter((i) => isIssued(i.status));
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
