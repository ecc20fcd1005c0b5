import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import type { Config } from "./config";
import { registerConsoleRoutes } from "./console-api";
import type { AppContext, Providers } from "./context";
import { registerCorrectionScanRoutes } from "./modules/corrections/corrections.routes";
import { type BounceListener, startBounceListener } from "./modules/deliveries/bounces";
import { registerBounceRoutes } from "./modules/deliveries/bounces.routes";
import { createDeliveryState, deliverySweep, drainDeliveries } from "./modules/deliveries/deliveries.service";
import { createMailer } from "./modules/deliveries/mailer";
import { createSmsProvider } from "./modules/deliveries/sms-providers";
import { registerSmsReportRoutes } from "./modules/deliveries/sms-reports";
import {
  DIGEST_CRON,
  DIGEST_QUEUE,
  registerDigestRoutes,
  runDailyDigests,
} from "./modules/digest/digest.service";
import { createDatabaseFileStore, createLocalFileStore, createS3FileStore } from "./modules/files/file-store";
import { registerHealthRoutes } from "./modules/health/health.routes";
import { countRequests, defineDatabaseGauges, registerMetricsRoute } from "./modules/health/metrics.routes";
import { registerChannelCallbackRoutes } from "./modules/invoices/channel-callbacks.routes";
import { createChannels } from "./modules/invoices/channels/channel-registry";
import { registerBuiltInChannels } from "./modules/invoices/channels/channels";
import { webhookDataNow } from "./modules/invoices/invoices.merchant";
import { invoiceWebhookDocs } from "./modules/invoices/invoices.merchant.schema";
import { channelFilesSweep } from "./modules/invoices/issuing.files";
import { issueSweep, redConfirmationPollSweep } from "./modules/invoices/issuing.sweep";
import { redConfirmationExpirySweep } from "./modules/invoices/red-confirmation";
import { registerMyInvoicesRoutes } from "./modules/my-invoices/my-invoices.routes";
import {
  deleteStaleLoginRows,
  MY_LOGIN_CLEANUP_CRON,
  MY_LOGIN_CLEANUP_QUEUE,
} from "./modules/my-invoices/my-login.service";
import { registerInvoiceFileRoute } from "./modules/open-api/open-api.invoices.routes";
import {
  deleteExpiredNonces,
  NONCE_CLEANUP_CRON,
  NONCE_CLEANUP_QUEUE,
} from "./modules/open-api/open-api.jobs";
import { registerOpenApiRoutes } from "./modules/open-api/open-api.routes";
import { registerOrderLinkRoute } from "./modules/open-api/order-link.routes";
import { refundsSweep } from "./modules/refunds/refunds.service";
import { OrgViews } from "./modules/scan/org-views";
import { registerScanRoutes } from "./modules/scan/scan.routes";
import { registerWechatCardEventRoute } from "./modules/scan/scan.wechat-card.routes";
import { ScanCounts } from "./modules/scan/scan-counts";
import { tianyanchaProvider } from "./modules/scan/titles/tianyancha";
import {
  deleteOldTypedMisses,
  TYPED_MISSES_CLEANUP_CRON,
  TYPED_MISSES_CLEANUP_QUEUE,
} from "./modules/scan/typed-code-misses";
import { refreshStatsRollup, STATS_ROLLUP_CRON, STATS_ROLLUP_QUEUE } from "./modules/stats/stats.service";
import { registerStoreCodeScanRoutes } from "./modules/store-codes/store-codes.routes";
import { pendingExpirySweep } from "./modules/store-codes/store-codes.service";
import { accountCheckSweep, creditCheckSweep } from "./modules/tax-accounts/tax-accounts.sweep";
import { sendWebhookAttempt, WEBHOOK_QUEUE } from "./modules/webhooks/webhooks.service";
import { cardVoidSweep } from "./modules/wechat/card-void";
import { createWechatClient } from "./modules/wechat/wechat.client";
import { BackgroundWork } from "./platform/background";
import { Keyring, loadOrCreateMasterSecret } from "./platform/crypto";
import { type Database, openPglite, openPostgres } from "./platform/db/client";
import { type DataDirLock, lockDataDir } from "./platform/db/data-dir-lock";
import { runMigrations } from "./platform/db/migrate";
import { createHttpServer, type HttpServer, registerOpenApi } from "./platform/http";
import { JobQueue } from "./platform/jobs";
import { createLogger } from "./platform/logger";
import { Metrics } from "./platform/metrics";
import { Sweeper } from "./platform/sweeper";
import { registerWeb } from "./platform/web";

