import { and, asc, count, desc, eq, gte, ilike, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import { chinaDayStart } from "../../domain";
import type { DbOrTx } from "../../platform/db/client";
import {
  devices,
  invoiceFiles,
  invoices,
  organizations,
  receiptCodes,
  taxBureauAccounts,
  webhookAttempts,
  webhookEvents,
} from "../../platform/db/schema";
import type { InvoiceFilter } from "./invoices.console.schema";

const like = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The WHERE of the console list and the export: the organizations in scope (one, or every one the
 * user belongs to for 「全部组织」; none matches nothing) and the filters as given.
 */
export function invoiceConditions(orgIds: readonly string[], f: InvoiceFilter): SQL | undefined {
  const c: SQL[] = [
    orgIds.length === 1 ? eq(invoices.orgId, orgIds[0]!) : inArray(invoices.orgId, [...orgIds]),
  ];
  if (f.ids) c.push(inArray(invoices.id, [...f.ids]));
  if (f.from) c.push(gte(invoices.issuedAt, chinaDayStart(f.from)));
  if (f.to) c.push(lt(invoices.issuedAt, chinaDayStart(f.to, 1)));
  if (f.status) c.push(eq(invoices.status, f.status));
  if (f.color) c.push(eq(invoices.color, f.color));
  if (f.invoiceType) c.push(eq(invoices.invoiceType, f.invoiceType));
  if (f.deviceNo) c.push(eq(devices.deviceNo, f.deviceNo));
  if (f.source) c.push(eq(receiptCodes.source, f.source));
  if (f.number) c.push(ilike(invoices.number, like(f.number)));
  if (f.serialNo) c.push(ilike(receiptCodes.serialNo, like(f.serialNo)));
  if (f.buyer) {
    const buyer = or(ilike(invoices.buyerName, like(f.buyer)), ilike(invoices.buyerTaxId, like(f.buyer)));
    if (buyer) c.push(buyer);
  }
  return and(...c);
}

const listColumns = {
  invoice: invoices,
  serialNo: receiptCodes.serialNo,
  source: receiptCodes.source,
  deviceNo: devices.deviceNo,
};
export type InvoiceListRow = {
  invoice: typeof invoices.$inferSelect;
  serialNo: string;
  source: string;
  deviceNo: string | null;
};

function listFrom(db: DbOrTx) {
  return db
    .select(listColumns)
    .from(invoices)
    .innerJoin(receiptCodes, eq(receiptCodes.id, invoices.receiptCodeId))
    .leftJoin(devices, eq(devices.id, receiptCodes.deviceId));
}

/** Newest first (not yet issued ones by creation), with the code's serial, source and device. */
export async function findInvoicePage(
  db: DbOrTx,
  orgIds: readonly string[],
  filter: InvoiceFilter,
  offset: number,
  limit: number,
): Promise<{ rows: InvoiceListRow[]; total: number }> {
  const where = invoiceConditions(orgIds, filter);
  const [rows, [total]] = await Promise.all([
    listFrom(db)
      .where(where)
      .orderBy(desc(invoices.createdAt), desc(invoices.id))
      .offset(offset)
      .limit(limit),
    db
      .select({ n: count() })
      .from(invoices)
      .innerJoin(receiptCodes, eq(receiptCodes.id, invoices.receiptCodeId))
      .leftJoin(devices, eq(devices.id, receiptCodes.deviceId))
      .where(where),
  ]);
  return { rows, total: Number(total?.n ?? 0) };
}

/**
 * The filtered list in batches for the export, by keyset (created_at, id) so a large export never
 * holds more than one batch and never skips or repeats a row as new invoices arrive.
 */
export async function* invoiceBatches(
  db: DbOrTx,
  orgIds: readonly string[],
  filter: InvoiceFilter,
  batchSize = 1000,
): AsyncGenerator<InvoiceListRow[]> {
  let after: { createdAt: Date; id: string } | undefined;
  for (;;) {
    const base = invoiceConditions(orgIds, filter);
    const where = after
      ? and(
          base,
          sql`(${invoices.createdAt}, ${invoices.id}) < (${after.createdAt.toISOString()}::timestamptz, ${after.id})`,
        )
      : base;
    const rows = await listFrom(db)
      .where(where)
      .orderBy(desc(invoices.createdAt), desc(invoices.id))
      .limit(batchSize);
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < batchSize) return;
    const last = rows[rows.length - 1]!.invoice;
    after = { createdAt: last.createdAt, id: last.id };
  }
}

