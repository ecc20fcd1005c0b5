/** Shapes of the console's 开放接口 API (src/modules/open-api/open-api.console.*). */

export interface Credential {
  appKey: string;
  label: string;
  status: "active" | "revoked";
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** Answer of create and rotate: the only time the secret leaves the server. */
export interface IssuedCredential {
  appKey: string;
  appSecret: string;
  orgId: string;
}

export interface OpenApiSettings {
  orderQueryUrl: string | null;
  webhookUrl: string | null;
  allowPrivateUrls: boolean;
}

export interface WebhookAttempt {
  attempt: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  at: string;
}

export interface WebhookEvent {
  id: string;
  type: string;
  invoiceId: string | null;
  status: "pending" | "delivered" | "failed" | string;
  attempts: WebhookAttempt[];
  nextAttemptAt: string | null;
  createdAt: string;
}

export const EVENT_TYPE_LABELS: Record<string, string> = {
  "invoice.issued": "发票已开具",
  "invoice.failed": "开票失败",
  "invoice.reversed": "发票已红冲",
  "webhook.test": "测试事件",
};

export const EVENT_STATUS: Record<string, { label: string; color: string }> = {
  pending: { label: "投递中", color: "processing" },
  delivered: { label: "已送达", color: "green" },
  failed: { label: "投递失败", color: "red" },
};
