import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Logger } from "pino";
import { type App, type BuildOptions, buildApp } from "../../src/app";
import { type Config, loadConfig } from "../../src/config";
import type { Database } from "../../src/platform/db/client";
import { createLogger } from "../../src/platform/logger";
import { type DatabaseKind, openTestDatabase } from "./db";
import { makeUscc } from "./factories";

/** A configuration for tests: a temporary data folder, silent logs, the given variables on top. */
export function testConfig(env: Record<string, string> = {}): Config {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-data-"));
  return loadConfig({
    NODE_ENV: "test",
    PIAOMA_DATA_DIR: dataDir,
    LOG_LEVEL: "silent",
    PIAOMA_DEMO: "false",
    ...env,
  });
}

export interface TestApp extends App {
  config: Config;
}

/** The whole application on a fresh database of the given kind, for `inject()` tests. */
export async function createTestApp(
  kind: DatabaseKind,
  options: {
    env?: Record<string, string>;
    startJobs?: boolean;
    providers?: BuildOptions["providers"];
    tuning?: Partial<Config["tuning"]>;
    /** Where the application logs (silent by default); a test that reads the log passes its own. */
    logger?: Logger;
    /** A database of the test's own (a second process on the same PostgreSQL clone); closed with the app. */
    database?: Database;
  } = {},
): Promise<TestApp> {
  const config = testConfig(options.env);
  // Short timings: tests wait for background work in seconds, not minutes.
  config.tuning = {
    ...config.tuning,
    issueBackstopSeconds: 2,
    issueRetrySeconds: 1,
    deliveryRetrySeconds: 1,
    submitWaitSeconds: 5,
    jobExpireSeconds: 60,
    jobMaintenanceSeconds: 30,
    jobPollSeconds: 0.5,
    ...options.tuning,
  };
  const database = options.database ?? (await openTestDatabase(kind));
  const app = await buildApp(config, {
    database,
    logger: options.logger ?? createLogger("silent"),
    startJobs: options.startJobs ?? true,
    providers: options.providers,
  });
  return {
    ...app,
    config,
    close: async (closeOptions?: { deadlineSeconds?: number }) => {
      const report = await app.close(closeOptions);
      await database.close();
      fs.rmSync(config.dataDir, { recursive: true, force: true });
      return report;
    },
  };
}

/**
 * A consumer submits the receipt code as a company, the invoice to be e-mailed (with `mergeCodes`:
 * together with those receipts, 合并开票): the response.
 */
export function submitAsCompany(app: TestApp, token: string, extra: { mergeCodes?: string[] } = {}) {
  return app.http.inject({
    method: "POST",
    url: `/api/scan/${token}/submit`,
    payload: {
      invoiceType: "digital_normal",
      buyer: { type: "enterprise", name: "上海某某科技有限公司", taxId: makeUscc("91310000") },
      email: "buyer@example.com",
      ...extra,
    },
  });
}
