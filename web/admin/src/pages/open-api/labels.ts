/** The labels of the console's 开放接口 values (webhook event types and delivery states). */

export const EVENT_TYPE_LABELS: Record<string, string> = {
  "invoice.issued": "发票已开具",
  "invoice.failed": "开票失败",
  "invoice.reversed": "发票已红冲",
  "invoice.red_confirmation": "红字确认单状态变化",
  "receipt_code.refunded": "小票已退款",
  "webhook.test": "测试事件",
};

export const EVENT_STATUS: Record<string, { label: string; color: string }> = {
  pending: { label: "投递中", color: "processing" },
  delivered: { label: "已送达", color: "green" },
  failed: { label: "投递失败", color: "red" },
};
