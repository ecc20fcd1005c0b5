import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import type { Config } from "../../config";
import type { Database } from "../../platform/db/client";
import { AppError } from "../../platform/errors";

/**
 * `piaoma backup` and `piaoma restore`. A backup is a folder:
 *   manifest.json    what it holds, each file's size and SHA-256
 *   pglite.tar.gz    the embedded database (PGlite's dumpDataDir: consistent, taken by the process
 *                    that has the folder open — a running server does it through its admin socket)
 *   database.pgdump  PostgreSQL (pg_dump --format=custom; pg_dump must be on PATH, same major as
 *                    the server or newer)
 *   files/           the local file store (PIAOMA_FILE_STORE=local), copied after the database dump,
 *                    so every file a dumped row names is there
 *   secret.key       the master secret, only when it was generated into the data folder (no
 *                    PIAOMA_SECRET): without it the secrets at rest cannot be read back
 * The database store keeps files in the dump; an object store is backed up by its own means.
 */

const run = promisify(execFile);

export interface BackupManifest {
  format: 1;
  version: string;
  createdAt: string;
  database: "pglite" | "postgres";
  fileStore: Config["fileStore"];
  /** Whether secret.key is in the backup; otherwise the operator keeps PIAOMA_SECRET. */
  secretIncluded: boolean;
  files: Array<{ path: string; size: number; sha256: string }>;
}

export const ADMIN_SOCKET = "admin.sock";

