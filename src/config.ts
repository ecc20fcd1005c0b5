import net from "node:net";
import path from "node:path";
import { z } from "zod";

/**
 * Configuration is read from the environment once, at boot, and validated as a whole: a bad value
 * stops the program with the full list of what is wrong (not only the first problem). Nothing else
 * reads process.env. Variable names are a contract with self-hosters (API.md §3).
 */

const booleanText = z
  .enum(["true", "false", "1", "0", "yes", "no"], { error: "must be true or false" })
  .transform((v) => v === "true" || v === "1" || v === "yes");

const roleList = z
  .string()
  .transform((s) =>
    s
      .split(",")
      .map((r) => r.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.enum(["api", "worker"], { error: "roles are api and worker, comma-separated" }))
      .min(1, "name at least one role: api, worker"),
  );

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce
    .number({ error: "must be a port number" })
    .int("must be a whole number")
    .min(0, "must be from 0 to 65535")
    .max(65535, "must be from 0 to 65535")
    .default(3000),
  HOST: z.string().min(1, "must not be empty").default("127.0.0.1"),
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://fapiao.example.com" })
    .optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/.+/, "must be a postgres:// or postgresql:// URL")
    .optional(),
  PIAOMA_DATA_DIR: z.string().min(1, "must not be empty").default("./data"),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/.+/, "must be an smtp:// or smtps:// URL, e.g. smtp://user:pass@host:587")
    .optional(),
  /** The sender of invoice e-mails; `{org}` in the name is replaced by the merchant's name. */
  MAIL_FROM: z
    .string()
    .min(3, "must be an e-mail sender")
    .regex(
      /^([^<>]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/,
      'must look like "Name <addr@host>" or addr@host',
    )
    .default("票码 Piaoma <invoice@piaoma.localhost>"),
  /** Where bounces return: sent with a VERP envelope sender bounce+token@host, matched to the delivery. */
  MAIL_BOUNCE_ADDRESS: z
    .string()
    .regex(/^[^@\s+]+@[^@\s]+$/, "must be an e-mail address without a +tag, e.g. bounce@mail.example.com")
    .optional(),
  /** A port for the inbound SMTP listener that receives bounces (DSNs); unset = no listener. */
  MAIL_BOUNCE_SMTP_PORT: z.coerce.number().int("must be a whole number").min(0).max(65535).optional(),
  /** Bearer token of POST /mail/bounces (a mail provider's bounce webhook posting the DSN); unset = off. */
  MAIL_BOUNCE_WEBHOOK_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  PIAOMA_SECRET: z.string().min(32, "must be at least 32 characters (e.g. openssl rand -hex 32)").optional(),
  /** Only for `piaoma secret:rotate`: the secret to rotate to. */
  PIAOMA_NEW_SECRET: z
    .string()
    .min(32, "must be at least 32 characters (e.g. openssl rand -hex 32)")
    .optional(),
  PIAOMA_ALLOW_PRIVATE_URLS: booleanText.optional(),
  PIAOMA_DEMO: booleanText.optional(),
  PIAOMA_TRUST_PROXY: z.string().optional(),
  ROLES: roleList.default(["api", "worker"]),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  PIAOMA_FILE_STORE: z
    .enum(["database", "local", "s3"], { error: "must be database, local or s3" })
    .default("database"),
  /** S3-compatible object storage (PIAOMA_FILE_STORE=s3, and `files:migrate --to s3`). */
  PIAOMA_S3_BUCKET: z.string().min(3, "must be a bucket name").optional(),
  PIAOMA_S3_ENDPOINT: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://s3.example.com" })
    .optional(),
  PIAOMA_S3_REGION: z.string().min(1).default("us-east-1"),
  PIAOMA_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  PIAOMA_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  PIAOMA_S3_FORCE_PATH_STYLE: booleanText.optional(),
  PIAOMA_S3_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9!_.*'()/-]*$/, "may hold letters, digits and !_.*'()/- only")
    .optional(),
  /** Advanced: `issueBackstopSeconds=15,issueRetrySeconds=30,…` overrides the background timings. */
  PIAOMA_TUNING: z
    .string()
    .regex(
      /^(\w+=\d+(\.\d+)?)(,\w+=\d+(\.\d+)?)*$/,
      "must look like issueBackstopSeconds=15,issueRetrySeconds=30",
    )
    .optional(),
  /** WeChat's API base (token, jsapi_ticket); a stand-in's address in tests and demos. */
  PIAOMA_WECHAT_API_URL: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://api.weixin.qq.com" })
    .default("https://api.weixin.qq.com"),
  /** 天眼查 open API's base, for the organizations that chose it as their 抬头 lookup. */
  PIAOMA_TIANYANCHA_API_URL: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL such as http://open.api.tianyancha.com" })
    .default("http://open.api.tianyancha.com"),
  /** SMS gateway for invoice messages: log (recorded, not sent; default), aliyun or tencent. */
  PIAOMA_SMS_PROVIDER: z
    .enum(["log", "aliyun", "tencent"], { error: "must be log, aliyun or tencent" })
    .default("log"),
  /** The installation's own 短信签名 (login codes, notices); organizations' invoice SMS use theirs. */
  PIAOMA_SMS_SIGN_NAME: z
    .string()
    .trim()
    .min(2, "must be 2 to 12 characters")
    .max(12, "must be 2 to 12 characters")
    .default("票码"),
  /** The gateway's template for 我的发票 login codes (variable `code`); unset with a real gateway: no SMS codes. */
  PIAOMA_SMS_CODE_TEMPLATE: z.string().trim().min(1).optional(),
  /** The gateway's template for notices pointing at a code's page (variables `name`, `code`). */
  PIAOMA_SMS_NOTICE_TEMPLATE: z.string().trim().min(1).optional(),
  PIAOMA_ALIYUN_SMS_ACCESS_KEY_ID: z.string().min(1).optional(),
  PIAOMA_ALIYUN_SMS_ACCESS_KEY_SECRET: z.string().min(1).optional(),
  PIAOMA_ALIYUN_SMS_API_URL: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://dysmsapi.aliyuncs.com" })
    .default("https://dysmsapi.aliyuncs.com"),
  PIAOMA_TENCENT_SMS_SECRET_ID: z.string().min(1).optional(),
  PIAOMA_TENCENT_SMS_SECRET_KEY: z.string().min(1).optional(),
  PIAOMA_TENCENT_SMS_SDK_APP_ID: z
    .string()
    .regex(/^\d{6,12}$/, "must be the SmsSdkAppId (digits)")
    .optional(),
  PIAOMA_TENCENT_SMS_REGION: z
    .string()
    .regex(/^[a-z]+-[a-z]+$/, "must be a region such as ap-guangzhou")
    .default("ap-guangzhou"),
  PIAOMA_TENCENT_SMS_API_URL: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://sms.tencentcloudapi.com" })
    .default("https://sms.tencentcloudapi.com"),
  /** The secret path segment of the SMS delivery-report URLs given to the provider; unset: reports off. */
  PIAOMA_SMS_REPORT_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,128}$/, "must be 16–128 letters, digits, - or _ (e.g. openssl rand -hex 16)")
    .optional(),
  /** At most this many SMS to one number per China day (all organizations). */
  PIAOMA_SMS_CAP_PER_NUMBER_DAY: z.coerce.number().int("must be a whole number").min(1).max(1000).default(10),
  /** At most this many SMS for one receipt code, ever (first send and resends). */
  PIAOMA_SMS_CAP_PER_CODE: z.coerce.number().int("must be a whole number").min(1).max(100).default(5),
  /** Bearer token for GET /metrics (Prometheus); unset: no /metrics at all. */
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters (e.g. openssl rand -hex 16)").optional(),
  /** The hour (China time, 0–23) from which each organization's daily digest of yesterday is sent. */
  PIAOMA_DIGEST_HOUR: z.coerce.number().int("must be a whole number").min(0).max(23).default(8),
  DB_POOL_SIZE: z.coerce.number().int("must be a whole number").min(1).max(500).default(10),
});

