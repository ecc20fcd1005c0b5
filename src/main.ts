import path from "node:path";
import { parseArgs } from "node:util";
import { buildApp, openDatabase, version } from "./app";
import { backupCommand } from "./backup-cli";
import { bannerLines, DEMO_CREDENTIALS_FILE, writeDemoCredentials } from "./banner";
import { type Config, ConfigError, loadConfig } from "./config";
import { systemActor } from "./context";
import { serveAdminSocket } from "./modules/backup/backup";
import { createCredentials } from "./modules/credentials/credentials.service";
import { rotateMasterSecret } from "./modules/credentials/secret-rotate";
import { type DemoInfo, seedDemo } from "./modules/demo/demo.seed";
import { DEMO_MERCHANT_PORT, startDemoMerchant } from "./modules/demo/demo-merchant";
import { migrateFilesToS3 } from "./modules/files/files.migrate";
import { decideSandboxConfirmation } from "./modules/invoices/red-confirmation.sandbox";
import { createOrganization } from "./modules/organizations/organizations.service";
import { createTaxAccountWithSettings, testTaxAccount } from "./modules/tax-accounts/tax-accounts.service";
import { createUser } from "./modules/users/users.service";
import { Keyring, loadOrCreateMasterSecret } from "./platform/crypto";
import type { Database } from "./platform/db/client";
import { DataDirLockedError } from "./platform/db/data-dir-lock";
import { runMigrations } from "./platform/db/migrate";
import { AppError, isAppError } from "./platform/errors";
import { JobQueue } from "./platform/jobs";
import { createLogger, describeError } from "./platform/logger";
import { ensureWebBuilt } from "./platform/web";
import { StandinClock } from "./standins/clock";
import { startKingdeeStandin } from "./standins/kingdee";
import { createNuonuoStandin, DEFAULT_APP } from "./standins/nuonuo/nuonuo-standin";
import type { RunningStandin } from "./standins/server";
import {
  createAliyunSmsStandin,
  DEFAULT_ALIYUN_KEY,
  DEFAULT_ALIYUN_SIGN,
  DEFAULT_ALIYUN_TEMPLATE,
} from "./standins/sms/aliyun-sms-standin";
import {
  createTencentSmsStandin,
  DEFAULT_TENCENT_KEY,
  DEFAULT_TENCENT_SDK_APP_ID,
  DEFAULT_TENCENT_SIGN,
  DEFAULT_TENCENT_TEMPLATE,
} from "./standins/sms/tencent-sms-standin";
import {
  createTianyanchaStandin,
  DEFAULT_COMPANIES,
  DEFAULT_TIANYANCHA_TOKEN,
} from "./standins/tianyancha/tianyancha-standin";
import { createWechatStandin, DEFAULT_WECHAT_APP } from "./standins/wechat/wechat-standin";

/**
 * The `piaoma` command line. Every command except `serve` prints one JSON document on stdout, so
 * scripts can read it; failures print a JSON error body too and exit non-zero.
 */

