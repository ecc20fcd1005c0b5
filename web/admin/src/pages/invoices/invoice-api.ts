/** Shapes of the console's invoice and statistics API (the server's zod schemas are the contract). */

export type InvoiceStatus = "pending" | "issuing" | "issued" | "failed" | "reversed" | "confirmation_pending";

export interface Totals {
  amountExcludingTax: string;
  taxAmount: string;
  totalAmount: string;
}

export interface InvoiceSummary {
  id: string;
  /** Whose invoice: the 组织 column of 「全部组织」, and where its detail is asked for. */
  orgId: string;
  number: string | null;
  color: "blue" | "red";
  status: InvoiceStatus;
  invoiceType: string;
  issuedAt: string | null;
  createdAt: string;
  buyerType: string;
  buyerName: string;
  buyerTaxId: string;
  totals: Totals;
  serialNo: string;
  deviceNo: string | null;
  source: string;
  failureReason: string | null;
  reverseReason: string | null;
}

export interface RelatedInvoice {
  id: string;
  number: string | null;
  status: InvoiceStatus;
}

export interface InvoiceDetail extends InvoiceSummary {
  buyer: {
    type: string;
    name: string;
    taxId: string;
    address: string;
    phone: string;
    bankName: string;
    bankAccount: string;
  };
  email: string | null;
  mobile: string | null;
  drawer: string;
  payee: string;
  reviewer: string;
  remark: string;
  seq: number;
  seqCount: number;
  attempts: number;
  failureCode: string | null;
  lines: Array<{
    kind: string;
    itemName: string;
    taxCode: string;
    spec: string;
    unit: string;
    quantity: string | null;
    unitPrice: string | null;
    amountExcludingTax: string;
    taxRateLabel: string;
    tax: string;
    amountIncludingTax: string;
  }>;
  files: Array<{ kind: string; size: number }>;
  receiptCode: {
    id: string;
    serialNo: string;
    source: string;
    status: string;
    deviceNo: string | null;
    createdAt: string;
    scanCount: number;
    firstScannedAt: string | null;
    url: string;
  };
  red: RelatedInvoice | null;
  blue: RelatedInvoice | null;
  deliveries: Array<{
    id: string;
    channel: string;
    recipient: string;
    reason: string;
    status: string;
    attempts: number;
    lastError: string | null;
    sentAt: string | null;
    createdAt: string;
    updatedAt: string;
  }>;
  webhooks: Array<{
    id: string;
    type: string;
    status: string;
    createdAt: string;
    attempts: Array<{
      attempt: number;
      url: string;
      statusCode: number | null;
      error: string | null;
      durationMs: number;
      at: string;
    }>;
  }>;
  canResend: boolean;
  canReverse: boolean;
  canRetry: boolean;
}

export interface StatsSlice {
  key: string;
  invoices: number;
  amount: string;
}

export interface Stats {
  from: string;
  to: string;
  orgIds: string[];
  summary: { invoices: number; amount: string; redInvoices: number; redAmount: string; netAmount: string };
  daily: Array<{ day: string; invoices: number; amount: string; redInvoices: number; redAmount: string }>;
  byInvoiceType: StatsSlice[];
  byBuyerType: StatsSlice[];
  byDevice: StatsSlice[];
  bySource: StatsSlice[];
  funnel: { codes: number; scanned: number; scans: number; submitted: number; invoiced: number };
  leadTime: { median: number | null; p90: number | null };
  failures: { total: number; reasons: Array<{ code: string; reason: string; count: number }> };
  deliveries: {
    failed: number;
    retrying: number;
    byChannel: Array<{ channel: string; status: string; count: number; lastError: string | null }>;
  };
  timings: Record<string, number>;
}

export const INVOICE_STATUS: Record<InvoiceStatus, { label: string; color: string }> = {
  pending: { label: "待开具", color: "default" },
  issuing: { label: "开具中", color: "processing" },
  issued: { label: "已开具", color: "green" },
  failed: { label: "开具失败", color: "red" },
  reversed: { label: "已红冲", color: "volcano" },
  confirmation_pending: { label: "待确认", color: "orange" },
};

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
};

export const DELIVERY_REASON: Record<string, string> = {
  submit: "开票后自动发送",
  resend: "消费者重发",
  operator: "操作员重发",
};

/** "1234.5" → "¥1,234.50"; negative amounts keep their sign (red invoices). */
export function yuan(amount: string | number): string {
  const n = Number(amount);
  const text = Math.abs(n).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `${n < 0 ? "-" : ""}¥${text}`;
}