export const version: string = JSON.parse(
  fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../package.json"), "utf8"),
).version;

export interface BuildOptions {
  logger?: Logger;
  /** An already open (and possibly migrated) database; tests pass one. Closed by close() only if opened here. */
  database?: Database;
  /** Start pg-boss (and its workers when the process has the worker role). Default true. */
  startJobs?: boolean;
  /** Serve the built console and consumer page. Default true. */
  serveWeb?: boolean;
  /** Replace built-in providers (a test's SMTP mailer, a scripted channel). */
  providers?: Partial<Providers>;
}

export interface App {
  http: HttpServer;
  ctx: AppContext;
  /** The inbound SMTP listener for bounces, when MAIL_BOUNCE_SMTP_PORT is set. */
  bounceListener?: BounceListener;
  /**
   * Stops accepting (new connections are refused; a request on an open connection is still served,
   * with `Connection: close`), lets requests in flight, sweeps, jobs and background issuing finish
   * within `deadlineSeconds` (default `shutdownSeconds`), releases what is left to other processes,
   * then closes the database.
   */
  close(options?: { deadlineSeconds?: number }): Promise<ShutdownReport>;
}

export interface ShutdownReport {
  /** True when everything finished before the deadline. */
  drained: boolean;
  /** Rows claimed by this process's sweeps, or issued in the background, handed back unfinished. */
  released: number;
}

/** Opens the configured database; PGlite's data folder is locked to this process first. */
export async function openDatabase(config: Config): Promise<{ database: Database; lock?: DataDirLock }> {
  if (config.database.kind === "postgres") {
    return { database: openPostgres(config.database.url, config.database.poolSize) };
  }
  const lock = lockDataDir(config.dataDir);
  try {
    return { database: await openPglite(config.database.dataDir), lock };
  } catch (e) {
    lock.release();
    throw e;
  }
}