const USAGE = `piaoma ${version} — 票码 scan-to-invoice

Usage: piaoma [command] [options]

  serve                 start the server (default)
  migrate               apply database migrations
  seed                  create the demo organization, login and receipt code (idempotent)
  org:create            --name N --tax-id T [--address A] [--phone P] [--bank B] [--account C]
                        [--limit 10000.00] [--over-limit reject|split]
                        [--invoice-types digital_normal,digital_special]
                        [--order-query-url U] [--webhook-url U] [--drawer 开票人]
  credentials:create    --org ID_OR_TAX_ID
  tax-account:create    --org ID_OR_TAX_ID --name N --channel sandbox|nuonuo|kingdee
                        --settings JSON [--default]     prints { "id": … } (docs/channels.md)
  tax-account:test      --id ID                         测试连接: the account's status at its channel
  sandbox:confirm       --number 确认单编号 [--refuse]   the buyer's answer to a pending sandbox 红字确认单
                        (account setting redConfirmation=required); a running server's issuing sweep
                        then issues the red invoice (confirmed) or fails it (refused)
  user:create           --username U --password P --role admin|operator|viewer --org ID_OR_TAX_ID[,…]
  backup                --out DIR   database (PGlite dump or pg_dump), local files, generated secret
  files:migrate         --to s3     move invoice files from the database or data folder into the
                        bucket (PIAOMA_S3_*); resumable, each file checked by size and SHA-256
  secret:rotate         re-encrypt stored secrets from PIAOMA_SECRET to PIAOMA_NEW_SECRET (stop servers
                        first; then give every process the new secret)
  restore               --from DIR  into the configured database and data folder (stop servers first)
  demo-merchant         --app-key K --app-secret S [--piaoma-url URL] [--port 4100]
                        a local merchant system for the demo: answers 3.1.02, receives webhooks,
                        prints signed 3.1.01 links
  standin nuonuo        [--port 4200] [--app-key K] [--app-secret S] [--clock real|manual]
  standin kingdee       [--port 4300] [--encryption base64|aes] [--piaoma-url URL] [--clock real|manual]
  standin wechat        [--port 4400]   WeChat's token and jsapi_ticket endpoints (微信抬头 demos) and
                        the 卡包 calls (加入微信卡包, its void after 红冲: platform/updatestatus);
                        give the server PIAOMA_WECHAT_API_URL=<its url>
  standin tianyancha    [--port 4500]   天眼查's company search (抬头 lookup demos);
                        give the server PIAOMA_TIANYANCHA_API_URL=<its url>
                        a local stand-in of the channel's open API, for demos and tests; prints
                        the settings to pass to tax-account:create (金蝶: with --piaoma-url its
                        results are called back to URL/channels/kingdee/callback)
  standin aliyun-sms    [--port 4600] [--piaoma-url URL]   阿里云短信 SendSms (signature, flow control,
                        delivery reports); prints the PIAOMA_SMS_* variables and the sign/template
  standin tencent-sms   [--port 4700] [--piaoma-url URL]   腾讯云短信 SendSms (TC3-HMAC-SHA256), the same

Configuration comes from the environment (PORT, HOST, PUBLIC_URL, DATABASE_URL, PIAOMA_DATA_DIR,
SMTP_URL, MAIL_FROM, PIAOMA_SECRET, PIAOMA_ALLOW_PRIVATE_URLS, ROLES, LOG_LEVEL); see README.md.`;

const options = {
  name: { type: "string" },
  "tax-id": { type: "string" },
  address: { type: "string" },
  phone: { type: "string" },
  bank: { type: "string" },
  account: { type: "string" },
  limit: { type: "string" },
  "over-limit": { type: "string" },
  "invoice-types": { type: "string" },
  "order-query-url": { type: "string" },
  "webhook-url": { type: "string" },
  org: { type: "string" },
  username: { type: "string" },
  password: { type: "string" },
  role: { type: "string" },
  help: { type: "boolean", short: "h" },
  "app-key": { type: "string" },
  "app-secret": { type: "string" },
  "piaoma-url": { type: "string" },
  port: { type: "string" },
  out: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  drawer: { type: "string" },
  channel: { type: "string" },
  settings: { type: "string" },
  default: { type: "boolean" },
  id: { type: "string" },
  clock: { type: "string" },
  encryption: { type: "string" },
  number: { type: "string" },
  refuse: { type: "boolean" },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>["values"];

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    return fail("BAD_REQUEST", `${(e as Error).message}\n\n${USAGE}`);
  }
  const command = parsed.positionals[0] ?? "serve";
  if (parsed.values.help || command === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const known = [
    "serve",
    "migrate",
    "seed",
    "org:create",
    "credentials:create",
    "user:create",
    "demo-merchant",
    "backup",
    "restore",
    "files:migrate",
    "secret:rotate",
    "tax-account:create",
    "tax-account:test",
    "sandbox:confirm",
    "standin",
  ];
  if (!known.includes(command)) return fail("BAD_REQUEST", `unknown command "${command}"\n\n${USAGE}`);

  if (command === "standin") return await standin(parsed.positionals[1], parsed.values);

  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }

  try {
    if (command === "serve") return await serve(config);
    if (command === "demo-merchant") return await demoMerchant(config, parsed.values);
    if (command === "backup" || command === "restore") {
      process.stdout.write(
        `${JSON.stringify(await backupCommand(command, config, parsed.values), null, 2)}\n`,
      );
      return 0;
    }
    return await runCommand(command, config, parsed.values);
  } catch (e) {
    if (e instanceof DataDirLockedError) return fail("DATA_DIR_LOCKED", e.message);
    if (isAppError(e)) return fail(e.code, e.message, e.details);
    throw e;
  }
}

