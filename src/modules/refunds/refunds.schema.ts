import { z } from "zod";
import { oneLine } from "../../platform/input";
import { reverseParts } from "../invoices/invoices.merchant.schema";
import { totalsView as totals } from "../invoices/invoices.schema";
import { receiptCodeStatus } from "../receipt-codes/receipt-codes.schema";

/** What became of a refund (API.md §1 refunds). */
export const REFUND_STATUSES = ["reduced", "closed", "awaiting_invoice", "reversing", "manual"] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

export const REFUND_STATUS_LABELS: Record<RefundStatus, string> = {
  reduced: "已扣减小票",
  closed: "小票已关闭",
  awaiting_invoice: "待开票后红冲",
  reversing: "已红冲",
  manual: "需人工处理",
};

/** `POST /open/v1/receipt-codes/{orderNo}/refunds`: lines or amount as for a partial red invoice. */
export const refundBody = z
  .object({
    refundNo: oneLine()
      .min(1, "请填写退款单号 refundNo")
      .max(64, "refundNo 不能超过 64 个字符")
      .regex(/^[\x21-\x7E]+$/, "refundNo 只能包含字母、数字和符号"),
    reason: oneLine().min(1, "请填写退款原因").max(50, "退款原因过长"),
    ...reverseParts,
  })
  .meta({ example: { refundNo: "R-1", reason: "销货退回", lines: [{ lineNo: 1, quantity: "1" }] } });
export type RefundBody = z.infer<typeof refundBody>;

export const reversal = z.object({ blueInvoiceId: z.string(), redInvoiceId: z.string() });
export type Reversal = z.infer<typeof reversal>;

export const refundView = z.object({
  refundNo: z.string(),
  orderNo: z.string(),
  reason: z.string(),
  lines: z.unknown().nullable(),
  amount: z.string().nullable(),
  /**
   * reduced 小票已扣减 · closed 全部退款，小票已关闭 · awaiting_invoice 正在开票，开具后自动红冲 ·
   * reversing 已开红字发票（见 redInvoiceId）· manual 需在控制台人工处理（见 note）
   */
  status: z.enum(REFUND_STATUSES),
  /** What the refund took, tax included (null while it waits for the invoice). */
  totalAmount: z.string().nullable(),
  note: z.string(),
  blueInvoiceId: z.string().nullable(),
  redInvoiceId: z.string().nullable(),
  /**
   * Every blue invoice reversed with its red invoice: one for a single code; for a receipt merged
   * with others (合并开票) whose lines were split over several invoices, one per invoice.
   */
  reversals: z.array(reversal),
  createdAt: z.string(),
  /** The code after the refund. */
  receiptCode: z.object({ status: receiptCodeStatus, totals }),
});
export type RefundView = z.infer<typeof refundView>;

/** The console's refund (on a code's and an invoice's page). */
export const consoleRefund = refundView.extend({ id: z.string(), statusLabel: z.string() });
