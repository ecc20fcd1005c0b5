import type { Logger } from "pino";
import type { Database } from "../../platform/db/client";
import { smsOutbox } from "../../platform/db/schema";
import { newId } from "../../platform/ids";

/** An SMS gateway. Real gateways are adapters; the built-in `log` one records the message. */
export interface SmsProvider {
  readonly id: string;
  send(mobile: string, text: string): Promise<void>;
}

export function createLogSmsProvider(database: Database, log: Logger): SmsProvider {
  return {
    id: "log",
    send: async (mobile, text) => {
      await database.db.insert(smsOutbox).values({ id: newId("sms"), mobile, text });
      log.info({ mobile, text }, "SMS recorded by the log provider");
    },
  };
}
