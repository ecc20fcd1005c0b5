import type { Logger } from "pino";
import type { SmsSettings } from "../../config";
import type { Database } from "../../platform/db/client";
import { createLogSmsProvider, type SmsProvider } from "./sms";
import { createAliyunSmsProvider } from "./sms-aliyun";
import { createTencentSmsProvider } from "./sms-tencent";

/** The installation's provider (PIAOMA_SMS_PROVIDER); its secrets stay inside the adapter. */
export function createSmsProvider(settings: SmsSettings, database: Database, log: Logger): SmsProvider {
  if (settings.provider === "aliyun" && settings.aliyun) return createAliyunSmsProvider(settings.aliyun);
  if (settings.provider === "tencent" && settings.tencent) return createTencentSmsProvider(settings.tencent);
  return createLogSmsProvider(database, log);
}
