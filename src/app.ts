import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import type { Config } from "./config";
import { registerConsoleRoutes } from "./console-api";
import type { AppContext, Providers } from "./context";
import { createDeliveryState, deliverySweep, drainDeliveries } from "./modules/deliveries/deliveries.service";
import { createMailer } from "./modules/deliveries/mailer";
import { createLogSmsProvider } from "./modules/deliveries/sms";
import { createDatabaseFileStore, createLocalFileStore, createS3FileStore } from "./modules/files/file-store";
import { registerHealthRoutes } from "./modules/health/health.routes";
import { registerChannelCallbackRoutes } from "./modules/invoices/channel-callbacks.routes";
import { createChannels } from "./modules/invoices/channels/channel-registry";
import { registerBuiltInChannels } from "./modules/invoices/channels/channels";
import { webhookDataNow } from "./modules/invoices/invoices.merchant";
import { invoiceWebhookDocs } from "./modules/invoices/invoices.merchant.schema";
import { channelFilesSweep } from "./modules/invoices/issuing.files";
import { issueSweep } from "./modules/invoices/issuing.sweep";
import { redConfirmationExpirySweep } from "./modules/invoices/red-confirmation";
import { registerInvoiceFileRoute } from "./modules/open-api/open-api.invoices.routes";
import {
  deleteExpiredNonces,
  NONCE_CLEANUP_CRON,
  NONCE_CLEANUP_QUEUE,
} from "./modules/open-api/open-api.jobs";
import { registerOpenApiRoutes } from "./modules/open-api/open-api.routes";
import { registerOrderLinkRoute } from "./modules/open-api/order-link.routes";
import { registerScanRoutes } from "./modules/scan/scan.routes";
import { tianyanchaProvider } from "./modules/scan/titles/tianyancha";
import { accountCheckSweep } from "./modules/tax-accounts/tax-accounts.sweep";
import { sendWebhookAttempt, WEBHOOK_QUEUE } from "./modules/webhooks/webhooks.service";
import { createWechatClient } from "./modules/wechat/wechat.client";
import { BackgroundWork } from "./platform/background";
import { Keyring, loadOrCreateMasterSecret } from "./platform/crypto";
import { type Database, openPglite, openPostgres } from "./platform/db/client";
import { type DataDirLock, lockDataDir } from "./platform/db/data-dir-lock";
import { runMigrations } from "./platform/db/migrate";
import { createHttpServer, type HttpServer, registerOpenApi } from "./platform/http";
import { JobQueue } from "./platform/jobs";
import { createLogger } from "./platform/logger";
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
      sms: createLogSmsProvider(database, log),
      titles: { tianyancha: tianyanchaProvider({ apiUrl: config.services.tianyanchaApiUrl }) },
      wechat: createWechatClient({ database, keyring, apiUrl: config.services.wechatApiUrl }),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
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
    };

    // Background work: sweeps over tables that are their own queue, and each module's job queues.
    const sweeper = new Sweeper(log);
    sweeper.define(issueSweep(ctx));
    sweeper.define(deliverySweep(ctx));
    sweeper.define(accountCheckSweep(ctx));
    sweeper.define(channelFilesSweep(ctx));
    sweeper.define(redConfirmationExpirySweep(ctx));

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

    // Expired open-API nonces, once a minute in a worker; at most one such job queued at a time.
    jobs.define({
      name: NONCE_CLEANUP_QUEUE,
      policy: "stately",
      cron: NONCE_CLEANUP_CRON,
      retryLimit: 0,
      expireInSeconds: config.tuning.jobExpireSeconds,
      pollingIntervalSeconds: config.tuning.jobPollSeconds,
      handler: async () => {
        const deleted = await deleteExpiredNonces(ctx);
        if (deleted > 0) log.debug({ deleted }, "expired open-API nonces deleted");
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
    await registerOpenApi(http, version, invoiceWebhookDocs());
    registerHealthRoutes(http, ctx, version);
    const scan = await registerScanRoutes(http, ctx);
    await registerOpenApiRoutes(http, ctx);
    await registerChannelCallbackRoutes(http, ctx);
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
