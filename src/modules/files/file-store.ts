import fs from "node:fs/promises";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import type { Database, DbOrTx } from "../../platform/db/client";
import { invoiceFiles } from "../../platform/db/schema";

/**
 * Where invoice files (PDF, XML) live. `database` (default) keeps them in invoice_files.content, so
 * several processes on PostgreSQL share them with no shared disk; `local` writes them under the data
 * folder and keeps only the key in the database.
 */
export interface FileStore {
  readonly id: "database" | "local";
  /** Stores the bytes; returns what to write into invoice_files (content or storage key). */
  put(key: string, bytes: Buffer): Promise<{ content: Buffer | null; storageKey: string | null }>;
  get(invoiceId: string, kind: "pdf" | "xml"): Promise<Buffer | undefined>;
}

export function createDatabaseFileStore(database: Database): FileStore {
  return {
    id: "database",
    put: async (_key, bytes) => ({ content: bytes, storageKey: null }),
    get: (invoiceId, kind) => readContent(database.db, invoiceId, kind),
  };
}

export function createLocalFileStore(database: Database, root: string): FileStore {
  return {
    id: "local",
    put: async (key, bytes) => {
      const file = path.join(root, key);
      await fs.mkdir(path.dirname(file), { recursive: true });
      // Write then rename: a reader never sees half a file, a crash never leaves one.
      await fs.writeFile(`${file}.tmp`, bytes);
      await fs.rename(`${file}.tmp`, file);
      return { content: null, storageKey: key };
    },
    get: async (invoiceId, kind) => {
      const [row] = await database.db
        .select({ storageKey: invoiceFiles.storageKey, content: invoiceFiles.content })
        .from(invoiceFiles)
        .where(and(eq(invoiceFiles.invoiceId, invoiceId), eq(invoiceFiles.kind, kind)));
      if (!row) return undefined;
      if (row.content) return row.content;
      if (!row.storageKey || row.storageKey.includes("..")) return undefined;
      return fs.readFile(path.join(root, row.storageKey)).catch(() => undefined);
    },
  };
}

async function readContent(db: DbOrTx, invoiceId: string, kind: "pdf" | "xml"): Promise<Buffer | undefined> {
  const [row] = await db
    .select({ content: invoiceFiles.content })
    .from(invoiceFiles)
    .where(and(eq(invoiceFiles.invoiceId, invoiceId), eq(invoiceFiles.kind, kind)));
  return row?.content ?? undefined;
}
