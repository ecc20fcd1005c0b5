import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import type { Config } from "../../config";
import type { Database } from "../../platform/db/client";
import { AppError } from "../../platform/errors";
import { createS3FileStore } from "./file-store";

/**
 * `piaoma files:migrate --to s3`: moves invoice files kept in the database (bytes in the row) or
 * under the data folder (`local`) into the bucket, one row at a time. For each file: its bytes are
 * checked against the row's size and SHA-256, written under a new object key, read back and checked
 * again, and only then the row is switched to the object (content emptied) — by a conditional update,
 * so a row changed meanwhile is left for the next run. Resumable: it picks up the rows not yet moved.
 * Local files are left in place (delete the folder once you have checked); nothing is deleted from
 * the database but the moved bytes.
 */
export interface MigrateResult {
  to: "s3";
  migrated: number;
  alreadyInS3: number;
  failed: Array<{ invoiceId: string; kind: string; reason: string }>;
}

export async function migrateFilesToS3(
  ctx: { database: Database; config: Config },
  options: { batch?: number; log?: (line: string) => void } = {},
): Promise<MigrateResult> {
  const { config, database } = ctx;
  if (!config.s3)
    throw new AppError(
      "BAD_REQUEST",
      "files:migrate --to s3 needs PIAOMA_S3_BUCKET (and the other PIAOMA_S3_* settings)",
    );
  const settings = config.s3;
  const localRoot = path.join(config.dataDir, "files");
  const store = createS3FileStore(database, settings, localRoot);
  const result: MigrateResult = { to: "s3", migrated: 0, alreadyInS3: 0, failed: [] };
  const failedKeys = new Set<string>();
  const batch = options.batch ?? 100;
  try {
    const [{ n } = { n: 0 }] = (
      await database.executeSql("select count(*)::int as n from invoice_files where storage_key like 's3:%'")
    ).rows as Array<{ n: number }>;
    result.alreadyInS3 = n;
    for (;;) {
      // Keyset pagination over the rows still outside the bucket; failures are skipped this run.
      const { rows } = (await database.executeSql(
        `select invoice_id, kind, size, sha256, content, storage_key from invoice_files
         where (storage_key is null or storage_key not like 's3:%')
           and not ((invoice_id || '/' || kind) = any($1::text[]))
         order by invoice_id, kind limit $2`,
        [[...failedKeys], batch],
      )) as {
        rows: Array<{
          invoice_id: string;
          kind: string;
          size: number;
          sha256: string;
          content: Buffer | Uint8Array | null;
          storage_key: string | null;
        }>;
      };
      if (rows.length === 0) break;
      for (const r of rows) {
        const fail = (reason: string) => {
          failedKeys.add(`${r.invoice_id}/${r.kind}`);
          result.failed.push({ invoiceId: r.invoice_id, kind: r.kind, reason });
        };
        let bytes: Buffer | undefined;
        if (r.content) bytes = Buffer.from(r.content);
        else if (r.storage_key && !r.storage_key.includes("..")) {
          bytes = await fs.readFile(path.join(localRoot, r.storage_key)).catch(() => undefined);
        }
        if (!bytes) {
          fail(
            r.storage_key ? `local file ${r.storage_key} is missing` : "the row has neither bytes nor a key",
          );
          continue;
        }
        if (bytes.length !== Number(r.size) || sha256(bytes) !== r.sha256) {
          fail("the stored bytes do not match the row's size and SHA-256");
          continue;
        }
        try {
          const placed = await store.put(
            r.storage_key ?? `invoices/migrated/${r.invoice_id}.${r.kind}`,
            bytes,
          );
          const objectKey = placed.storageKey!.slice("s3:".length);
          const back = await store.client.send(
            new GetObjectCommand({ Bucket: settings.bucket, Key: objectKey }),
          );
          const copy = Buffer.from((await back.Body?.transformToByteArray()) ?? []);
          if (copy.length !== bytes.length || sha256(copy) !== r.sha256) {
            await store.remove?.(placed.storageKey!);
            fail("the object read back differs from the file");
            continue;
          }
          const { rows: switched } = await database.executeSql(
            `update invoice_files set storage_key = $1, content = null
             where invoice_id = $2 and kind = $3 and storage_key is not distinct from $4 and sha256 = $5
             returning invoice_id`,
            [placed.storageKey, r.invoice_id, r.kind, r.storage_key, r.sha256],
          );
          if (switched.length === 0) {
            await store.remove?.(placed.storageKey!);
            fail("the row changed while it was being moved; run again");
            continue;
          }
          result.migrated += 1;
          if (result.migrated % 500 === 0) options.log?.(`files:migrate: ${result.migrated} moved`);
        } catch (e) {
          fail(`object storage: ${(e as Error).message}`);
        }
      }
    }
  } finally {
    store.client.destroy();
  }
  return result;
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}
