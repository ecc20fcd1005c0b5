import { z } from "zod";
import { RED_REASONS } from "../../domain";
import { bulkIdsBody, pageQuery } from "../../platform/console-schemas";
import { folded, isoDay, oneLine, recordId } from "../../platform/input";
import { INVOICE_STATUSES } from "./invoice-status";
import { redConfirmationOut, reverseParts, reversibleView } from "./invoices.merchant.schema";
import { buyerView, invoiceLineView, totalsView } from "./invoices.schema";

const day = isoDay();

export const invoiceStatus = z.enum(INVOICE_STATUSES);

/** The list's filters; also what the export takes, so an export is exactly the filtered list. */
export const invoiceFilterQuery = z.object({
  /** Issued on or after / on or before this day (China time). */
  from: day.optional(),
  to: day.optional(),
  status: invoiceStatus.optional(),
  color: z.enum(["blue", "red"]).optional(),
  invoiceType: z.enum(["digital_normal", "digital_special"]).optional(),
  deviceNo: oneLine().max(50).optional(),
  source: z.enum(["manual", "push", "link"]).optional(),
  /** Buyer name or tax ID, partial. */
  buyer: oneLine().max(100).optional(),
  /** Invoice number, partial. */
  number: oneLine().max(20).optional(),
  /** 小票流水号 / merchant order number, partial. */
  serialNo: oneLine().max(50).optional(),
});
/** The filters, or (导出所选) the ticked invoices by id: never from a query string, only a checked body. */
export type InvoiceFilter = z.infer<typeof invoiceFilterQuery> & { ids?: readonly string[] };

export const invoiceListQuery = invoiceFilterQuery.extend(pageQuery);
export type InvoiceListQuery = z.infer<typeof invoiceListQuery>;

export const exportQuery = invoiceFilterQuery.extend({
  /** With the invoice lines (a second sheet in xlsx; one row per line in csv). */
  lines: z.enum(["0", "1"]).optional(),
});

/** 导出所选: the ticked invoices (1–500) and the export's options. */
export const exportSelectedBody = bulkIdsBody.extend({
  format: z.enum(["xlsx", "csv"]).default("xlsx"),
  lines: z.boolean().default(false),
});

/** 合计 of the filtered list: count and sums (red invoices negative, so the sums are net). */
export const invoiceSummary = z.object({
  count: z.number(),
  amountExcludingTax: z.string(),
  taxAmount: z.string(),
  totalAmount: z.string(),
});
export type InvoiceSummary = z.infer<typeof invoiceSummary>;

export const invoiceListItem = z.object({
  id: z.string(),
  /** The invoice's organization: the 组织 column of 「全部组织」, and where its detail lives. */
  orgId: z.string(),
  number: z.string().nullable(),
  color: z.enum(["blue", "red"]),
  status: invoiceStatus,
  invoiceType: z.string(),
  issuedAt: z.string().nullable(),
  createdAt: z.string(),
  buyerType: z.string(),
  buyerName: z.string(),
  buyerTaxId: z.string(),
  totals: totalsView,
  serialNo: z.string(),
  deviceNo: z.string().nullable(),
  source: z.string(),
  failureReason: z.string().nullable(),
  reverseReason: z.string().nullable(),
  /** A red invoice's 红字确认单 (number, state, times); null on a blue invoice. */
  redConfirmation: redConfirmationOut.nullable(),
});
export type InvoiceListItem = z.infer<typeof invoiceListItem>;

/** The console's line: the merchant's without the bare rate (the label says it). */
const line = invoiceLineView.omit({ taxRate: true });

