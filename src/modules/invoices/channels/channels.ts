import { registerChannel, sandboxSettings } from "./channel-registry";
import {
  createKingdeeAdapter,
  KINGDEE_FIELDS,
  KINGDEE_SECRET_KEYS,
  KINGDEE_URL_KEYS,
} from "./kingdee/kingdee.channel";
import { kingdeeSettingsSchema } from "./kingdee/settings";
import { createNuonuoChannel } from "./nuonuo/nuonuo.channel";
import { NUONUO_SECRET_KEYS, NUONUO_URL_KEYS, nuonuoSettings } from "./nuonuo/settings";
import { createSandboxChannel } from "./sandbox.js";

/**
 * Every issuing channel, registered once. To add one, write its settings schema
 * and factory in its own folder and register it here with `registerChannel({ id, label,
 * settingsSchema, secretKeys, urlKeys, fields, create })`; the command line (`tax-account:create
 * --channel`), `tax-account:test`, the console and the server pick it up from the registry.
 */
let registered = false;

export function registerBuiltInChannels(): void {
  if (registered) return;
  registered = true;
  registerChannel({
    id: "sandbox",
    label: "沙箱（演示与测试）",
    settingsSchema: sandboxSettings,
    secretKeys: [],
    urlKeys: [],
    fields: [
      {
        key: "redConfirmation",
        label: "红字确认单",
        placeholder: "auto",
        help: "填 required：红字发票须经购买方确认（在发票详情中模拟确认或拒绝）；留空或 auto：无需确认，立即开具",
      },
    ],
    partialRed: true,
    create: (deps) => createSandboxChannel(deps.database, deps.now),
  });
  registerChannel({
    id: "nuonuo",
    label: "诺诺 诺税通",
    settingsSchema: nuonuoSettings,
    secretKeys: NUONUO_SECRET_KEYS,
    urlKeys: NUONUO_URL_KEYS,
    fields: [
      { key: "appKey", label: "appKey", required: true },
      { key: "appSecret", label: "appSecret", required: true, secret: true },
      {
        key: "accessToken",
        label: "令牌（可选）",
        secret: true,
        help: "在诺诺开放平台设置令牌永不过期后粘贴；留空则由票码获取并保存",
      },
      { key: "extensionNumber", label: "分机号", help: "诺诺工作台中数电账号的分机号" },
      { key: "clerk", label: "开票员（可选）", help: "须与数电登录账号的开票员一致；留空则用发票的开票人" },
      { key: "apiUrl", label: "接口地址", placeholder: "https://sdk.nuonuo.com/open/v1/services" },
      { key: "tokenUrl", label: "令牌地址", placeholder: "https://open.nuonuo.com/accessToken" },
      {
        key: "fileHosts",
        label: "发票文件域名（可选）",
        help: "只从这些域名下载诺诺的发票文件（逗号分隔，.example.com 含子域名）；留空则用诺诺的已知域名和接口地址的域名",
      },
    ],
    // 部分红冲 through a partial 红字确认单 (detail[] per blue line, CHANNELS.md §1.8).
    partialRed: true,
    create: (deps) => createNuonuoChannel(deps),
  });
  registerChannel({
    id: "kingdee",
    label: "金蝶发票云旗舰版",
    settingsSchema: kingdeeSettingsSchema,
    secretKeys: KINGDEE_SECRET_KEYS,
    urlKeys: KINGDEE_URL_KEYS,
    fields: KINGDEE_FIELDS,
    // No partial red: ALLE.INVOICE.RED names only the blue invoice (CHANNELS.md §2.4).
    partialRed: false,
    create: (deps) => createKingdeeAdapter(deps),
  });
}
