/** The labels of the console's invoice and statistics values, and money as the pages show it. */
import {
  RED_CONFIRMATION_LABELS,
  type RedConfirmationStatus,
} from "../../../../../src/domain/red-confirmation";
import type { InvoiceStatus } from "../../api-types";

export const INVOICE_STATUS: Record<InvoiceStatus, { label: string; color: string }> = {
  pending: { label: "待开具", color: "default" },
  issuing: { label: "开具中", color: "processing" },
  issued: { label: "已开具", color: "green" },
  failed: { label: "开具失败", color: "red" },
  reversed: { label: "已红冲", color: "volcano" },
  partially_reversed: { label: "部分红冲", color: "orange" },
  confirmation_pending: { label: "待确认", color: "orange" },
  awaiting_review: { label: "待审核", color: "gold" },
  review_refused: { label: "审核拒绝", color: "red" },
};

/** 红字确认单 states (src/domain/red-confirmation.ts) with their tag colours. */
const RED_CONFIRMATION_COLORS: Record<RedConfirmationStatus, string> = {
  requested: "processing",
  no_confirmation_needed: "green",
  pending: "orange",
  confirmed: "green",
  refused: "red",
  expired: "default",
  failed: "red",
};
export const RED_CONFIRMATION = Object.fromEntries(
  Object.entries(RED_CONFIRMATION_LABELS).map(([status, label]) => [
    status,
    { label, color: RED_CONFIRMATION_COLORS[status as RedConfirmationStatus] },
  ]),
) as Record<RedConfirmationStatus, { label: string; color: string }>;

export const BUYER_TYPE_LABELS: Record<string, string> = {
  individual: "个人",
  enterprise: "企业",
  non_enterprise: "非企业单位",
};

export const RED_REASONS = ["开票有误", "销货退回", "服务中止", "销售折让"] as const;

export const DELIVERY_STATUS: Record<string, { label: string; color: string }> = {
  pending: { label: "发送中", color: "processing" },
  sent: { label: "已发送", color: "green" },
  failed: { label: "发送失败", color: "red" },
  bounced: { label: "被退回", color: "volcano" },
};

export const DELIVERY_REASON: Record<string, string> = {
  submit: "开票后自动发送",
  resend: "消费者重发",
  operator: "操作员重发",
};

/** Money as the pages show it: the console's one formatter (web/admin/src/money.ts). */
export { yuan } from "../../money";