const delivery = z.object({
  id: z.string(),
  channel: z.string(),
  recipient: z.string(),
  reason: z.string(),
  status: z.string(),
  attempts: z.number(),
  /** For a failed or bounced one: the receiving server's answer or the bounce report's reason. */
  lastError: z.string().nullable(),
  sentAt: z.string().nullable(),
  /** When the e-mail came back (status bounced). */
  bouncedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const webhookEvent = z.object({
  id: z.string(),
  type: z.string(),
  status: z.string(),
  createdAt: z.string(),
  attempts: z.array(
    z.object({
      attempt: z.number(),
      url: z.string(),
      statusCode: z.number().nullable(),
      error: z.string().nullable(),
      durationMs: z.number(),
      at: z.string(),
    }),
  ),
});

const related = z.object({ id: z.string(), number: z.string().nullable(), status: invoiceStatus });

export const invoiceDetail = invoiceListItem.extend({
  buyer: buyerView,
  email: z.string().nullable(),
  mobile: z.string().nullable(),
  drawer: z.string(),
  payee: z.string(),
  reviewer: z.string(),
  remark: z.string(),
  seq: z.number(),
  seqCount: z.number(),
  attempts: z.number(),
  failureCode: z.string().nullable(),
  lines: z.array(line),
  files: z.array(z.object({ kind: z.string(), size: z.number() })),
  receiptCode: z.object({
    id: z.string(),
    serialNo: z.string(),
    source: z.string(),
    status: z.string(),
    deviceNo: z.string().nullable(),
    createdAt: z.string(),
    scanCount: z.number(),
    firstScannedAt: z.string().nullable(),
    url: z.string(),
  }),
  /** A blue invoice's (latest) red counterpart, a red invoice's blue one. */
  red: related.nullable(),
  blue: related.nullable(),
  /** 红冲并重开: the invoice this corrected one replaced, and the corrected one that replaced this. */
  reissueOf: related.nullable(),
  reissuedAs: related.nullable(),
  /** A blue invoice's red invoices, oldest first (部分红冲 makes several). */
  reds: z.array(
    related.extend({ reason: z.string(), issuedAt: z.string().nullable(), totalAmount: z.string() }),
  ),
  /** An issued blue invoice: what remains reversible, per line and in total (as the open API's). */
  reversible: reversibleView.nullable(),
  deliveries: z.array(delivery),
  /**
   * 微信卡包 (CHANNELS.md §5): none (未加入) / authorizing / inserted / failed, and after 红冲
   * voiding (作废中: updatestatus not yet confirmed, retried) / voided; WeChat's words when a step
   * failed (a void's refusal or outage while voiding).
   */
  wechatCard: z.object({
    status: z.enum(["none", "authorizing", "inserted", "failed", "voiding", "voided"]),
    error: z.string().nullable(),
    at: z.string().nullable(),
  }),
  webhooks: z.array(webhookEvent),
  canResend: z.boolean(),
  canReverse: z.boolean(),
  canRetry: z.boolean(),
  /** 审核开票: held for the merchant's review, and the user may approve or decline it. */
  canReview: z.boolean(),
  /** Who asked for the red invoice (`user:…`, `app:…`), as its 确认单 keeps it. */
  redConfirmationRequestedBy: z.string().nullable(),
  /** A sandbox red invoice waiting for its 确认单: the console may confirm or refuse it as the buyer. */
  canDecideSandboxConfirmation: z.boolean(),
});
export type InvoiceDetail = z.infer<typeof invoiceDetail>;

export const resendBody = z
  .object({
    // Full-width ＠ and digits from a Chinese IME are folded first (DOMAIN.md §6).
    email: folded()
      .pipe(z.email({ error: "邮箱格式不正确" }).max(100))
      .optional()
      .or(z.literal("")),
    mobile: folded()
      .regex(/^1\d{10}$/, "手机号应为 11 位数字")
      .optional()
      .or(z.literal("")),
  })
  .refine((b) => b.email || b.mobile, { message: "请至少填写邮箱或手机号", path: ["email"] });

export const reverseBody = z.object({
  reason: z.enum(RED_REASONS, {
    error: `红冲原因须为：${RED_REASONS.join("、")}`,
  }),
  ...reverseParts,
});

export const fileParams = z.object({
  orgId: recordId(),
  id: recordId(),
  /** The legal files (the channel's own when it has them), and Piaoma's rendering as the preview. */
  kind: z.enum(["pdf", "ofd", "xml", "preview_pdf", "preview_xml"]),
});

export const sandboxConfirmationBody = z.object({
  decision: z.enum(["confirmed", "refused"], { error: "decision 只能是 confirmed 或 refused" }),
});
