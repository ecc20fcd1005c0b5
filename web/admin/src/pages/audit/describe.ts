import { INVOICE_TYPE_LABELS, ROLE_LABELS, SOURCE_LABELS, STATUS } from "../../labels";
import { BUYER_TYPE_LABELS, RED_CONFIRMATION } from "../invoices/invoice-labels";

/** The Chinese name of each key the audit entries carry (src/modules/*: recordAudit details). */
export const FIELD_LABELS: Record<string, string> = {
  serialNo: "流水号",
  attempt: "投递次数",
  totalAmount: "价税合计",
  format: "纸张",
  fromSerialNo: "复制自",
  name: "名称",
  code: "编码",
  limit: "限额",
  username: "用户名",
  role: "角色",
  displayName: "姓名",
  passwordChanged: "重置密码",
  unlocked: "解除锁定",
  deviceNo: "设备编号",
  created: "新增",
  updated: "更新",
  source: "来源",
  taxRate: "税率",
  taxId: "税号",
  overLimitPolicy: "超限额处理",
  fileName: "文件",
  isActive: "启用",
  number: "发票号码",
  issued: "已取得新二维码",
  reason: "原因",
  buyerType: "购买方类型",
  defaultBuyerType: "默认购买方类型",
  invoiceTypes: "可选票种",
  defaultInvoiceType: "默认发票种类",
  validDays: "有效期（天）",
  defaultDrawer: "默认开票人",
  defaultPayee: "默认收款人",
  defaultReviewer: "默认复核人",
  defaultTaxAccountId: "默认电子税局账号",
  mergeEnabled: "合并开票",
  mergeMaxReceipts: "合并小票上限",
  email: "邮箱",
  mobile: "手机号",
  channel: "渠道",
  message: "说明",
  decision: "决定",
  label: "状态",
  status: "状态",
  problem: "问题",
  whole: "全额",
  myInvoicesListed: "我的发票可查",
  signName: "短信签名",
  templateCode: "短信模板",
  merged: "合并的小票",
  previousFailure: "此前失败原因",
  invoiceType: "发票种类",
  invoiceCount: "发票张数",
  heldForReview: "待审核",
  minAmount: "金额不低于",
  refundNo: "退款单号",
  refusalReason: "拒绝原因",
  decidedBy: "处理方式",
  pendingSubmissionHours: "门店码等待时长（小时）",
  skipped: "跳过行数",
  bulk: "批量操作",
  stuckMinutes: "开具超时提醒（分钟）",
  expiringDays: "到期提醒（天）",
  creditThreshold: "授信额度提醒",
  wechatAppId: "微信 AppID",
  wechatSecretChanged: "更换微信密钥",
  titleProvider: "抬头查询服务",
  titleProviderKeyChanged: "更换抬头查询密钥",
  wechatInvoiceCard: "微信卡包",
  sheet: "批量打印（A4 拼版）",
};

/** Values the API speaks in, as people read them. */
const VALUE_LABELS: Record<string, string> = {
  ...SOURCE_LABELS,
  ...INVOICE_TYPE_LABELS,
  ...BUYER_TYPE_LABELS,
  ...ROLE_LABELS,
  reject: "拒绝开票",
  split: "拆分开票",
  sms: "短信",
  true: "是",
  false: "否",
  confirm: "确认",
  reject_confirmation: "拒绝",
  "80mm": "80mm 小票",
  "58mm": "58mm 小票",
  a4: "A4",
};

/** Pairs recorded as two keys: the old value's key and the new one's. */
const PAIRS: Array<[before: string, after: string]> = [
  ["previousRole", "role"],
  ["previouslyActive", "isActive"],
  ["from", "to"],
];

function valueText(key: string, value: unknown): string {
  if (value === null || value === undefined || value === "") return "（空）";
  if (Array.isArray(value)) return value.map((v) => valueText(key, v)).join("、") || "（空）";
  if (typeof value === "object") return "…";
  const text = String(value);
  // Who decided a 重开申请: the rule, or an operator (named in the entry's own 操作人 column).
  if (key === "decidedBy") return text === "auto" ? "按规则自动同意" : "操作员处理";
  if (key === "status" || key === "from" || key === "to")
    return (
      RED_CONFIRMATION[text as keyof typeof RED_CONFIRMATION]?.label ??
      STATUS[text as keyof typeof STATUS]?.label ??
      VALUE_LABELS[text] ??
      text
    );
  return VALUE_LABELS[text] ?? text;
}

function label(key: string): string {
  return FIELD_LABELS[key] ?? key;
}

/**
 * An audit entry's details as readable parts: 字段：值, and 字段：原值 → 新值 for what an update
 * changed (`details.changes`, and the pairs above). Ids and nested data the page cannot show are
 * left out; a key with no Chinese name shows as itself.
 */
export function describeAudit(details: Record<string, unknown> | null | undefined): string[] {
  if (!details) return [];
  const parts: string[] = [];
  const used = new Set<string>();
  const changes = details.changes;
  if (changes && typeof changes === "object") {
    used.add("changes");
    for (const [key, change] of Object.entries(
      changes as Record<string, { before: unknown; after: unknown }>,
    )) {
      used.add(key);
      parts.push(`${label(key)}：${valueText(key, change.before)} → ${valueText(key, change.after)}`);
    }
  }
  for (const [before, after] of PAIRS) {
    if (before in details && after in details) {
      used.add(before);
      used.add(after);
      // A confirmation's move also carries its new state's Chinese name: said by the pair already.
      if (after === "to") used.add("label");
      const key = after === "to" ? "status" : after;
      parts.push(`${label(key)}：${valueText(after, details[before])} → ${valueText(after, details[after])}`);
    }
  }
  for (const [key, value] of Object.entries(details)) {
    // Ids and timestamps say nothing to a reader (the entry has its own time).
    if (used.has(key) || key === "id" || key.endsWith("Id") || key.endsWith("Ids") || key.endsWith("At"))
      continue;
    if (value === null || value === undefined) continue;
    if (typeof value === "object" && !Array.isArray(value)) continue;
    if (Array.isArray(value) && value.some((v) => typeof v === "object")) continue;
    parts.push(`${label(key)}：${valueText(key, value)}`);
  }
  return parts;
}
