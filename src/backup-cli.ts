import { openDatabase, version } from "./app";
import type { Config } from "./config";
import { backupThroughServer, restoreBackup, writeBackup } from "./modules/backup/backup";
import { lockDataDir } from "./platform/db/data-dir-lock";
import { AppError } from "./platform/errors";

/** `piaoma backup --out DIR` and `piaoma restore --from DIR`; the result is printed as JSON. */
export async function backupCommand(
  command: "backup" | "restore",
  config: Config,
  flags: { out?: string; from?: string },
): Promise<unknown> {
  if (command === "backup") {
    if (!flags.out) throw new AppError("BAD_REQUEST", "backup needs --out DIR (a new or empty folder)");
    // A running server on PGlite holds the folder: it writes the backup itself.
    if (config.database.kind === "pglite") {
      const manifest = await backupThroughServer(config, flags.out);
      if (manifest) return { ...manifest, takenBy: "running server" };
    }
    const { database, lock } = await openDatabase(config);
    try {
      return await writeBackup({ database, config }, { out: flags.out, version });
    } finally {
      await database.close().catch(() => {});
      lock?.release();
    }
  }
  if (!flags.from)
    throw new AppError("BAD_REQUEST", "restore needs --from DIR (a folder written by piaoma backup)");
  // PGlite: nobody may have the folder open while it is replaced.
  const lock = config.database.kind === "pglite" ? lockDataDir(config.dataDir) : undefined;
  try {
    return { restored: true, ...(await restoreBackup(config, { from: flags.from })) };
  } finally {
    lock?.release();
  }
}