export async function writeBackup(
  ctx: { database: Database; config: Config },
  options: { out: string; version: string },
): Promise<BackupManifest> {
  const out = path.resolve(options.out);
  if (fs.existsSync(out) && fs.readdirSync(out).length > 0) {
    throw new AppError("CONFLICT", `the backup folder ${out} is not empty`);
  }
  fs.mkdirSync(out, { recursive: true, mode: 0o700 });
  const { database, config } = ctx;
  if (database.kind === "pglite") {
    const dump = await database.client.dumpDataDir("gzip");
    fs.writeFileSync(path.join(out, "pglite.tar.gz"), Buffer.from(await dump.arrayBuffer()), { mode: 0o600 });
  } else {
    const url = config.database.kind === "postgres" ? config.database.url : "";
    await pgTool("pg_dump", [
      "--format=custom",
      "--no-owner",
      `--file=${path.join(out, "database.pgdump")}`,
      url,
    ]);
  }
  const filesDir = path.join(config.dataDir, "files");
  if (fs.existsSync(filesDir)) fs.cpSync(filesDir, path.join(out, "files"), { recursive: true });
  const secretFile = path.join(config.dataDir, "secret.key");
  const secretIncluded = !config.secret && fs.existsSync(secretFile);
  if (secretIncluded) fs.copyFileSync(secretFile, path.join(out, "secret.key"));

  const manifest: BackupManifest = {
    format: 1,
    version: options.version,
    createdAt: new Date().toISOString(),
    database: database.kind,
    fileStore: config.fileStore,
    secretIncluded,
    files: listFiles(out).map((rel) => ({ path: rel, ...digest(path.join(out, rel)) })),
  };
  fs.writeFileSync(path.join(out, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`, {
    mode: 0o600,
  });
  return manifest;
}

/**
 * Restores a backup into the configured database and data folder. PGlite: the folder must not be in
 * use (the caller holds its lock); an existing database is moved aside to `pglite.replaced-…`, never
 * deleted. PostgreSQL: pg_restore --clean into DATABASE_URL; stop every process first.
 */
export async function restoreBackup(
  config: Config,
  options: { from: string },
): Promise<{
  database: string;
  files: number;
  secret: "restored" | "unchanged" | "not in backup";
  movedAside?: string;
}> {
  const from = path.resolve(options.from);
  const manifest = readManifest(from);
  for (const f of manifest.files) {
    const actual = digest(path.join(from, f.path));
    if (actual.size !== f.size || actual.sha256 !== f.sha256) {
      throw new AppError("VALIDATION_FAILED", `backup file ${f.path} does not match its manifest (damaged)`);
    }
  }
  if (manifest.database !== config.database.kind) {
    throw new AppError(
      "VALIDATION_FAILED",
      `the backup is of a ${manifest.database} database, the configuration names ${config.database.kind}`,
    );
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  let movedAside: string | undefined;
  if (config.database.kind === "pglite") {
    const target = config.database.dataDir;
    if (fs.existsSync(target) && fs.readdirSync(target).length > 0) {
      movedAside = `${target}.replaced-${stamp}`;
      fs.renameSync(target, movedAside);
    }
    const tarball = fs.readFileSync(path.join(from, "pglite.tar.gz"));
    const client = await PGlite.create({ dataDir: target, loadDataDir: new Blob([tarball]) });
    await client.close();
  } else {
    await pgTool("pg_restore", [
      "--clean",
      "--if-exists",
      "--no-owner",
      "--exit-on-error",
      `--dbname=${config.database.url}`,
      path.join(from, "database.pgdump"),
    ]);
  }
  let files = 0;
  const backupFiles = path.join(from, "files");
  if (fs.existsSync(backupFiles)) {
    fs.cpSync(backupFiles, path.join(config.dataDir, "files"), { recursive: true });
    files = listFiles(backupFiles).length;
  }
  let secret: "restored" | "unchanged" | "not in backup" = "not in backup";
  if (manifest.secretIncluded) {
    const saved = fs.readFileSync(path.join(from, "secret.key"));
    const current = path.join(config.dataDir, "secret.key");
    if (fs.existsSync(current) && fs.readFileSync(current).equals(saved)) secret = "unchanged";
    else {
      if (fs.existsSync(current)) fs.renameSync(current, `${current}.replaced-${stamp}`);
      fs.writeFileSync(current, saved, { mode: 0o600 });
      secret = "restored";
    }
  }
  return { database: manifest.database, files, secret, ...(movedAside ? { movedAside } : {}) };
}

/**
 * A server on PGlite holds its data folder: `piaoma backup` then asks it, over a Unix socket in that
 * folder (reachable only by its owner), to write the backup itself.
 */
export function serveAdminSocket(
  ctx: { database: Database; config: Config },
  version: string,
): { close(): Promise<void> } {
  const file = path.join(ctx.config.dataDir, ADMIN_SOCKET);
  fs.rmSync(file, { force: true });
  const server = net.createServer((socket) => {
    let request = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => {
      request += chunk;
      if (!request.includes("\n")) return;
      const { command, out } = JSON.parse(request.slice(0, request.indexOf("\n"))) as {
        command: string;
        out: string;
      };
      const answer =
        command === "backup"
          ? writeBackup(ctx, { out, version }).then((manifest) => ({ manifest }))
          : Promise.resolve({ error: { code: "BAD_REQUEST", message: `unknown command ${command}` } });
      void answer
        .catch((e: unknown) => ({
          error: { code: e instanceof AppError ? e.code : "INTERNAL", message: (e as Error).message },
        }))
        .then((body) => socket.end(`${JSON.stringify(body)}\n`));
    });
    socket.on("error", () => {});
  });
  server.listen(file);
  fs.chmodSync(file, 0o600);
  return {
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
      }),
  };
}

/** Sends `backup` to the server holding the data folder; undefined when none is listening. */
export async function backupThroughServer(config: Config, out: string): Promise<BackupManifest | undefined> {
  const file = path.join(config.dataDir, ADMIN_SOCKET);
  if (!fs.existsSync(file)) return undefined;
  return new Promise((resolve, reject) => {
    const socket = net.connect(file);
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("connect", () =>
      socket.write(`${JSON.stringify({ command: "backup", out: path.resolve(out) })}\n`),
    );
    socket.on("data", (d) => {
      answer += d;
    });
    socket.on("end", () => {
      const body = JSON.parse(answer) as {
        manifest?: BackupManifest;
        error?: { code: string; message: string };
      };
      if (body.manifest) resolve(body.manifest);
      else
        reject(
          new AppError(
            (body.error?.code ?? "INTERNAL") as "INTERNAL",
            body.error?.message ?? "backup failed",
          ),
        );
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      // A socket left by a process that is gone: nobody holds the folder.
      if (e.code === "ECONNREFUSED" || e.code === "ENOENT") resolve(undefined);
      else reject(e);
    });
  });
}

function readManifest(from: string): BackupManifest {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(from, "manifest.json"), "utf8"));
  } catch {
    throw new AppError("VALIDATION_FAILED", `${from} is not a Piaoma backup (no readable manifest.json)`);
  }
  if (manifest.format !== 1) {
    throw new AppError("VALIDATION_FAILED", `unknown backup format ${String(manifest.format)}`);
  }
  return manifest;
}

async function pgTool(tool: "pg_dump" | "pg_restore", args: string[]): Promise<void> {
  try {
    await run(tool, args, { maxBuffer: 16 << 20 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === "ENOENT") {
      throw new AppError("SERVICE_UNAVAILABLE", `${tool} is not installed (PostgreSQL's client tools)`);
    }
    // Its message names the failing step; the URL (with a password) is not repeated.
    throw new AppError("INTERNAL", `${tool} failed: ${(err.stderr ?? "").trim().slice(0, 2000)}`);
  }
}

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .sort();
}

function digest(file: string): { size: number; sha256: string } {
  const bytes = fs.readFileSync(file);
  return { size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
}
