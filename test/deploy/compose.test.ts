import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../../src/config";

/**
 * deploy/compose.yaml, deploy/nginx.conf and the Dockerfile, read as data: no container engine runs
 * here, so the structure is what is checked — the services and their roles, what each waits for,
 * health checks, the grace period against the shutdown deadline, and every process's environment
 * passing the program's own configuration check.
 */
const root = path.resolve(import.meta.dirname, "../..");
const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8");

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
  ports?: string[];
}
const compose = parse(read("deploy/compose.yaml"), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const processes = ["api1", "api2", "worker"] as const;

/** Compose's variable syntax with the values an operator would export. */
function substitute(value: string): string {
  const exported: Record<string, string> = {
    POSTGRES_PASSWORD: "pw",
    PIAOMA_SECRET: "0123456789abcdef0123456789abcdef",
  };
  return value.replace(/\$\{(\w+)(?::([?-])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
    if (name in exported) return exported[name]!;
    if (kind === "?") throw new Error(`${name} is required by compose.yaml and was not exported`);
    return rest ?? "";
  });
}
const envOf = (s: Service) =>
  Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, substitute(String(v))]));

function seconds(text: string | undefined): number {
  const m = /^(\d+)(s|m)$/.exec(text ?? "");
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * (m[2] === "m" ? 60 : 1);
}

describe("deploy/compose.yaml", () => {
  it("has PostgreSQL, a migration, two web processes, one worker and a proxy", () => {
    expect(Object.keys(services).sort()).toEqual(["api1", "api2", "db", "migrate", "proxy", "worker"]);
    expect(services.db!.image).toMatch(/^postgres:\d+/);
    expect(services.migrate!.command).toEqual(["node", "bin/piaoma.mjs", "migrate"]);
  });

  it("gives each process its role, and each environment passes the program's configuration check", () => {
    const roles = Object.fromEntries(processes.map((p) => [p, loadConfig(envOf(services[p]!)).roles]));
    expect(roles).toEqual({ api1: ["api"], api2: ["api"], worker: ["worker"] });
    for (const name of [...processes, "migrate"]) {
      const config = loadConfig(envOf(services[name]!));
      expect(config.env, name).toBe("production");
      expect(config.database, name).toMatchObject({ kind: "postgres" });
      expect(new URL((config.database as { url: string }).url).hostname, name).toBe("db");
      expect(config.secret, name).toBeDefined();
      expect(config.demo, name).toBe(false);
    }
    // The web processes believe exactly the one proxy in front of them.
    for (const p of ["api1", "api2"]) expect(loadConfig(envOf(services[p]!)).trustProxy).toBe(1);
  });

  it("starts the processes after the database is healthy and the migration has succeeded", () => {
    expect(services.migrate!.depends_on).toEqual({ db: { condition: "service_healthy" } });
    for (const p of processes) {
      expect(services[p]!.depends_on, p).toEqual({
        db: { condition: "service_healthy" },
        migrate: { condition: "service_completed_successfully" },
      });
    }
    expect(services.proxy!.depends_on).toEqual({
      api1: { condition: "service_healthy" },
      api2: { condition: "service_healthy" },
    });
  });

  it("checks every long-running service's health, the processes' the way the image does", () => {
    const dockerfile = read("Dockerfile");
    const imageCheck = /^HEALTHCHECK .* CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(imageCheck).toBeDefined();
    for (const p of processes) {
      expect(services[p]!.healthcheck?.test, p).toEqual(["CMD", ...JSON.parse(imageCheck!)]);
    }
    for (const s of ["db", "proxy"]) expect(services[s]!.healthcheck?.test?.length, s).toBeGreaterThan(1);
  });

  it("lets a stopping process drain: the grace period is above the shutdown deadline", () => {
    const { shutdownSeconds } = loadConfig({}).tuning;
    for (const p of processes) {
      expect(seconds(services[p]!.stop_grace_period), p).toBeGreaterThan(shutdownSeconds);
      expect(loadConfig(envOf(services[p]!)).tuning.shutdownSeconds).toBe(shutdownSeconds);
    }
  });

  it("proxies to exactly the web processes, on the port they listen on", () => {
    const nginx = read("deploy/nginx.conf");
    const upstreams = [...nginx.matchAll(/^\s*server\s+([\w.-]+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    const port = loadConfig({ ...envOf(services.api1!), PORT: "3000" }).port;
    expect(upstreams.sort()).toEqual([`api1:${port}`, `api2:${port}`]);
    expect(nginx).toMatch(/proxy_next_upstream error timeout;/);
    expect(nginx).toMatch(/X-Forwarded-For \$proxy_add_x_forwarded_for/);
    expect(services.proxy!.ports?.map(substitute)).toEqual(["8080:80"]);
  });
});

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile");
  const stages = dockerfile.split(/^FROM /m).slice(1);

  it("builds in one stage with the script CI runs, and runs the tree as a non-root user", () => {
    expect(stages).toHaveLength(2);
    const [build, run] = stages as [string, string];
    expect([...build.matchAll(/^RUN (.*)$/gm)].map((m) => m[1])).toEqual([
      "npm ci --no-audit --no-fund",
      "scripts/build-image-fs.sh /image",
    ]);
    expect(run).toMatch(/^COPY --from=build \/image \/app$/m);
    expect(run).toMatch(/^USER node$/m);
    expect(run).toMatch(/^STOPSIGNAL SIGTERM$/m);
    expect(run).toMatch(/^CMD \["node", "bin\/piaoma.mjs", "serve"\]$/m);
    expect(run).toMatch(/NODE_ENV=production/);
    expect(run).toMatch(/HOST=0\.0\.0\.0/);
  });
});
