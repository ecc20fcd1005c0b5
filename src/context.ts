import type { Logger } from "pino";
import type { Config } from "./config";
import type { DeliveryState } from "./modules/deliveries/deliveries.service";
import type { Mailer } from "./modules/deliveries/mailer";
import type { SmsProvider } from "./modules/deliveries/sms";
import type { FileStore } from "./modules/files/file-store";
import type { ChannelAdapter } from "./modules/invoices/channels/channel";
import type { OrgViews } from "./modules/scan/org-views";
import type { ScanCounts } from "./modules/scan/scan-counts";
import type { TitleProviderFactory } from "./modules/scan/titles/title-provider";
import type { WechatClient } from "./modules/wechat/wechat.client";
import type { BackgroundWork } from "./platform/background";
import type { Keyring } from "./platform/crypto";
import type { Database } from "./platform/db/client";
import type { JobQueue } from "./platform/jobs";
import type { Metrics } from "./platform/metrics";

/**
 * What services need from the platform, built once by buildApp and passed explicitly as the first
 * argument. No container, no globals.
 */
export interface AppContext {
  config: Config;
  database: Database;
  keyring: Keyring;
  jobs: JobQueue;
  log: Logger;
  providers: Providers;
  /** The deliveries being sent now and their open "sent" mark (deliveries.service), per app. */
  deliveries: DeliveryState;
  /** Prometheus counters and gauges of this application (platform/metrics.ts, GET /metrics). */
  metrics: Metrics;
  /** Issuing a submit no longer waits for, drained at shutdown (platform/background.ts), per app. */
  background: BackgroundWork;
  /** The scans (first loads) counted and not yet written (scan-counts.ts), written at shutdown. */
  scans: ScanCounts;
  /** What the scan shows of each organization, kept per process until it changes (org-views.ts). */
  orgViews: OrgViews;
}

/** Replaceable parts behind interfaces (STYLE.md §8), chosen at composition time. */
export interface Providers {
  /** Issuing channels by id (`sandbox` built in). */
  channels: Map<string, ChannelAdapter>;
  /**
   * Waits this long (the pause before asking a channel again about an invoice it answered 开票中).
   * A timer by default; tests pass one that moves a stand-in's clock instead.
   */
  sleep: (ms: number) => Promise<void>;
  /** The time now, for rules that count minutes (我的发票's code lifetime and throttles); tests move it. */
  clock: () => Date;
  files: FileStore;
  mailer: Mailer;
  sms: SmsProvider;
  /**
   * Company-registry services for the 抬头 lookup by id (`tianyancha`); an organization chooses one
   * with its key in the console, else it has no lookup (never other buyers' titles).
   */
  titles: Record<string, TitleProviderFactory>;
  /** WeChat's jsapi_ticket per 公众号, kept sealed (the consumer page's 微信抬头). */
  wechat: WechatClient;
}

/** Who is acting. Services take it in their options and enforce what it may see. */
export type Actor =
  | {
      type: "user";
      userId: string;
      username: string;
      /**
       * The user's role in each organization where its membership is active: a role is granted per
       * organization, never across them (src/modules/auth/access.ts).
       */
      roles: ReadonlyMap<string, "admin" | "operator" | "viewer">;
      /** The keys of `roles`, in the order the session lists the organizations. */
      orgIds: string[];
    }
  | { type: "app"; appKey: string; orgId: string }
  | { type: "consumer"; token: string }
  | { type: "system"; reason: string };

export const systemActor = (reason: string): Actor => ({ type: "system", reason });