export type Role = "api" | "worker";

export interface SmsSettings {
  provider: "log" | "aliyun" | "tencent";
  /** The installation's own sign name and templates (login codes, notices). */
  signName: string;
  codeTemplate: string | undefined;
  noticeTemplate: string | undefined;
  aliyun: { accessKeyId: string; accessKeySecret: string; apiUrl: string } | undefined;
  tencent:
    | { secretId: string; secretKey: string; sdkAppId: string; region: string; apiUrl: string }
    | undefined;
  /** The secret in the delivery-report URLs (`/sms/aliyun/report/{token}`); unset: reports refused. */
  reportToken: string | undefined;
  caps: { perNumberPerDay: number; perCode: number };
}

export interface S3Settings {
  bucket: string;
  /** Unset: AWS's own endpoint for the region. */
  endpoint: string | undefined;
  region: string;
  /** Unset: the AWS SDK's default credential chain (environment, instance role, …). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** `bucket` in the path (most self-hosted servers) rather than in the host name. */
  forcePathStyle: boolean;
  /** Prepended to every object key, e.g. `piaoma/`. */
  prefix: string;
}

export type TrustProxy = false | number | string[];

export interface Config {
  env: "development" | "production" | "test";
  port: number;
  host: string;
  /** Base of links printed in QR codes and e-mails, without a trailing slash. */
  publicUrl: string;
  /** Set when PUBLIC_URL was not given: the real port is known only after listening (PORT=0). */
  publicUrlFromListenAddress: boolean;
  database: { kind: "pglite"; dataDir: string } | { kind: "postgres"; url: string; poolSize: number };
  /** PGlite data, the local file store and the generated secret live here. */
  dataDir: string;
  /**
   * Invoice files in the database (default; shared by all processes), under dataDir/files, or in
   * an S3-compatible bucket (`s3` settings).
   */
  fileStore: "database" | "local" | "s3";
  /** Set when PIAOMA_S3_BUCKET is. */
  s3: S3Settings | undefined;
  smtpUrl: string | undefined;
  /** MAIL_FROM: a template, `{org}` stands for the merchant's name. */
  mailFrom: string;
  /** Bounces: the VERP base address, the inbound SMTP listener's port and the webhook's token. */
  mailBounce: { address: string | undefined; smtpPort: number | undefined; webhookToken: string | undefined };
  /** Undefined means: use (or create) the key stored in the data folder. */
  secret: string | undefined;
  /** PIAOMA_NEW_SECRET, read by `secret:rotate` only. */
  newSecret: string | undefined;
  allowPrivateUrls: boolean;
  /**
   * Third-party services the deployment reaches for the consumer page (issue 17), without a trailing
   * slash. Set by the operator, so they may be private addresses (a proxy, a stand-in).
   */
  services: { wechatApiUrl: string; tianyanchaApiUrl: string };
  /**
   * Which X-Forwarded-For hops to believe: none (false), the last `n` hops (a count of proxies in
   * front of Piaoma), or only hops sent by these proxy addresses / CIDRs. Never every hop: the first
   * entries are whatever the client wrote.
   */
  trustProxy: TrustProxy;
  /** The SMS gateway (PIAOMA_SMS_*; secrets never logged). */
  sms: SmsSettings;
  /** Bearer token of GET /metrics; undefined: the endpoint does not exist. */
  metricsToken: string | undefined;
  /** China hour from which the daily digest goes out. */
  digestHour: number;
  /** Seed the demo organization into an empty database at start. */
  demo: boolean;
  roles: Role[];
  /** Timings of background work and HTTP timeouts; set through PIAOMA_TUNING (tests shorten them). */
  tuning: {
    /**
     * The sweep first looks at an unfinished invoice (or an unsent delivery) this long after it was
     * created: the in-process attempt right after the commit has had its chance by then.
     */
    issueBackstopSeconds: number;
    /** Retry interval while a channel is unreachable (the issuing sweep's lease). */
    issueRetrySeconds: number;
    /**
     * A channel that accepted an invoice and answered 开票中 is asked again after this long, then
     * after `issuePendingThenSeconds`, in the process that submitted it; after that the sweep asks
     * at its own cadence (`issueRetrySeconds`).
     */
    issuePendingFirstSeconds: number;
    issuePendingThenSeconds: number;
    /**
     * A tax-bureau account the channel reported a problem with (需重新认证 / 离线) is asked again
     * this often whether it is back; its invoices wait meanwhile.
     */
    accountCheckSeconds: number;
    /**
     * An account whose token or credentials the channel refuses (the token quota used up, a wrong
     * secret) is asked again after `accountCheckSeconds`, doubling with each refusal up to this:
     * 诺诺's token endpoint must not be called often (50 per 30 days).
     */
    accountCheckMaxSeconds: number;
    /**
     * A healthy account on a channel that reports its state (诺诺, 金蝶) is checked this often, for
     * a fresh 授信额度 (the 异常中心's credit_low) and a session lost before an invoice meets it.
     */
    creditCheckMinutes: number;
    /**
     * A scan (a first load) is counted in memory and written with the others of this many
     * milliseconds in one statement (modules/scan/scan-counts.ts): it reaches the statistics this
     * much later, and a process killed without its shutdown loses at most these last ones.
     */
    scanCountMs: number;
    /** First retry of a failed delivery (SMTP/SMS down); doubles each time. */
    deliveryRetrySeconds: number;
    /**
     * A job (or a claimed delivery) still running this long is taken as lost (its process died)
     * and run again.
     */
    jobExpireSeconds: number;
    /** How often pg-boss looks for such jobs (and does its housekeeping). */
    jobMaintenanceSeconds: number;
    /**
     * A red invoice waiting for its 红字确认单 at a channel where the buyer answers at the bureau
     * (诺诺, 金蝶) is asked about this often (the red-confirmation poll).
     */
    redConfirmationPollSeconds: number;
    /** How long a submit waits for the channel before answering `issuing`. */
    submitWaitSeconds: number;
    /** How often workers poll their queues and sweeps look for due rows. */
    jobPollSeconds: number;
    /** Scales API.md's webhook retry ladder (1 min … 24 h); unset = 1. Tests shorten it. */
    webhookRetryFactor?: number;
    /**
     * A client has this long to send a whole request, headers and body (a slow or stalled body gets
     * 408 and the connection closes). Generous enough for a 5 MB item import over a slow link; the
     * answer (an export streaming for minutes) is not bounded by it.
     */
    httpRequestTimeoutSeconds: number;
    /** … and this long for the request line and headers (at most the request timeout). */
    httpHeadersTimeoutSeconds: number;
    /**
     * A connection with no bytes in either direction for this long is closed: above the longest
     * silent work of a request (an import being checked) and above any load balancer's idle timeout.
     */
    httpIdleTimeoutSeconds: number;
    /** An idle keep-alive connection is kept this long; above load balancers' usual 60 s. */
    httpKeepAliveSeconds: number;
    /**
     * SIGTERM: requests in flight, sweeps and jobs under way get this long to finish; what is still
     * running then is released to other processes and the process exits. Below the orchestrator's
     * own grace period (compose `stop_grace_period`, Kubernetes `terminationGracePeriodSeconds`).
     */
    shutdownSeconds: number;
  };
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration is invalid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  // An empty variable means "not set": shells and compose files often export VAR= .
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "environment");
      const got = present[name];
      return `${name}: ${issue.message}${got === undefined ? "" : ` (got ${JSON.stringify(got)})`}`;
    });
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.NODE_ENV === "production" && !e.PIAOMA_SECRET) {
    problems.push("PIAOMA_SECRET: required when NODE_ENV=production (e.g. openssl rand -hex 32)");
  }
  const tuning: Config["tuning"] = {
    issueBackstopSeconds: 15,
    issueRetrySeconds: 30,
    issuePendingFirstSeconds: 3,
    issuePendingThenSeconds: 5,
    accountCheckSeconds: 60,
    accountCheckMaxSeconds: 3600,
    creditCheckMinutes: 30,
    scanCountMs: 1000,
    deliveryRetrySeconds: 30,
    submitWaitSeconds: 5,
    redConfirmationPollSeconds: 60,
    jobExpireSeconds: 120,
    jobMaintenanceSeconds: 30,
    jobPollSeconds: 1,
    httpRequestTimeoutSeconds: 120,
    httpHeadersTimeoutSeconds: 30,
    httpIdleTimeoutSeconds: 300,
    httpKeepAliveSeconds: 72,
    shutdownSeconds: 25,
  };
  for (const pair of e.PIAOMA_TUNING?.split(",") ?? []) {
    const [key, value] = pair.split("=") as [string, string];
    if (key in tuning) tuning[key as keyof Config["tuning"]] = Number(value);
    else problems.push(`PIAOMA_TUNING: unknown setting ${key} (known: ${Object.keys(tuning).join(", ")})`);
    // 0 would mean "no timeout" to Node: exactly what these settings exist to prevent.
    if (key.startsWith("http") && key in tuning && Number(value) <= 0) {
      problems.push(`PIAOMA_TUNING: ${key} must be above 0`);
    }
  }
  const trustProxy = parseTrustProxy(e.PIAOMA_TRUST_PROXY);
  if (typeof trustProxy === "string") {
    problems.push(`PIAOMA_TRUST_PROXY: ${trustProxy} (got ${JSON.stringify(e.PIAOMA_TRUST_PROXY)})`);
  }
  if (e.PIAOMA_FILE_STORE === "s3" && !e.PIAOMA_S3_BUCKET) {
    problems.push("PIAOMA_S3_BUCKET: required when PIAOMA_FILE_STORE=s3");
  }
  if (e.MAIL_BOUNCE_SMTP_PORT !== undefined && !e.MAIL_BOUNCE_ADDRESS)
    problems.push("MAIL_BOUNCE_SMTP_PORT: needs MAIL_BOUNCE_ADDRESS (the address bounces return to)");
  if (Boolean(e.PIAOMA_S3_ACCESS_KEY_ID) !== Boolean(e.PIAOMA_S3_SECRET_ACCESS_KEY)) {
    problems.push(
      "PIAOMA_S3_ACCESS_KEY_ID and PIAOMA_S3_SECRET_ACCESS_KEY: set both, or neither (the AWS SDK's default credentials)",
    );
  }
  if (
    e.PIAOMA_SMS_PROVIDER === "aliyun" &&
    !(e.PIAOMA_ALIYUN_SMS_ACCESS_KEY_ID && e.PIAOMA_ALIYUN_SMS_ACCESS_KEY_SECRET)
  ) {
    problems.push(
      "PIAOMA_ALIYUN_SMS_ACCESS_KEY_ID and PIAOMA_ALIYUN_SMS_ACCESS_KEY_SECRET: required when PIAOMA_SMS_PROVIDER=aliyun",
    );
  }
  if (
    e.PIAOMA_SMS_PROVIDER === "tencent" &&
    !(e.PIAOMA_TENCENT_SMS_SECRET_ID && e.PIAOMA_TENCENT_SMS_SECRET_KEY && e.PIAOMA_TENCENT_SMS_SDK_APP_ID)
  ) {
    problems.push(
      "PIAOMA_TENCENT_SMS_SECRET_ID, PIAOMA_TENCENT_SMS_SECRET_KEY and PIAOMA_TENCENT_SMS_SDK_APP_ID: required when PIAOMA_SMS_PROVIDER=tencent",
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const dataDir = path.resolve(cwd, e.PIAOMA_DATA_DIR);
  const isDemoSetup = e.NODE_ENV !== "production" && !e.DATABASE_URL;
  const publicUrl = (e.PUBLIC_URL ?? `http://${hostForUrl(e.HOST)}:${e.PORT}`).replace(/\/+$/, "");
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    publicUrlFromListenAddress: e.PUBLIC_URL === undefined,
    database: e.DATABASE_URL
      ? { kind: "postgres", url: e.DATABASE_URL, poolSize: e.DB_POOL_SIZE }
      : { kind: "pglite", dataDir: path.join(dataDir, "pglite") },
    dataDir,
    fileStore: e.PIAOMA_FILE_STORE,
    s3: e.PIAOMA_S3_BUCKET
      ? {
          bucket: e.PIAOMA_S3_BUCKET,
          endpoint: e.PIAOMA_S3_ENDPOINT,
          region: e.PIAOMA_S3_REGION,
          credentials:
            e.PIAOMA_S3_ACCESS_KEY_ID && e.PIAOMA_S3_SECRET_ACCESS_KEY
              ? { accessKeyId: e.PIAOMA_S3_ACCESS_KEY_ID, secretAccessKey: e.PIAOMA_S3_SECRET_ACCESS_KEY }
              : undefined,
          forcePathStyle: e.PIAOMA_S3_FORCE_PATH_STYLE ?? false,
          prefix: e.PIAOMA_S3_PREFIX ?? "",
        }
      : undefined,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    mailBounce: {
      address: e.MAIL_BOUNCE_ADDRESS,
      smtpPort: e.MAIL_BOUNCE_SMTP_PORT,
      webhookToken: e.MAIL_BOUNCE_WEBHOOK_TOKEN,
    },
    secret: e.PIAOMA_SECRET,
    newSecret: e.PIAOMA_NEW_SECRET,
    allowPrivateUrls: e.PIAOMA_ALLOW_PRIVATE_URLS ?? isDemoSetup,
    services: {
      wechatApiUrl: e.PIAOMA_WECHAT_API_URL.replace(/\/+$/, ""),
      tianyanchaApiUrl: e.PIAOMA_TIANYANCHA_API_URL.replace(/\/+$/, ""),
    },
    sms: {
      provider: e.PIAOMA_SMS_PROVIDER,
      signName: e.PIAOMA_SMS_SIGN_NAME,
      codeTemplate: e.PIAOMA_SMS_CODE_TEMPLATE,
      noticeTemplate: e.PIAOMA_SMS_NOTICE_TEMPLATE,
      aliyun:
        e.PIAOMA_ALIYUN_SMS_ACCESS_KEY_ID && e.PIAOMA_ALIYUN_SMS_ACCESS_KEY_SECRET
          ? {
              accessKeyId: e.PIAOMA_ALIYUN_SMS_ACCESS_KEY_ID,
              accessKeySecret: e.PIAOMA_ALIYUN_SMS_ACCESS_KEY_SECRET,
              apiUrl: e.PIAOMA_ALIYUN_SMS_API_URL.replace(/\/+$/, ""),
            }
          : undefined,
      tencent:
        e.PIAOMA_TENCENT_SMS_SECRET_ID && e.PIAOMA_TENCENT_SMS_SECRET_KEY && e.PIAOMA_TENCENT_SMS_SDK_APP_ID
          ? {
              secretId: e.PIAOMA_TENCENT_SMS_SECRET_ID,
              secretKey: e.PIAOMA_TENCENT_SMS_SECRET_KEY,
              sdkAppId: e.PIAOMA_TENCENT_SMS_SDK_APP_ID,
              region: e.PIAOMA_TENCENT_SMS_REGION,
              apiUrl: e.PIAOMA_TENCENT_SMS_API_URL.replace(/\/+$/, ""),
            }
          : undefined,
      reportToken: e.PIAOMA_SMS_REPORT_TOKEN,
      caps: { perNumberPerDay: e.PIAOMA_SMS_CAP_PER_NUMBER_DAY, perCode: e.PIAOMA_SMS_CAP_PER_CODE },
    },
    metricsToken: e.METRICS_TOKEN,
    digestHour: e.PIAOMA_DIGEST_HOUR,
    demo: e.PIAOMA_DEMO ?? e.NODE_ENV !== "production",
    trustProxy: trustProxy as TrustProxy,
    roles: e.ROLES,
    tuning,
    logLevel: e.LOG_LEVEL,
  };
}

