import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { describeEachDatabase, openTestDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode } from "../../../test/support/factories";
import { startS3, type TestS3 } from "../../../test/support/s3";
import { loadConfig } from "../../config";
import type { Database } from "../../platform/db/client";
import { invoiceFiles, invoices } from "../../platform/db/schema";
import { createLogger } from "../../platform/logger";
import { createS3FileStore, discardUnrecorded } from "./file-store";
import { migrateFilesToS3 } from "./files.migrate";

let s3: TestS3;
let database: Database | undefined;
const dirs: string[] = [];
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.close();
});
afterEach(async () => {
  await database?.close();
  database = undefined;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const client = () =>
  new S3Client({
    region: s3.settings.region,
    endpoint: s3.settings.endpoint,
    forcePathStyle: true,
    credentials: s3.settings.credentials,
  });
/** Whether the bucket holds the object a storage key names (HEAD; s3rver's listing is not signed alike). */
async function exists(storageKey: string): Promise<boolean> {
  return client()
    .send(new HeadObjectCommand({ Bucket: s3.settings.bucket, Key: storageKey.slice(3) }))
    .then(
      () => true,
      (e: { name?: string }) => {
        if (e.name === "NotFound") return false;
        throw e;
      },
    );
}

async function invoiceId(db: Database): Promise<string> {
  const org = await makeOrganization(db);
  const code = await makeReceiptCode({ database: db, config: { publicUrl: "http://x" } as never }, org.id);
  const id = `inv_${Math.random().toString(36).slice(2)}`;
  await db.db.insert(invoices).values({
    id,
    orgId: org.id,
    receiptCodeId: code.id,
    invoiceType: "digital_normal",
    serial: `S${id}`,
    buyerType: "individual",
    buyerName: "张三",
    drawer: "李四",
    amountExcludingTax: "1.00",
    taxAmount: "0.00",
    totalAmount: "1.00",
  });
  return id;
}

async function record(db: Database, id: string, kind: "pdf" | "xml", bytes: Buffer, placed: object) {
  await db.db.insert(invoiceFiles).values({
    invoiceId: id,
    kind,
    contentType: kind === "pdf" ? "application/pdf" : "application/xml",
    size: bytes.length,
    sha256: sha(bytes),
    ...placed,
  });
}

describeEachDatabase("S3 file store (s3rver)", (kind) => {
  it("puts each file under its own key, reads it back whole and as a stream", async () => {
    database = await openTestDatabase(kind);
    const store = createS3FileStore(database, s3.settings, "/nonexistent");
    const id = await invoiceId(database);
    const pdf = Buffer.concat([Buffer.from("%PDF-1.7 测试 "), Buffer.alloc(300_000, 7)]);
    const placed = await store.put(`invoices/org/${id}.pdf`, pdf);
    expect(placed.content).toBeNull();
    expect(placed.storageKey).toMatch(new RegExp(`^s3:piaoma/invoices/org/${id}\\.[0-9a-f]{16}\\.pdf$`));
    const again = await store.put(`invoices/org/${id}.pdf`, pdf);
    expect(again.storageKey).not.toBe(placed.storageKey);
    await record(database, id, "pdf", pdf, placed);

    expect(await store.get(id, "pdf")).toEqual(pdf);
    const stream = await store.open!(id, "pdf");
    expect(stream).toBeInstanceOf(Readable);
    const chunks: Buffer[] = [];
    for await (const c of stream!) chunks.push(Buffer.from(c));
    expect(Buffer.concat(chunks)).toEqual(pdf);
    expect(await store.get(id, "xml")).toBeUndefined();
    const head = await client().send(
      new HeadObjectCommand({ Bucket: s3.settings.bucket, Key: placed.storageKey!.slice(3) }),
    );
    expect(head.ContentType).toBe("application/pdf");
  });

  it("a wrong secret is refused by the server: the store answers SERVICE_UNAVAILABLE", async () => {
    database = await openTestDatabase(kind);
    const store = createS3FileStore(
      database,
      { ...s3.settings, credentials: { accessKeyId: "S3RVER", secretAccessKey: "wrong" } },
      "/nonexistent",
    );
    await expect(store.put("invoices/x/1.pdf", Buffer.from("x"))).rejects.toMatchObject({
      code: "SERVICE_UNAVAILABLE",
    });
  });

  it("files put for a row that did not commit are deleted; files a committed row names are kept", async () => {
    database = await openTestDatabase(kind);
    const store = createS3FileStore(database, s3.settings, "/nonexistent");
    const ctx = { database, providers: { files: store }, log: createLogger("silent") };
    const id = await invoiceId(database);
    const bytes = Buffer.from("<xml/>");
    const saved = await store.put(`invoices/c/${id}.xml`, bytes);
    await record(database, id, "xml", bytes, saved);
    const unsaved = await store.put(`invoices/c/${id}.xml`, bytes);
    expect(await exists(saved.storageKey!)).toBe(true);
    expect(await exists(unsaved.storageKey!)).toBe(true);
    await discardUnrecorded(ctx, [saved, unsaved]);
    expect(await exists(saved.storageKey!)).toBe(true);
    expect(await exists(unsaved.storageKey!)).toBe(false);
    expect(await store.get(id, "xml")).toEqual(bytes);
  });

  it("files:migrate moves database and local files into the bucket, verified, resumably", async () => {
    database = await openTestDatabase(kind);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-migrate-"));
    dirs.push(dataDir);
    const config = {
      ...loadConfig({ PIAOMA_DATA_DIR: dataDir, PIAOMA_S3_BUCKET: s3.settings.bucket }),
      s3: { ...s3.settings, prefix: `m-${kind}/` },
    };
    const ids = [await invoiceId(database), await invoiceId(database), await invoiceId(database)];
    // One in the row (database store), one under the data folder (local store), one damaged.
    const inRow = Buffer.from("%PDF in the row");
    await record(database, ids[0]!, "pdf", inRow, { content: inRow, storageKey: null });
    const local = Buffer.from("<local/>");
    fs.mkdirSync(path.join(dataDir, "files/invoices/o"), { recursive: true });
    fs.writeFileSync(path.join(dataDir, "files/invoices/o/2.xml"), local);
    await record(database, ids[1]!, "xml", local, { content: null, storageKey: "invoices/o/2.xml" });
    const damaged = Buffer.from("%PDF damaged");
    await record(database, ids[2]!, "pdf", damaged, {
      content: Buffer.from("%PDF d4maged"),
      storageKey: null,
    });

    const first = await migrateFilesToS3({ database, config });
    expect(first).toMatchObject({ migrated: 2, alreadyInS3: 0 });
    expect(first.failed).toEqual([
      { invoiceId: ids[2], kind: "pdf", reason: "the stored bytes do not match the row's size and SHA-256" },
    ]);
    const rows = await database.db.select().from(invoiceFiles).where(eq(invoiceFiles.invoiceId, ids[0]!));
    expect(rows[0]!.content).toBeNull();
    expect(rows[0]!.storageKey).toMatch(new RegExp(`^s3:m-${kind}/invoices/migrated/`));
    const store = createS3FileStore(database, config.s3, path.join(dataDir, "files"));
    expect(await store.get(ids[0]!, "pdf")).toEqual(inRow);
    // The local file is left for the operator; the row now reads from the bucket.
    fs.rmSync(path.join(dataDir, "files"), { recursive: true });
    expect(await store.get(ids[1]!, "xml")).toEqual(local);

    // Run again: only the damaged row is left, and nothing is moved twice.
    const keys = async () => (await database!.db.select().from(invoiceFiles)).map((r) => r.storageKey).sort();
    const before = await keys();
    const second = await migrateFilesToS3({ database, config });
    expect(second).toMatchObject({ migrated: 0, alreadyInS3: 2 });
    expect(second.failed).toHaveLength(1);
    expect(await keys()).toEqual(before);
    for (const key of before.filter((k) => k?.startsWith("s3:"))) expect(await exists(key!)).toBe(true);
  });
});
