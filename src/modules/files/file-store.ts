import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { S3Settings } from "../../config";
import type { Database, DbOrTx } from "../../platform/db/client";
import { invoiceFiles } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";

/**
 * Where invoice files (PDF, XML) live. `database` (default) keeps them in invoice_files.content, so
 * several processes on PostgreSQL share them with no shared disk; `local` writes them under the data
 * folder and keeps only the key in the database; `s3` puts them in an S3-compatible bucket and keeps
 * `s3:{object key}` in the row.
 */
/**
 * The files of an invoice: `pdf`, `xml`, `ofd` — the legal files (the channel's own when it has
 * them, else Piaoma's rendering, as for the sandbox) — and `preview_pdf` / `preview_xml`, Piaoma's
 * rendering kept as the preview when the channel has its own.
 */
export type InvoiceFileKind = "pdf" | "xml" | "ofd" | "preview_pdf" | "preview_xml";

/** The rows that answer for a kind, best first: the legal file, else its preview. */
export function kindsFor(kind: InvoiceFileKind): InvoiceFileKind[] {
  return kind === "pdf" || kind === "xml" ? [kind, `preview_${kind}`] : [kind];
}

/** The stored row for a kind (the legal file, or the preview while the legal one is not there). */
async function fileRow(db: DbOrTx, invoiceId: string, kind: InvoiceFileKind) {
  const kinds = kindsFor(kind);
  const rows = await db
    .select({ kind: invoiceFiles.kind, storageKey: invoiceFiles.storageKey, content: invoiceFiles.content })
    .from(invoiceFiles)
    .where(and(eq(invoiceFiles.invoiceId, invoiceId), inArray(invoiceFiles.kind, kinds)));
  return rows.sort(
    (a, b) => kinds.indexOf(a.kind as InvoiceFileKind) - kinds.indexOf(b.kind as InvoiceFileKind),
  )[0];
}

export interface FileStore {
  readonly id: "database" | "local" | "s3";
  /** Stores the bytes; returns what to write into invoice_files (content or storage key). */
  put(key: string, bytes: Buffer): Promise<Placement>;
  get(invoiceId: string, kind: InvoiceFileKind): Promise<Buffer | undefined>;
  /** The file as a stream, for downloads (stores that can stream; the others answer `get`). */
  open?(invoiceId: string, kind: InvoiceFileKind): Promise<Readable | undefined>;
  /** Deletes what `put` wrote (only stores whose keys are never reused: each put its own key). */
  remove?(storageKey: string): Promise<void>;
}

export type Placement = { content: Buffer | null; storageKey: string | null };

/** A download's body: streamed when the store can, else the bytes. */
export async function openForDownload(
  store: FileStore,
  invoiceId: string,
  kind: InvoiceFileKind,
): Promise<Buffer | Readable | undefined> {
  return store.open ? store.open(invoiceId, kind) : store.get(invoiceId, kind);
}

/**
 * Files are put before the row naming them commits. When that commit did not happen (the save
 * failed, or a concurrent attempt saved its own files), what this attempt put is deleted — only
 * once the database confirms no row names it, and only by stores whose keys are unique per put, so
 * a committed file is never removed. A failure here leaves an unreferenced object, never a missing
 * one.
 */
export async function discardUnrecorded(
  ctx: { database: Database; providers: { files: FileStore }; log: Logger },
  placements: Placement[],
): Promise<void> {
  const store = ctx.providers.files;
  if (!store.remove) return;
  for (const p of placements) {
    if (!p.storageKey) continue;
    try {
      const { rows } = await ctx.database.executeSql(
        "select 1 from invoice_files where storage_key = $1 limit 1",
        [p.storageKey],
      );
      if (rows.length === 0) await store.remove(p.storageKey);
    } catch (err) {
      ctx.log.warn({ err, storageKey: p.storageKey }, "an unsaved invoice file could not be removed");
    }
  }
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
      const row = await fileRow(database.db, invoiceId, kind);
      if (!row) return undefined;
      if (row.content) return row.content;
      if (!row.storageKey || row.storageKey.includes("..")) return undefined;
      return fs.readFile(path.join(root, row.storageKey)).catch(() => undefined);
    },
  };
}