/** Names proxy-addr (Fastify's trustProxy) understands for whole address ranges. */
const PROXY_RANGE_NAMES = new Set(["loopback", "linklocal", "uniquelocal"]);

/**
 * `false` (or unset, `0`), a hop count (`1`, `2`), or a comma list of proxy addresses and CIDRs;
 * a string result is the problem with the value. `true` used to mean "believe every hop", which let a
 * client choose its own address by sending X-Forwarded-For itself, so it is refused with what to
 * write instead rather than guessed at.
 */
function parseTrustProxy(value: string | undefined): TrustProxy | string {
  const v = value?.trim().toLowerCase();
  if (v === undefined || v === "false" || v === "no" || v === "0") return false;
  if (v === "true" || v === "yes") {
    return (
      'no longer accepts "true" (it trusted every X-Forwarded-For hop, so clients could pick their own address): ' +
      "write the number of proxies in front of Piaoma (usually 1), or their addresses, e.g. 10.0.0.0/8,192.168.1.5"
    );
  }
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    return hops <= 10 ? hops : "a hop count must be from 1 to 10 (the proxies in front of Piaoma)";
  }
  const entries = v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = entries.filter((entry) => !isAddressOrCidr(entry) && !PROXY_RANGE_NAMES.has(entry));
  if (entries.length === 0 || bad.length > 0) {
    return (
      `must be false, a hop count such as 1, or proxy addresses/CIDRs such as 10.0.0.0/8,192.168.1.5` +
      (bad.length > 0 ? ` (not an address: ${bad.join(", ")})` : "")
    );
  }
  return entries;
}

function isAddressOrCidr(entry: string): boolean {
  const [address = "", prefix, ...rest] = entry.split("/");
  const family = net.isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d+$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

function hostForUrl(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "localhost";
  return host.includes(":") ? `[${host}]` : host;
}