/**
 * The composition root: the one place that wires platform, modules and routes together.
 * Nothing listens here; main.ts (or a test) decides that.
 */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<App> {
  const log = options.logger ?? createLogger(config.logLevel);
  const opened = options.database ? { database: options.database } : await openDatabase(config);
  const { database } = opened;
  const lock = "lock" in opened ? opened.lock : undefined;
  const cleanup: Array<() => Promise<void>> = [];
  if (!options.database) cleanup.push(() => database.close());
  if (lock) cleanup.push(async () => lock.release());

  try {
    await runMigrations(database);
    const keyring = new Keyring(loadOrCreateMasterSecret(config.secret, config.dataDir));
    const jobs = new JobQueue(database, config.roles, log, config.tuning.jobMaintenanceSeconds);
    const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, log });
    cleanup.push(async () => mailer.close());
    registerBuiltInChannels();
    const metrics = new Metrics();
    const providers: Providers = {
      channels: createChannels({
        database,
        keyring,
        allowPrivateUrls: config.allowPrivateUrls,
        warn: (message, detail) => log.warn(detail ?? {}, message),
      }),
      files:
        config.fileStore === "s3" && config.s3
          ? createS3FileStore(database, config.s3, path.join(config.dataDir, "files"))
          : config.fileStore === "local"
            ? createLocalFileStore(database, path.join(config.dataDir, "files"))
            : createDatabaseFileStore(database),
      mailer,
      sms: createSmsProvider(config.sms, database, log),
      titles: { tianyancha: tianyanchaProvider({ apiUrl: config.services.tianyanchaApiUrl }) },
      wechat: createWechatClient({ database, keyring, apiUrl: config.services.wechatApiUrl }),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      clock: () => new Date(),
      ...options.providers,
    };
    const ctx: AppContext = {
      config,
      database,
      keyring,
      jobs,
      log,
      providers,
      deliveries: createDeliveryState(),
      background: new BackgroundWork(),
      metrics,
      scans: new ScanCounts(database, { delayMs: config.tuning.scanCountMs, log }),
      orgViews: new OrgViews(database),
    };
    ctx.orgViews.start(log);
    cleanup.unshift(() => ctx.orgViews.close());
    defineDatabaseGauges(ctx);

    // Background work: sweeps over tables that are their own queue, and each module's job queues.
    const sweeper = new Sweeper(log, (sweep, result) => {
      metrics.sweepRuns.inc({ sweep, result: "error" in result ? "error" : "ok" });
      if ("rows" in result && result.rows > 0) metrics.sweepRows.inc({ sweep }, result.rows);
    });
    sweeper.define(issueSweep(ctx));
    sweeper.define(deliverySweep(ctx));
    sweeper.define(accountCheckSweep(ctx));
    sweeper.define(creditCheckSweep(ctx));
    sweeper.define(pendingExpirySweep(ctx));
    sweeper.define(channelFilesSweep(ctx));
    sweeper.define(redConfirmationExpirySweep(ctx));
    sweeper.define(refundsSweep(ctx));
    sweeper.define(redConfirmationPollSweep(ctx));
    sweeper.define(cardVoidSweep(ctx));

    // One job per webhook attempt; the next attempt of the ladder is a new job (webhooks.service).
    jobs.define<{ eventId: string; attempt: number }>({
      name: WEBHOOK_QUEUE,
      retryLimit: 2,
      retryDelay: 30,
      retryBackoff: false,
      expireInSeconds: config.tuning.jobExpireSeconds,
      pollingIntervalSeconds: config.tuning.jobPollSeconds,
      concurrency: 4,
      handler: (data) => sendWebhookAttempt(ctx, data, (type, event) => webhookDataNow(ctx, type, event)),
    });

    // Rows past use, deleted on a cron in a worker; at most one such job queued at a time each.
    const cleanupJob = (name: string, cron: string, run: () => Promise<number>, what: string) =>
      jobs.define({
        name,
        policy: "stately",
        cron,
        retryLimit: 0,
        expireInSeconds: config.tuning.jobExpireSeconds,
        pollingIntervalSeconds: config.tuning.jobPollSeconds,
        handler: async () => {
          const deleted = await run();
          if (deleted > 0) log.debug({ deleted }, `${what} deleted`);
        },
      });
    // Expired open-API nonces, once a minute.
    cleanupJob(
      NONCE_CLEANUP_QUEUE,
      NONCE_CLEANUP_CRON,
      () => deleteExpiredNonces(ctx),
      "expired open-API nonces",
    );
    // Typed 开票码 misses of days before yesterday, once an hour.
    cleanupJob(
      TYPED_MISSES_CLEANUP_QUEUE,
      TYPED_MISSES_CLEANUP_CRON,
      () => deleteOldTypedMisses(ctx),
      "old typed-code misses",
    );
    // 我的发票: login codes and sessions past use, once an hour.
    cleanupJob(
      MY_LOGIN_CLEANUP_QUEUE,
      MY_LOGIN_CLEANUP_CRON,
      () => deleteStaleLoginRows(ctx),
      "stale 我的发票 codes and sessions",
    );

    // The daily digest: every few minutes in a worker; each organization's digest once a day (digest_runs).
    jobs.define({
      name: DIGEST_QUEUE,
      policy: "stately",
      cron: DIGEST_CRON,
      retryLimit: 0,
      expireInSeconds: config.tuning.jobExpireSeconds,
      pollingIntervalSeconds: config.tuning.jobPollSeconds,
      handler: async () => {
        const sent = await runDailyDigests(ctx);
        if (sent > 0) log.info({ sent }, "daily digests sent");
      },
    });

    // 统计分析: the rollup of settled days kept up to date ahead of the requests, every few minutes.
    jobs.define({
      name: STATS_ROLLUP_QUEUE,
      policy: "stately",
      cron: STATS_ROLLUP_CRON,
      retryLimit: 0,
      // The first run over years of history builds every day once: minutes, in chunks that commit.
      expireInSeconds: Math.max(config.tuning.jobExpireSeconds, 3600),
      pollingIntervalSeconds: config.tuning.jobPollSeconds,
      handler: async () => {
        const { days } = await refreshStatsRollup(ctx);
        if (days > 0) log.debug({ days }, "statistics rollup: days built");
      },
    });

    const { tuning } = config;
    const http = createHttpServer({
      logger: log,
      version,
      trustProxy: config.trustProxy,
      timeouts: {
        requestMs: tuning.httpRequestTimeoutSeconds * 1000,
        headersMs: tuning.httpHeadersTimeoutSeconds * 1000,
        idleMs: tuning.httpIdleTimeoutSeconds * 1000,
        keepAliveMs: tuning.httpKeepAliveSeconds * 1000,
      },
    });
    countRequests(http, metrics);
    await registerOpenApi(http, version, invoiceWebhookDocs());
    registerHealthRoutes(http, ctx, version);
    registerMetricsRoute(http, ctx);
    registerDigestRoutes(http, ctx);
    const scan = await registerScanRoutes(http, ctx);
    await registerStoreCodeScanRoutes(http, ctx);
    await registerMyInvoicesRoutes(http, ctx);
    await registerCorrectionScanRoutes(http, ctx);
    await registerOpenApiRoutes(http, ctx);
    await registerChannelCallbackRoutes(http, ctx);
    await registerBounceRoutes(http, ctx);
    await registerWechatCardEventRoute(http, ctx);
    await registerSmsReportRoutes(http, ctx);
    registerInvoiceFileRoute(http, ctx);
    registerOrderLinkRoute(http, ctx);
    await registerConsoleRoutes(http, ctx);
    if (options.serveWeb !== false && config.roles.includes("api"))
      await registerWeb(http, { scanPageData: scan.pageData });

    if (options.startJobs !== false) {
      await jobs.start();
      cleanup.unshift(() => jobs.stop());
      if (config.roles.includes("worker")) {
        sweeper.start();
        cleanup.unshift(async () => void (await sweeper.stop()));
      }
    }
    // Bounces returned by SMTP (MAIL_BOUNCE_SMTP_PORT), received by the api role.
    let bounceListener: BounceListener | undefined;
    if (config.mailBounce.smtpPort !== undefined && config.roles.includes("api")) {
      const listener = await startBounceListener(ctx, {
        port: config.mailBounce.smtpPort,
        host: config.host,
      });
      bounceListener = listener;
      cleanup.unshift(() => listener.close());
    }
    await http.ready();
    let closing: Promise<ShutdownReport> | undefined;
    const close = async (deadlineSeconds: number): Promise<ShutdownReport> => {
      const deadline = Date.now() + deadlineSeconds * 1000;
      const left = () => Math.max(0, deadline - Date.now());
      const within = async <T>(work: Promise<T>): Promise<T | "late"> => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<"late">((resolve) => {
          timer = setTimeout(() => resolve("late"), left());
        });
        try {
          return await Promise.race([work, late]);
        } finally {
          clearTimeout(timer);
        }
      };
      // Everything stops taking new work at once (no new connections, claims or job fetches), then
      // finishes what it has, in parallel, until the deadline.
      const httpClosed = http.close();
      const sweeps = sweeper.stop(left());
      const jobsStopped = jobs.stop(left());
      const requests = await within(httpClosed);
      // Requests still running past the deadline are cut: their connections are closed.
      if (requests === "late") http.server.closeAllConnections();
      // What the requests started and did not wait for: background issuing, deliveries.
      const [released, background, sends] = await Promise.all([
        sweeps,
        ctx.background.drain(left()),
        within(drainDeliveries(ctx)),
        jobsStopped,
      ]);
      // The scans the last requests counted, before the database closes.
      await ctx.scans.close(left());
      const report: ShutdownReport = {
        drained: requests !== "late" && sends !== "late" && released + background === 0,
        released: released + background,
      };
      if (!report.drained)
        log.warn(report, "shutdown deadline reached: unfinished work left to other processes");
      await httpClosed.catch(() => {});
      for (const step of cleanup) await step();
      return report;
    };
    return {
      http,
      ctx,
      bounceListener,
      close: (closeOptions = {}) => {
        closing ??= close(closeOptions.deadlineSeconds ?? config.tuning.shutdownSeconds);
        return closing;
      },
    };
  } catch (e) {
    for (const step of cleanup) await step().catch(() => {});
    throw e;
  }
}