async function serve(config: Config): Promise<number> {
  const log = createLogger(config.logLevel);
  if (config.roles.includes("api")) await ensureWebBuilt((m) => log.info(m));
  if (config.database.kind === "postgres" && !config.secret) {
    log.warn(
      "PIAOMA_SECRET is not set: using a key generated in the data folder; every process must share it",
    );
  }
  const app = await buildApp(config, { logger: log });
  const address = await app.http.listen({ port: config.port, host: config.host });
  if (config.publicUrlFromListenAddress) {
    // PORT=0 picks a free port: links must carry the real one.
    const { port } = new URL(address);
    config.publicUrl = config.publicUrl.replace(/:\d+$/, `:${port}`);
  }
  let demo: DemoInfo | undefined;
  if (config.demo) demo = await seedDemo(app.ctx, { onlyIfEmpty: true });
  printBanner(config, demo);
  // PGlite: `piaoma backup` reaches this process through a socket in the data folder.
  const admin = config.database.kind === "pglite" ? serveAdminSocket(app.ctx, version) : undefined;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const deadlineSeconds = config.tuning.shutdownSeconds;
    log.info({ signal, deadlineSeconds }, "stopping: draining requests, sweeps and jobs");
    // The drain has its deadline; this is the backstop should closing itself hang.
    const timer = setTimeout(() => process.exit(1), (deadlineSeconds + 10) * 1000);
    timer.unref();
    await admin?.close();
    const report = await app.close({ deadlineSeconds });
    log.info(report, "stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  return -1; // keep running
}

function printBanner(config: Config, demo: DemoInfo | undefined): void {
  const terminal = process.stdout.isTTY === true;
  const credentialsFile = path.join(config.dataDir, DEMO_CREDENTIALS_FILE);
  if (demo && !terminal) writeDemoCredentials(credentialsFile, demo);
  const lines = bannerLines(config, version, demo, { terminal, credentialsFile });
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** A local merchant system for the demo; runs until stopped. */
async function demoMerchant(config: Config, flags: Flags): Promise<number> {
  const appKey = flags["app-key"];
  const appSecret = flags["app-secret"];
  if (!appKey || !appSecret) {
    return fail(
      "BAD_REQUEST",
      "demo-merchant needs --app-key and --app-secret (printed by npm start in demo mode)",
    );
  }
  const merchant = await startDemoMerchant({
    appKey,
    appSecret,
    piaomaUrl: flags["piaoma-url"] ?? config.publicUrl,
    port: flags.port ? Number(flags.port) : DEMO_MERCHANT_PORT,
  });
  const { link } = merchant.newLink();
  process.stdout.write(
    [
      "",
      `票码试用商户 Demo merchant on ${merchant.url}`,
      `  订单查询 3.1.02      ${merchant.url}/order-query`,
      `  Webhook 接收         ${merchant.url}/webhooks`,
      `  签名链接 3.1.01      ${link}`,
      `  再来一单 New order   ${merchant.url}/new-link`,
      "",
    ].join("\n"),
  );
  const stop = () => void merchant.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  return -1; // keep running
}

/** `piaoma standin nuonuo|kingdee`: a local stand-in of a channel's open API; runs until stopped. */
async function standin(which: string | undefined, flags: Flags): Promise<number> {
  const services = ["nuonuo", "kingdee", "wechat", "tianyancha", "aliyun-sms", "tencent-sms"];
  if (which === undefined || !services.includes(which))
    return fail(
      "BAD_REQUEST",
      `standin needs the service: ${services.join(", ")} (got ${which ?? "nothing"})`,
    );
  const clockMode = flags.clock ?? "real";
  if (clockMode !== "real" && clockMode !== "manual")
    return fail("BAD_REQUEST", "--clock must be real or manual");
  if (flags.port !== undefined && !/^\d{1,5}$/.test(flags.port))
    return fail("BAD_REQUEST", "--port must be a port number");
  if (which === "kingdee") return kingdeeStandin(flags, clockMode);
  if (which === "aliyun-sms" || which === "tencent-sms") return smsStandin(which, flags);
  if (which === "wechat" || which === "tianyancha") return serviceStandin(which, flags, clockMode);
  const app = {
    appKey: flags["app-key"] ?? DEFAULT_APP.appKey,
    appSecret: flags["app-secret"] ?? DEFAULT_APP.appSecret,
  };
  const created = createNuonuoStandin({
    port: flags.port ? Number(flags.port) : 4200,
    clock: new StandinClock(clockMode, clockMode === "real" ? new Date() : undefined),
    apps: [app],
  });
  const running = await created.start();
  return keepRunning(running, {
    standin: "nuonuo",
    url: running.url,
    settings: {
      apiUrl: `${running.url}/open/v1/services`,
      tokenUrl: `${running.url}/accessToken`,
      appKey: app.appKey,
      appSecret: app.appSecret,
      extensionNumber: "8889",
    },
    controls: `${running.url}/__standin/`,
  });
}

/**
 * `piaoma standin wechat|tianyancha`: the services behind the consumer page's title tools, for demos.
 * Prints the variable that points the server at it and the credentials it accepts; runs until stopped.
 */
async function serviceStandin(
  which: "wechat" | "tianyancha",
  flags: Flags,
  clockMode: "real" | "manual",
): Promise<number> {
  const printed = (running: RunningStandin, info: Record<string, unknown>) =>
    keepRunning(running, {
      standin: which,
      url: running.url,
      ...info,
      controls: `${running.url}/__standin/`,
    });
  if (which === "wechat") {
    const running = await createWechatStandin({
      port: flags.port ? Number(flags.port) : 4400,
      clock: new StandinClock(clockMode, clockMode === "real" ? new Date() : undefined),
    }).start();
    // What to enter in 组织信息 › 扫码页抬头服务: the 公众号's AppID and AppSecret.
    return printed(running, { env: { PIAOMA_WECHAT_API_URL: running.url }, app: DEFAULT_WECHAT_APP });
  }
  const running = await createTianyanchaStandin({ port: flags.port ? Number(flags.port) : 4500 }).start();
  // What to enter in 组织信息 › 扫码页抬头服务: 企业名称查询 天眼查 with this Token.
  return printed(running, {
    env: { PIAOMA_TIANYANCHA_API_URL: running.url },
    token: DEFAULT_TIANYANCHA_TOKEN,
    companies: DEFAULT_COMPANIES.map((c) => c.name),
  });
}

/**
 * `piaoma standin aliyun-sms|tencent-sms`: a local SMS gateway that checks signatures and flow
 * control; prints the variables that point Piaoma at it and the sign name and template to enter in
 * 组织信息 › 短信通知. `--piaoma-url` sets where its delivery reports go (POST /__standin/report).
 */
async function smsStandin(which: "aliyun-sms" | "tencent-sms", flags: Flags): Promise<number> {
  const piaoma = flags["piaoma-url"] ?? "http://127.0.0.1:3000";
  try {
    new URL(piaoma);
  } catch {
    return fail("BAD_REQUEST", "--piaoma-url must be a URL, e.g. http://127.0.0.1:3000");
  }
  const reportToken = "standin-report-token-0001";
  if (which === "aliyun-sms") {
    const running = await createAliyunSmsStandin({
      port: flags.port ? Number(flags.port) : 4600,
      templates: { [DEFAULT_ALIYUN_TEMPLATE]: `\${name}发票：${piaoma}/s/\${code}` },
      reportUrl: `${piaoma}/sms/aliyun/report/${reportToken}`,
    }).start();
    return keepRunning(running, {
      standin: which,
      url: running.url,
      env: {
        PIAOMA_SMS_PROVIDER: "aliyun",
        PIAOMA_ALIYUN_SMS_API_URL: running.url,
        PIAOMA_ALIYUN_SMS_ACCESS_KEY_ID: DEFAULT_ALIYUN_KEY.accessKeyId,
        PIAOMA_ALIYUN_SMS_ACCESS_KEY_SECRET: DEFAULT_ALIYUN_KEY.accessKeySecret,
        PIAOMA_SMS_REPORT_TOKEN: reportToken,
      },
      organization: { signName: DEFAULT_ALIYUN_SIGN, templateCode: DEFAULT_ALIYUN_TEMPLATE },
      controls: `${running.url}/__standin/`,
    });
  }
  const running = await createTencentSmsStandin({
    port: flags.port ? Number(flags.port) : 4700,
    templates: { [DEFAULT_TENCENT_TEMPLATE]: `{1}发票：${piaoma}/s/{2}` },
    reportUrl: `${piaoma}/sms/tencent/report/${reportToken}`,
  }).start();
  return keepRunning(running, {
    standin: which,
    url: running.url,
    env: {
      PIAOMA_SMS_PROVIDER: "tencent",
      PIAOMA_TENCENT_SMS_API_URL: running.url,
      PIAOMA_TENCENT_SMS_SECRET_ID: DEFAULT_TENCENT_KEY.secretId,
      PIAOMA_TENCENT_SMS_SECRET_KEY: DEFAULT_TENCENT_KEY.secretKey,
      PIAOMA_TENCENT_SMS_SDK_APP_ID: DEFAULT_TENCENT_SDK_APP_ID,
      PIAOMA_SMS_REPORT_TOKEN: reportToken,
    },
    organization: { signName: DEFAULT_TENCENT_SIGN, templateCode: DEFAULT_TENCENT_TEMPLATE },
    controls: `${running.url}/__standin/`,
  });
}

/** `piaoma standin kingdee`: a local 金蝶发票云旗舰版 tenant (CHANNELS.md §7.5); runs until stopped. */
async function kingdeeStandin(flags: Flags, clockMode: "real" | "manual"): Promise<number> {
  const encryption = flags.encryption ?? "base64";
  if (encryption !== "base64" && encryption !== "aes")
    return fail("BAD_REQUEST", "--encryption must be base64 or aes");
  let callbackUrl: string | null = null;
  if (flags["piaoma-url"] !== undefined) {
    try {
      callbackUrl = new URL("/channels/kingdee/callback", flags["piaoma-url"]).toString();
    } catch {
      return fail("BAD_REQUEST", "--piaoma-url must be a URL, e.g. http://127.0.0.1:3000");
    }
  }
  // The manual clock stands still until moved through POST /__standin/advance { "ms": … }.
  const startedAt = Date.now();
  const running = await startKingdeeStandin({
    port: flags.port ? Number(flags.port) : 4300,
    ...(clockMode === "manual" ? { now: () => startedAt } : {}),
    tenant: { encryption, businessSystems: { PIAOMA: callbackUrl } },
    ...(callbackUrl ? { autoCallbacksEveryMs: 1000 } : {}),
  });
  const described = running.describe();
  return keepRunning(running, {
    standin: "kingdee",
    url: described.baseUrl,
    settings: described.settings,
    callbackUrl,
    controls: described.controlUrl,
  });
}

/** A stand-in started: prints what it is (one JSON document) and runs until SIGINT / SIGTERM. */
function keepRunning(running: { close(): Promise<void> }, info: Record<string, unknown>): number {
  process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  return -1; // keep running
}

/** One-shot commands: open the database (locking PGlite's folder), migrate, act, print JSON, close. */
async function runCommand(command: string, config: Config, flags: Flags): Promise<number> {
  const log = createLogger(config.logLevel === "info" ? "warn" : config.logLevel, process.stderr);
  const { database, lock } = await openDatabase(config);
  try {
    await runMigrations(database);
    const keyring = new Keyring(loadOrCreateMasterSecret(config.secret, config.dataDir));
    const ctx = { config, database, keyring, log, jobs: new JobQueue(database, [], log) };
    const actor = systemActor(`cli:${command}`);
    let result: unknown;
    switch (command) {
      case "migrate":
        await JobQueue.install(database);
        result = { migrated: true, database: database.kind };
        break;
      case "seed":
        result = await seedDemo(ctx, { onlyIfEmpty: false });
        break;
      case "org:create": {
        const org = await createOrganization(ctx, {
          actor,
          input: {
            name: flags.name ?? "",
            taxId: flags["tax-id"] ?? "",
            address: flags.address,
            phone: flags.phone,
            bankName: flags.bank,
            bankAccount: flags.account,
            limit: flags.limit,
            overLimitPolicy: flags["over-limit"] as "reject" | "split" | undefined,
            invoiceTypes: flags["invoice-types"]?.split(",").map((s) => s.trim()) as
              | Array<"digital_normal" | "digital_special">
              | undefined,
            orderQueryUrl: flags["order-query-url"],
            webhookUrl: flags["webhook-url"],
            drawer: flags.drawer,
          },
        });
        result = { id: org.id, taxId: org.taxId };
        break;
      }
      case "credentials:create": {
        const c = await createCredentials(ctx, { actor, org: flags.org ?? "" });
        result = { appKey: c.appKey, appSecret: c.appSecret };
        break;
      }
      case "files:migrate":
        if (flags.to !== "s3") throw new AppError("BAD_REQUEST", "files:migrate needs --to s3");
        result = await migrateFilesToS3(ctx, { log: (line) => log.warn(line) });
        break;
      case "secret:rotate":
        result = await rotateMasterSecret(ctx, config.newSecret);
        break;
      case "tax-account:create": {
        let settings: unknown = {};
        if (flags.settings !== undefined) {
          try {
            settings = JSON.parse(flags.settings);
          } catch {
            return fail("VALIDATION_FAILED", "--settings 不是有效的 JSON", {
              fields: { settings: "不是有效的 JSON" },
            });
          }
        }
        result = await createTaxAccountWithSettings(ctx, {
          actor,
          org: flags.org ?? "",
          name: flags.name ?? "",
          channel: flags.channel ?? "",
          settings,
          makeDefault: flags.default === true,
        });
        break;
      }
      case "tax-account:test":
        result = await testTaxAccount(ctx, { actor, id: flags.id ?? "" });
        break;
      case "sandbox:confirm": {
        const decision = flags.refuse === true ? "refused" : "confirmed";
        const red = await decideSandboxConfirmation(ctx, {
          actor,
          number: flags.number ?? "",
          decision,
          issuedByCaller: false,
        });
        result = { number: flags.number, decision, redInvoiceId: red.id, invoiceStatus: red.status };
        break;
      }
      case "user:create": {
        const u = await createUser(ctx, {
          actor,
          input: {
            username: flags.username ?? "",
            password: flags.password ?? "",
            role: flags.role as "admin" | "operator" | "viewer",
            orgIds: (flags.org ?? "").split(",").filter(Boolean),
          },
        });
        result = u;
        break;
      }
    }
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } finally {
    await closeQuietly(database);
    lock?.release();
  }
}

async function closeQuietly(database: Database): Promise<void> {
  await database.close().catch(() => {});
}

function fail(code: string, message: string, details?: unknown): number {
  process.stdout.write(
    `${JSON.stringify({ error: { code, message, ...(details ? { details } : {}) } }, null, 2)}\n`,
  );
  process.stderr.write(`piaoma: ${message}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e) => {
    // Redacted like the log: a database error's message would otherwise carry the query's values.
    process.stderr.write(`piaoma: unexpected failure: ${describeError(e)}\n`);
    process.exit(1);
  },
);