async function readContent(
  db: DbOrTx,
  invoiceId: string,
  kind: InvoiceFileKind,
): Promise<Buffer | undefined> {
  return (await fileRow(db, invoiceId, kind))?.content ?? undefined;
}

const S3_PREFIX = "s3:";

/**
 * S3-compatible object storage through the AWS SDK v3. Each put gets its own object key (the file's
 * name plus a random part), so deleting an unsaved attempt's object never touches a saved one. Rows
 * written by the other stores (bytes in the row, or a key under the local folder) are still read,
 * so switching to s3 works before `piaoma files:migrate --to s3` has moved them.
 */
export function createS3FileStore(
  database: Database,
  settings: S3Settings,
  localRoot: string,
): FileStore & { client: S3Client } {
  const client = new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    credentials: settings.credentials,
  });
  const row = (invoiceId: string, kind: InvoiceFileKind) => fileRow(database.db, invoiceId, kind);
  const fetchObject = async (key: string) => {
    try {
      const answer = await client.send(new GetObjectCommand({ Bucket: settings.bucket, Key: key }));
      return answer.Body as (Readable & { transformToByteArray(): Promise<Uint8Array> }) | undefined;
    } catch (e) {
      if (e instanceof NoSuchKey) return undefined;
      throw storageUnavailable(e);
    }
  };
  const readLocal = (key: string) =>
    key.includes("..")
      ? Promise.resolve(undefined)
      : fs.readFile(path.join(localRoot, key)).catch(() => undefined);
  return {
    id: "s3",
    client,
    put: async (key, bytes) => {
      const objectKey = `${settings.prefix}${key.replace(/(\.[a-z0-9]+)?$/, (ext) => `.${randomBytes(8).toString("hex")}${ext}`)}`;
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: settings.bucket,
            Key: objectKey,
            Body: bytes,
            ContentLength: bytes.length,
            ContentType: key.endsWith(".pdf")
              ? "application/pdf"
              : key.endsWith(".ofd")
                ? "application/ofd"
                : "application/xml",
          }),
        );
      } catch (e) {
        throw storageUnavailable(e);
      }
      return { content: null, storageKey: `${S3_PREFIX}${objectKey}` };
    },
    get: async (invoiceId, kind) => {
      const found = await row(invoiceId, kind);
      if (!found) return undefined;
      if (found.content) return found.content;
      if (!found.storageKey) return undefined;
      if (!found.storageKey.startsWith(S3_PREFIX)) return readLocal(found.storageKey);
      const body = await fetchObject(found.storageKey.slice(S3_PREFIX.length));
      return body ? Buffer.from(await body.transformToByteArray()) : undefined;
    },
    open: async (invoiceId, kind) => {
      const found = await row(invoiceId, kind);
      if (!found) return undefined;
      if (found.content) return Readable.from([found.content]);
      if (!found.storageKey) return undefined;
      if (!found.storageKey.startsWith(S3_PREFIX)) {
        const bytes = await readLocal(found.storageKey);
        return bytes ? Readable.from([bytes]) : undefined;
      }
      return fetchObject(found.storageKey.slice(S3_PREFIX.length));
    },
    remove: async (storageKey) => {
      if (!storageKey.startsWith(S3_PREFIX)) return;
      await client.send(
        new DeleteObjectCommand({ Bucket: settings.bucket, Key: storageKey.slice(S3_PREFIX.length) }),
      );
    },
  };
}

export function isS3Key(storageKey: string | null): boolean {
  return storageKey?.startsWith(S3_PREFIX) ?? false;
}

/** An unreachable or refusing object store: the caller answers 503, the sweep retries issuing. */
function storageUnavailable(e: unknown): AppError {
  const what =
    e instanceof S3ServiceException ? `${e.name} (${e.$metadata.httpStatusCode ?? "?"})` : String(e);
  return new AppError("SERVICE_UNAVAILABLE", `文件存储暂不可用 (object storage: ${what})`);
}

/** Rows whose file is in the object store already. */
export const storageKeyIsS3 = sql`${invoiceFiles.storageKey} like 's3:%'`;
