import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const bin = path.join(repoRoot, "bin/piaoma.mjs");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: unknown;
}

/** Runs `piaoma …` as a user would, in its own process, with the given environment on top. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repoRoot,
      env: { ...cleanEnv(), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `piaoma serve` on a free port and waits for its banner (`from`: another tree, an image's). */
export function startServer(
  env: Record<string, string>,
  timeoutMs = 90_000,
  nodeArgs: string[] = [],
  from = repoRoot,
): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, path.join(from, "bin/piaoma.mjs"), "serve"], {
      cwd: from,
      env: { ...cleanEnv(), PORT: "0", LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d;
      const m = out.match(/健康检查 Health\s+(\S+)\/health/);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({
          child,
          baseUrl: m[1],
          output: () => out,
          stop: (signal = "SIGTERM") =>
            new Promise((res) => {
              // Gone already (by its own exit or by a signal): nothing to wait for.
              if (child.exitCode !== null || child.signalCode !== null) return res(child.exitCode);
              // A process that ignores the signal is killed outright after 20 s.
              const hard = setTimeout(() => child.kill("SIGKILL"), 20_000);
              child.once("exit", (code) => {
                clearTimeout(hard);
                res(code);
              });
              child.kill(signal);
            }),
        });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before starting:\n${out}`));
    });
  });
}

/** The parent's environment without the variables that would point a child at the wrong place. */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^(PORT|HOST|PUBLIC_URL|DATABASE_URL|PIAOMA_.*|SMTP_URL|ROLES|LOG_LEVEL|NODE_ENV|VITEST.*)$/.test(k))
      continue;
    env[k] = v;
  }
  return env;
}

/**
 * Starts `piaoma standin <service> --port 0` and waits for the JSON it prints (the stand-in's address
 * and what to configure); `stop()` ends it by its own process id.
 */
export function startStandinProcess(
  service: string,
  timeoutMs = 60_000,
): Promise<{ info: Record<string, unknown>; stop(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "standin", service, "--port", "0"], {
      cwd: repoRoot,
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`standin ${service} printed nothing usable in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const stop = () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res();
        child.once("exit", () => res());
        child.kill("SIGTERM");
      });
    child.stdout.on("data", (d: Buffer) => {
      out += d;
      try {
        const info = JSON.parse(out) as Record<string, unknown>;
        clearTimeout(timer);
        resolve({ info, stop });
      } catch {
        // not whole yet
      }
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d;
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`standin ${service} exited with ${code}:\n${out}`));
    });
  });
}
