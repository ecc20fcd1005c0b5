import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { describeEachDatabase, openTestDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode } from "../../../test/support/factories";
import type { Database } from "../../platform/db/client";
import { invoiceFiles, invoices } from "../../platform/db/schema";
import { createDatabaseFileStore, createLocalFileStore, type FileStore } from "./file-store";

let database: Database | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await database?.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** An invoice row to hang files on. */
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

async function roundTrip(store: FileStore, db: Database) {
  const id = await invoiceId(db);
  const bytes = Buffer.from("%PDF-1.7 测试");
  const placed = await store.put(`invoices/x/${id}.pdf`, bytes);
  await db.db.insert(invoiceFiles).values({
    invoiceId: id,
    kind: "pdf",
    contentType: "application/pdf",
    size: bytes.length,
    sha256: "x",
    ...placed,
  });
  expect(await store.get(id, "pdf")).toEqual(bytes);
  expect(await store.get(id, "xml")).toBeUndefined();
  return placed;
}

describeEachDatabase("file stores", (kind) => {
  it("database store keeps the bytes in the row", async () => {
    database = await openTestDatabase(kind);
    const placed = await roundTrip(createDatabaseFileStore(database), database);
    expect(placed.storageKey).toBeNull();
  });

  it("local store writes under its root and keeps only the key", async () => {
    database = await openTestDatabase(kind);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-files-"));
    dirs.push(root);
    const placed = await roundTrip(createLocalFileStore(database, root), database);
    expect(placed.content).toBeNull();
    expect(fs.readFileSync(path.join(root, placed.storageKey!)).toString()).toBe("%PDF-1.7 测试");
  });
});
