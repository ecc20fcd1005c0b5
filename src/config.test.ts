import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config";

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, "/srv/piaoma");
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected the configuration to be refused");
}

describe("loadConfig", () => {
  it("has working defaults: PGlite in ./data, port 3000 on loopback, both roles", () => {
    const c = loadConfig({}, "/srv/piaoma");
    expect(c.port).toBe(3000);
    expect(c.host).toBe("127.0.0.1");
    expect(c.publicUrl).toBe("http://127.0.0.1:3000");
    expect(c.database).toEqual({ kind: "pglite", dataDir: path.join("/srv/piaoma/data", "pglite") });
    expect(c.roles).toEqual(["api", "worker"]);
    expect(c.demo).toBe(true);
    // The demo talks to its own local merchant server.
    expect(c.allowPrivateUrls).toBe(true);
    expect(c.smtpUrl).toBeUndefined();
  });

  it("reads every documented variable", () => {
    const c = loadConfig(
      {
        PORT: "8080",
        HOST: "0.0.0.0",
        PUBLIC_URL: "https://fapiao.example.com/",
        DATABASE_URL: "postgres://u:p@db:5432/piaoma",
        PIAOMA_DATA_DIR: "/var/lib/piaoma",
        SMTP_URL: "smtp://user:pass@mail:587",
        MAIL_FROM: "发票 <fp@example.com>",
        PIAOMA_SECRET: "x".repeat(40),
        PIAOMA_ALLOW_PRIVATE_URLS: "false",
        ROLES: "worker",
        LOG_LEVEL: "debug",
      },
      "/srv",
    );
    expect(c.port).toBe(8080);
    expect(c.publicUrl).toBe("https://fapiao.example.com");
    expect(c.database).toEqual({ kind: "postgres", url: "postgres://u:p@db:5432/piaoma", poolSize: 10 });
    expect(c.dataDir).toBe("/var/lib/piaoma");
    expect(c.smtpUrl).toBe("smtp://user:pass@mail:587");
    expect(c.mailFrom).toBe("发票 <fp@example.com>");
    expect(c.secret).toHaveLength(40);
    expect(c.allowPrivateUrls).toBe(false);
    expect(c.roles).toEqual(["worker"]);
    expect(c.logLevel).toBe("debug");
  });

  it("does not allow private URLs by default against PostgreSQL", () => {
    expect(loadConfig({ DATABASE_URL: "postgresql://h/db" }).allowPrivateUrls).toBe(false);
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ PORT: "", DATABASE_URL: "" }).port).toBe(3000);
  });

  it("lists every bad value at once, naming the variable and what it got", () => {
    const problems = problemsOf({
      PORT: "abc",
      DATABASE_URL: "mysql://x",
      SMTP_URL: "mail.example.com",
      ROLES: "api,cron",
      PIAOMA_ALLOW_PRIVATE_URLS: "maybe",
      LOG_LEVEL: "loud",
      PUBLIC_URL: "ftp://x",
    });
    expect(problems).toHaveLength(7);
    expect(problems.find((p) => p.startsWith("PORT:"))).toContain('"abc"');
    expect(problems.find((p) => p.startsWith("DATABASE_URL:"))).toContain("postgres://");
    expect(problems.find((p) => p.startsWith("SMTP_URL:"))).toContain("smtp://");
    expect(problems.find((p) => p.startsWith("ROLES:"))).toContain("api and worker");
    expect(problems.some((p) => p.startsWith("PIAOMA_ALLOW_PRIVATE_URLS:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("LOG_LEVEL:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("PUBLIC_URL:"))).toBe(true);
  });

  it("refuses out-of-range ports and short secrets", () => {
    expect(problemsOf({ PORT: "70000" })[0]).toMatch(/^PORT: must be from 0 to 65535/);
    expect(problemsOf({ PIAOMA_SECRET: "short" })[0]).toMatch(/^PIAOMA_SECRET: must be at least 32/);
  });

  it("requires PIAOMA_SECRET in production and turns the demo off there", () => {
    expect(problemsOf({ NODE_ENV: "production" })).toEqual([
      expect.stringMatching(/^PIAOMA_SECRET: required/),
    ]);
    const c = loadConfig({ NODE_ENV: "production", PIAOMA_SECRET: "s".repeat(32) });
    expect(c.demo).toBe(false);
    expect(c.allowPrivateUrls).toBe(false);
  });

  it("formats the message as a readable list", () => {
    const e = new ConfigError(["PORT: bad", "HOST: bad"]);
    expect(e.message).toBe("Configuration is invalid:\n  - PORT: bad\n  - HOST: bad");
  });
});

describe("PIAOMA_TUNING", () => {
  it("overrides background timings and refuses unknown settings", () => {
    expect(loadConfig({ PIAOMA_TUNING: "issueBackstopSeconds=1,jobPollSeconds=0.5" }).tuning).toMatchObject({
      issueBackstopSeconds: 1,
      jobPollSeconds: 0.5,
      issueRetrySeconds: 30,
    });
    expect(problemsOf({ PIAOMA_TUNING: "nope=1" })[0]).toMatch(/^PIAOMA_TUNING: unknown setting nope/);
    expect(problemsOf({ PIAOMA_TUNING: "garbage" })[0]).toMatch(/^PIAOMA_TUNING: must look like/);
  });
});