/** Names of organizations by id, for the 组织 column of a cross-organization export. */
export async function findOrganizationNames(
  db: DbOrTx,
  orgIds: readonly string[],
): Promise<Map<string, string>> {
  if (orgIds.length === 0) return new Map();
  const rows = await db
    .select({ id: organizations.id, name: organizations.name })
    .from(organizations)
    .where(inArray(organizations.id, [...orgIds]));
  return new Map(rows.map((r) => [r.id, r.name]));
}

export async function findInvoiceOfOrg(
  db: DbOrTx,
  orgId: string,
  id: string,
): Promise<(InvoiceListRow & { code: typeof receiptCodes.$inferSelect }) | undefined> {
  const [row] = await db
    .select({ ...listColumns, code: receiptCodes })
    .from(invoices)
    .innerJoin(receiptCodes, eq(receiptCodes.id, invoices.receiptCodeId))
    .leftJoin(devices, eq(devices.id, receiptCodes.deviceId))
    .where(and(eq(invoices.orgId, orgId), eq(invoices.id, id)));
  return row;
}

export async function findFileSizes(db: DbOrTx, invoiceId: string) {
  return db
    .select({ kind: invoiceFiles.kind, size: invoiceFiles.size })
    .from(invoiceFiles)
    .where(eq(invoiceFiles.invoiceId, invoiceId))
    .orderBy(asc(invoiceFiles.kind));
}

/** The (latest) red invoice of a blue one, or the blue one of a red one. */
export async function findCounterpart(db: DbOrTx, invoice: typeof invoices.$inferSelect) {
  const where =
    invoice.color === "red" && invoice.blueInvoiceId
      ? eq(invoices.id, invoice.blueInvoiceId)
      : eq(invoices.blueInvoiceId, invoice.id);
  // The newest: a red whose 确认单 was refused or expired may precede the one reversing it now.
  const [row] = await db
    .select({ id: invoices.id, number: invoices.number, status: invoices.status })
    .from(invoices)
    .where(where)
    .orderBy(desc(invoices.createdAt), desc(invoices.id))
    .limit(1);
  return row;
}

/**
 * 红冲并重开 (换开): the invoice this one replaced (`reissueOf`) and the one that replaced it
 * (`reissuedAs`), each null when there is none.
 */
export async function findReissueLinks(db: DbOrTx, invoice: typeof invoices.$inferSelect) {
  const pick = { id: invoices.id, number: invoices.number, status: invoices.status };
  const [of, as] = await Promise.all([
    invoice.reissueOfInvoiceId
      ? db.select(pick).from(invoices).where(eq(invoices.id, invoice.reissueOfInvoiceId)).limit(1)
      : Promise.resolve([]),
    invoice.color === "blue"
      ? db.select(pick).from(invoices).where(eq(invoices.reissueOfInvoiceId, invoice.id)).limit(1)
      : Promise.resolve([]),
  ]);
  return { reissueOf: of[0] ?? null, reissuedAs: as[0] ?? null };
}

/** All red invoices of a blue one (部分红冲 makes several), oldest first. */
export async function findRedsOfBlue(db: DbOrTx, blueInvoiceId: string) {
  return db
    .select({
      id: invoices.id,
      number: invoices.number,
      status: invoices.status,
      reason: invoices.reverseReason,
      issuedAt: invoices.issuedAt,
      totalAmount: invoices.totalAmount,
    })
    .from(invoices)
    .where(eq(invoices.blueInvoiceId, blueInvoiceId))
    .orderBy(asc(invoices.createdAt), asc(invoices.id));
}

/** The channel of an invoice's tax-bureau account (`sandbox`, `nuonuo`, …). */
export async function findTaxAccountChannel(db: DbOrTx, taxAccountId: string | null): Promise<string | null> {
  if (!taxAccountId) return null;
  const [row] = await db
    .select({ channel: taxBureauAccounts.channel })
    .from(taxBureauAccounts)
    .where(eq(taxBureauAccounts.id, taxAccountId));
  return row?.channel ?? null;
}

/** The webhook events about one invoice, each with every attempt made. */
export async function findWebhooksOfInvoice(db: DbOrTx, invoiceId: string) {
  const events = await db
    .select()
    .from(webhookEvents)
    .where(eq(webhookEvents.invoiceId, invoiceId))
    .orderBy(asc(webhookEvents.createdAt));
  const attempts = events.length
    ? await db
        .select()
        .from(webhookAttempts)
        .where(
          inArray(
            webhookAttempts.eventId,
            events.map((e) => e.id),
          ),
        )
        .orderBy(asc(webhookAttempts.attempt))
    : [];
  return events.map((e) => ({ event: e, attempts: attempts.filter((a) => a.eventId === e.id) }));
}
