import { z } from "zod";
import { oneLine } from "../../platform/input";

const text = (max: number) => oneLine().max(max, `不能超过 ${max} 个字符`);

/** 换开's reasons as the consumer picks them. */
export const CORRECTION_REASONS = {
  title: "抬头错误",
  tax_id: "税号错误",
  invoice_type: "票种错误",
  other: "其他",
} as const;
export type CorrectionReason = keyof typeof CORRECTION_REASONS;
const reason = z.enum(Object.keys(CORRECTION_REASONS) as [CorrectionReason, ...CorrectionReason[]], {
  error: "请选择重开原因：抬头错误、税号错误、票种错误或其他",
});

const buyer = z.object({
  type: text(40),
  name: text(200),
  taxId: text(40).optional().nullable(),
  address: text(200).optional().nullable(),
  phone: text(60).optional().nullable(),
  bankName: text(200).optional().nullable(),
  bankAccount: text(60).optional().nullable(),
});

/** The consumer's 申请重开 (`POST /api/scan/{token}/corrections`). */
export const correctionBody = z.object({
  /**
   * The invoices the page showed. A correction re-issues every invoice of the purchase (a split
   * is one sale to one buyer): when given, they must be exactly those, else the purchase changed
   * since the page was loaded and the request is refused. May be left out.
   */
  invoiceIds: z.array(text(40)).min(1).max(100).optional(),
  /** One invoice of the purchase (older pages); the request still covers all of them. */
  invoiceId: text(40).optional(),
  reason,
  note: text(200).optional(),
  invoiceType: text(40),
  buyer,
  email: text(254).optional().nullable(),
  mobile: text(20).optional().nullable(),
});
export type CorrectionBody = z.infer<typeof correctionBody>;

/** The console's 红冲并重开 on an invoice. */
export const reissueBody = z.object({
  invoiceType: text(40),
  buyer,
  email: text(254).optional().nullable(),
  mobile: text(20).optional().nullable(),
});

export const refuseBody = z.object({ reason: text(200).min(1, "请填写拒绝原因") });

export const CORRECTION_STATUSES = ["pending", "approved", "refused"] as const;

export const correctionView = z.object({
  id: z.string(),
  invoiceId: z.string(),
  invoiceNumber: z.string().nullable(),
  reason: reason,
  reasonLabel: z.string(),
  note: z.string(),
  invoiceType: z.string(),
  buyer: z.object({ type: z.string(), name: z.string(), taxId: z.string() }),
  status: z.enum(CORRECTION_STATUSES),
  /** "auto" when the organization's rule approved it. */
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  refusalReason: z.string().nullable(),
  redInvoiceId: z.string().nullable(),
  newInvoiceId: z.string().nullable(),
  createdAt: z.string(),
});
export type CorrectionView = z.infer<typeof correctionView>;

export const consoleCorrection = correctionView.extend({
  /** The order number of the purchase's receipt (for a merged one, the receipt submitted). */
  orderNo: z.string(),
  /** Every receipt of the purchase (合并开票: several), the submitted one first. */
  orderNos: z.array(z.string()),
  /** While pending: the numbers of every invoice approval re-issues (拆票: several). */
  toReissue: z.array(z.string()),
  oldBuyer: z.object({ name: z.string(), taxId: z.string() }),
  email: z.string().nullable(),
  mobile: z.string().nullable(),
});
export const correctionListQuery = z.object({ status: z.enum(CORRECTION_STATUSES).optional() });