describe("PIAOMA_TRUST_PROXY", () => {
  it("trusts no proxy by default, and takes a hop count or a list of proxy addresses", () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ PIAOMA_TRUST_PROXY: "false" }).trustProxy).toBe(false);
    expect(loadConfig({ PIAOMA_TRUST_PROXY: "0" }).trustProxy).toBe(false);
    expect(loadConfig({ PIAOMA_TRUST_PROXY: "1" }).trustProxy).toBe(1);
    expect(loadConfig({ PIAOMA_TRUST_PROXY: "2" }).trustProxy).toBe(2);
    expect(
      loadConfig({ PIAOMA_TRUST_PROXY: "10.0.0.0/8, 192.168.1.5,::1,fd00::/8,loopback" }).trustProxy,
    ).toEqual(["10.0.0.0/8", "192.168.1.5", "::1", "fd00::/8", "loopback"]);
  });

  it("refuses true (every hop trusted: clients pick their own address) and says what to write instead", () => {
    for (const value of ["true", "yes"]) {
      const [problem] = problemsOf({ PIAOMA_TRUST_PROXY: value });
      expect(problem).toMatch(/^PIAOMA_TRUST_PROXY: no longer accepts "true"/);
      expect(problem).toContain("number of proxies in front of Piaoma (usually 1)");
      expect(problem).toContain(`(got "${value}")`);
    }
  });

  it("names the entries that are not addresses", () => {
    expect(problemsOf({ PIAOMA_TRUST_PROXY: "10.0.0.1,proxy.local,10.0.0.0/33" })[0]).toMatch(
      /^PIAOMA_TRUST_PROXY: must be false, a hop count.*\(not an address: proxy\.local, 10\.0\.0\.0\/33\)/,
    );
    expect(problemsOf({ PIAOMA_TRUST_PROXY: "50" })[0]).toMatch(/hop count must be from 1 to 10/);
  });
});

describe("HTTP timeouts", () => {
  it("has production values and takes shorter ones (above 0) from PIAOMA_TUNING", () => {
    expect(loadConfig({}).tuning).toMatchObject({
      httpRequestTimeoutSeconds: 120,
      httpHeadersTimeoutSeconds: 30,
      httpIdleTimeoutSeconds: 300,
      httpKeepAliveSeconds: 72,
    });
    expect(
      loadConfig({ PIAOMA_TUNING: "httpRequestTimeoutSeconds=1.5" }).tuning.httpRequestTimeoutSeconds,
    ).toBe(1.5);
    expect(problemsOf({ PIAOMA_TUNING: "httpIdleTimeoutSeconds=0" })).toEqual([
      "PIAOMA_TUNING: httpIdleTimeoutSeconds must be above 0",
    ]);
  });
});

describe("S3 file store settings", () => {
  it("needs a bucket for PIAOMA_FILE_STORE=s3, and both keys or neither", () => {
    expect(problemsOf({ PIAOMA_FILE_STORE: "s3" })).toEqual([
      "PIAOMA_S3_BUCKET: required when PIAOMA_FILE_STORE=s3",
    ]);
    expect(
      problemsOf({ PIAOMA_FILE_STORE: "s3", PIAOMA_S3_BUCKET: "b1b", PIAOMA_S3_ACCESS_KEY_ID: "k" })[0],
    ).toMatch(/^PIAOMA_S3_ACCESS_KEY_ID and PIAOMA_S3_SECRET_ACCESS_KEY: set both, or neither/);
    expect(problemsOf({ PIAOMA_S3_ENDPOINT: "minio:9000" })[0]).toMatch(
      /^PIAOMA_S3_ENDPOINT: must be an http\(s\) URL/,
    );
  });

  it("reads endpoint, region, keys, path style and prefix", () => {
    const config = loadConfig({
      PIAOMA_FILE_STORE: "s3",
      PIAOMA_S3_BUCKET: "invoices",
      PIAOMA_S3_ENDPOINT: "http://minio:9000",
      PIAOMA_S3_ACCESS_KEY_ID: "id",
      PIAOMA_S3_SECRET_ACCESS_KEY: "secret",
      PIAOMA_S3_FORCE_PATH_STYLE: "true",
      PIAOMA_S3_PREFIX: "piaoma/",
    });
    expect(config.fileStore).toBe("s3");
    expect(config.s3).toEqual({
      bucket: "invoices",
      endpoint: "http://minio:9000",
      region: "us-east-1",
      credentials: { accessKeyId: "id", secretAccessKey: "secret" },
      forcePathStyle: true,
      prefix: "piaoma/",
    });
    expect(loadConfig({}).s3).toBeUndefined();
  });
});
