import type { CodeStatus, Role } from "./api-types";

/** Chinese names of the values the API speaks in. */
export const INVOICE_TYPE_LABELS: Record<string, string> = {
  digital_normal: "电子发票（普通发票）",
  digital_special: "电子发票（增值税专用发票）",
};

export const INVOICE_TYPE_OPTIONS = Object.entries(INVOICE_TYPE_LABELS).map(([value, label]) => ({
  value,
  label,
}));

export const ROLE_LABELS: Record<Role, string> = { admin: "管理员", operator: "开票员", viewer: "只读" };

export const STATUS: Record<CodeStatus, { label: string; color: string }> = {
  active: { label: "可开票", color: "green" },
  disabled: { label: "已禁用", color: "default" },
  expired: { label: "已过期", color: "orange" },
  issuing: { label: "开票中", color: "processing" },
  invoiced: { label: "已开票", color: "blue" },
  failed: { label: "开票失败", color: "red" },
  refunded: { label: "已退款", color: "default" },
  merged: { label: "已合并开票", color: "cyan" },
};

export const SOURCE_LABELS: Record<string, string> = {
  manual: "手工新增",
  push: "接口推送",
  link: "链接生成",
};

export const TAX_RATE_OPTIONS = [
  { value: "0.13", label: "13%" },
  { value: "0.09", label: "9%" },
  { value: "0.06", label: "6%" },
  { value: "0.05", label: "5%" },
  { value: "0.03", label: "3%" },
  { value: "0.015", label: "1.5%" },
  { value: "0.01", label: "1%" },
  { value: "0", label: "0%" },
];

export const ZERO_RATE_OPTIONS = [
  { value: "exempt", label: "免税" },
  { value: "not_taxable", label: "不征税" },
  { value: "ordinary_zero", label: "普通零税率" },
  { value: "export", label: "出口零税率" },
];

export const TAX_ACCOUNT_STATUS: Record<string, { label: string; color: string }> = {
  online: { label: "在线", color: "green" },
  reauth: { label: "需重新认证", color: "orange" },
  offline: { label: "离线", color: "red" },
};

export const AUDIT_ACTIONS: Record<string, string> = {
  "organization.create": "新增组织",
  "organization.update": "修改组织信息",
  "config.update": "修改小票码配置",
  "tax_account.create": "新增电子税局账号",
  "tax_account.update": "修改电子税局账号",
  "device.create": "新增设备",
  "device.update": "修改设备",
  "item.create": "新增开票项",
  "item.update": "修改开票项",
  "item.import": "导入开票项",
  "receipt_code.create": "新增小票码",
  "receipt_code.copy": "复制小票码",
  "receipt_code.update": "修改小票码",
  "receipt_code.disable": "禁用小票码",
  "receipt_code.print": "打印小票",
  "user.create": "新增用户",
  "user.update": "修改用户",
  "user.add": "用户加入组织",
  "user.remove": "移出组织",
  "user.password": "修改密码",
  "credentials.create": "创建开放接口凭据",
  "credentials.revoke": "吊销开放接口凭据",
  "organization.open_api_settings": "修改开放接口地址",
  "webhook.redeliver": "重新投递事件通知",
  "invoice.issued": "发票开具成功",
  "invoice.failed": "发票开具失败",
  "invoice.resend": "重新发送发票",
  "invoice.retry": "重试开具",
  "invoice.reverse": "红冲发票",
  "invoice.red_confirmation": "红字确认单状态变化",
  "invoice.sandbox_confirmation": "沙箱确认单确认/拒绝",
  "scan.submit": "消费者提交开票",
  "scan.resend": "消费者重发发票",
  "correction.apply": "消费者申请重开",
  "correction.approve": "同意重开",
  "correction.refuse": "拒绝重开",
  "exception_settings.update": "修改异常提醒设置",
  "invoice.reissue": "红冲并重开",
  "invoice.review_approve": "审核通过",
  "invoice.review_decline": "审核拒绝",
  "organization.integrations.update": "修改微信与抬头查询设置",
  "organization.integrations.wechat_card_setup": "开通微信卡包",
  "organization.sms.update": "修改短信设置",
  "receipt_code.refund": "小票退款",
  "review_rule.create": "新增审核规则",
  "review_rule.delete": "删除审核规则",
  "store_code.print": "打印门店码",
  "tax_account.test": "测试电子税局账号连接",
  "tax_account.qr_refresh": "刷新扫码认证二维码",
};

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}
