import { and, asc, eq, inArray } from "drizzle-orm";
import type { ComputedLine } from "../../domain";
import type { DbOrTx } from "../../platform/db/client";
import { deliveries, invoiceFiles, invoiceLines, invoices, submissions } from "../../platform/db/schema";
import type { DeliveryRow } from "../deliveries/deliveries.service";
import { type InvoiceFileKind, kindsFor } from "../files/file-store";

export type InvoiceRow = typeof invoices.$inferSelect;
export type InvoiceLineRow = typeof invoiceLines.$inferSelect;
export type SubmissionRow = typeof submissions.$inferSelect;

export async function findInvoice(db: DbOrTx, id: string): Promise<InvoiceRow | undefined> {
  const [row] = await db.select().from(invoices).where(eq(invoices.id, id));
  return row;
}

/** The blue invoices of a receipt code (and their red counterparts), in issue order. */
export async function findInvoicesOfCode(db: DbOrTx, receiptCodeId: string): Promise<InvoiceRow[]> {
  return db
    .select()
    .from(invoices)
    .where(eq(invoices.receiptCodeId, receiptCodeId))
    .orderBy(asc(invoices.color), asc(invoices.seq));
}

export async function findInvoiceLines(db: DbOrTx, invoiceId: string): Promise<InvoiceLineRow[]> {
  return db
    .select()
    .from(invoiceLines)
    .where(eq(invoiceLines.invoiceId, invoiceId))
    .orderBy(asc(invoiceLines.position));
}

export async function findSubmission(db: DbOrTx, receiptCodeId: string): Promise<SubmissionRow | undefined> {
  const [row] = await db.select().from(submissions).where(eq(submissions.receiptCodeId, receiptCodeId));
  return row;
}

export async function insertInvoices(
  tx: DbOrTx,
  rows: Array<typeof invoices.$inferInsert>,
  lines: Array<typeof invoiceLines.$inferInsert>,
): Promise<void> {
  await tx.insert(invoices).values(rows);
  for (let i = 0; i < lines.length; i += 500) await tx.insert(invoiceLines).values(lines.slice(i, i + 500));
}

export async function findDeliveriesOf(db: DbOrTx, invoiceIds: string[]): Promise<DeliveryRow[]> {
  if (invoiceIds.length === 0) return [];
  return db
    .select()
    .from(deliveries)
    .where(inArray(deliveries.invoiceId, invoiceIds))
    .orderBy(asc(deliveries.createdAt));
}

/** A file's size and digest: the legal file, or its preview while the legal one is not there. */
export async function findInvoiceFileMeta(db: DbOrTx, invoiceId: string, kind: InvoiceFileKind) {
  const kinds = kindsFor(kind);
  const rows = await db
    .select({
      kind: invoiceFiles.kind,
      contentType: invoiceFiles.contentType,
      size: invoiceFiles.size,
      sha256: invoiceFiles.sha256,
      storageKey: invoiceFiles.storageKey,
    })
    .from(invoiceFiles)
    .where(and(eq(invoiceFiles.invoiceId, invoiceId), inArray(invoiceFiles.kind, kinds)));
  const [row] = rows.sort(
    (a, b) => kinds.indexOf(a.kind as InvoiceFileKind) - kinds.indexOf(b.kind as InvoiceFileKind),
  );
  return row;
}

/** Our idempotency serial for the channel, fixed from the invoice id before any call is made. */
export function invoiceSerial(invoiceId: string): string {
  return `PM${invoiceId.slice(4).toUpperCase()}`;
}

/** Computed lines (blue, split or red) as rows of invoice_lines, in order. */
export function invoiceLineRows(invoiceId: string, lines: ComputedLine[]): InvoiceLineRow[] {
  return lines.map((l, position) => ({
    invoiceId,
    position,
    kind: l.kind,
    itemName: l.itemName,
    name: l.name,
    shortName: l.shortName,
    taxCode: l.taxCode,
    spec: l.spec,
    unit: l.unit,
    quantity: l.quantity,
    unitPrice: l.unitPrice,
    amountExcludingTax: l.amountExcludingTax,
    taxRate: l.taxRate,
    zeroRateKind: l.zeroRateKind,
    tax: l.tax,
    amountIncludingTax: l.amountIncludingTax,
    blueLineNo: null,
  }));
}
