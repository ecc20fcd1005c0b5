import { eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import type { DbOrTx } from "../../platform/db/client";
import { invoices, receiptCodes } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { toComputedLine } from "../invoices/invoice-document";
import {
  findInvoice,
  findInvoiceLines,
  findInvoicesOfCode,
  type InvoiceRow,
} from "../invoices/invoices.repository";
import { findReceiptCodeBySerialNo } from "../receipt-codes/receipt-codes.service";
import type { AppActor } from "./open-api.auth";
import type { OpenInvoice } from "./open-api.schema";

/** Signed file links stay valid this long (API.md §1 Invoices). */
export const FILE_LINK_SECONDS = 3600;

const notFound = () => new AppError("INVOICE_NOT_FOUND", "发票不存在");

/** Internal states the contract folds: waiting for the channel or a 确认单 is still "issuing". */
function publicStatus(status: string): OpenInvoice["status"] {
  if (status === "issued" || status === "failed" || status === "reversed") return status;
  return "issuing";
}

/**
 * An invoice as merchants see it (open API and webhooks), without file links: those are signed
 * and expire, so they are added when the invoice is sent (withFileLinks).
 */
export async function openInvoiceData(db: DbOrTx, invoice: InvoiceRow): Promise<OpenInvoice> {
  const [lines, code, red] = await Promise.all([
    findInvoiceLines(db, invoice.id),
    db
      .select({ serialNo: receiptCodes.serialNo })
      .from(receiptCodes)
      .where(eq(receiptCodes.id, invoice.receiptCodeId)),
    invoice.color === "blue"
      ? db.select().from(invoices).where(eq(invoices.blueInvoiceId, invoice.id))
      : Promise.resolve([]),
  ]);
  const redRow = red[0];
  return {
    id: invoice.id,
    orderNo: code[0]?.serialNo ?? "",
    type: invoice.invoiceType as OpenInvoice["type"],
    color: invoice.color as OpenInvoice["color"],
    status: publicStatus(invoice.status),
    number: invoice.number,
    issuedAt: invoice.issuedAt?.toISOString() ?? null,
    seq: invoice.seq,
    seqCount: invoice.seqCount,
    buyer: {
      type: invoice.buyerType,
      name: invoice.buyerName,
      taxId: invoice.buyerTaxId,
      address: invoice.buyerAddress,
      phone: invoice.buyerPhone,
      bankName: invoice.buyerBankName,
      bankAccount: invoice.buyerBankAccount,
    },
    email: invoice.email,
    mobile: invoice.mobile,
    remark: invoice.remark,
    lines: lines.map((l) => {
      const c = toComputedLine(l);
      return {
        kind: c.kind,
        itemName: c.itemName,
        taxCode: c.taxCode,
        spec: c.spec,
        unit: c.unit,
        quantity: c.quantity,
        unitPrice: c.unitPrice,
        amountExcludingTax: c.amountExcludingTax,
        taxRate: c.taxRate,
        taxRateLabel: c.taxRateLabel,
        tax: c.tax,
        amountIncludingTax: c.amountIncludingTax,
      };
    }),
    totals: {
      amountExcludingTax: invoice.amountExcludingTax,
      taxAmount: invoice.taxAmount,
      totalAmount: invoice.totalAmount,
    },
    failure:
      invoice.status === "failed"
        ? { code: invoice.failureCode ?? "FAILED", message: invoice.failureReason ?? "开具失败" }
        : null,
    pdfUrl: null,
    xmlUrl: null,
    red: redRow
      ? {
          id: redRow.id,
          number: redRow.number,
          status: publicStatus(redRow.status),
          issuedAt: redRow.issuedAt?.toISOString() ?? null,
          reason: redRow.reverseReason ?? "",
        }
      : null,
    blueInvoiceId: invoice.blueInvoiceId,
  };
}

/** Adds download links, signed and valid for an hour, once the files exist. */
export function withFileLinks(
  ctx: Pick<AppContext, "config" | "keyring">,
  invoice: OpenInvoice,
  now = Date.now(),
): OpenInvoice {
  if (!invoice.number || (invoice.status !== "issued" && invoice.status !== "reversed")) return invoice;
  return {
    ...invoice,
    pdfUrl: fileLink(ctx, invoice.id, "pdf", now),
    xmlUrl: fileLink(ctx, invoice.id, "xml", now),
  };
}

export function fileLink(
  ctx: Pick<AppContext, "config" | "keyring">,
  invoiceId: string,
  kind: "pdf" | "xml",
  now = Date.now(),
): string {
  const expires = Math.floor(now / 1000) + FILE_LINK_SECONDS;
  const sig = ctx.keyring.signLink(filePayload(invoiceId, kind, expires));
  return `${ctx.config.publicUrl}/files/invoices/${invoiceId}.${kind}?e=${expires}&s=${sig}`;
}

/** True when the link was made by us for this file and has not expired. */
export function isFileLinkValid(
  ctx: Pick<AppContext, "keyring">,
  link: { invoiceId: string; kind: "pdf" | "xml"; e: string; s: string },
  now = Date.now(),
): boolean {
  if (!/^\d{1,12}$/.test(link.e) || Number(link.e) * 1000 < now) return false;
  return ctx.keyring.verifyLink(filePayload(link.invoiceId, link.kind, Number(link.e)), link.s);
}

function filePayload(invoiceId: string, kind: string, expires: number): string {
  return `invoice-file:${invoiceId}:${kind}:${expires}`;
}

/** The app's own invoice, or INVOICE_NOT_FOUND (another organization's ids do not exist for it). */
export async function getInvoiceForApp(
  ctx: Pick<AppContext, "database" | "config" | "keyring">,
  options: { actor: AppActor; id: string },
): Promise<OpenInvoice> {
  const invoice = await findInvoice(ctx.database.db, options.id);
  if (!invoice || invoice.orgId !== options.actor.orgId) throw notFound();
  return withFileLinks(ctx, await openInvoiceData(ctx.database.db, invoice));
}

/** Every invoice of an order (blue, and red ones reversing them), in issue order. */
export async function findInvoicesForApp(
  ctx: Pick<AppContext, "database" | "config" | "keyring">,
  options: { actor: AppActor; orderNo: string },
): Promise<OpenInvoice[]> {
  const code = await findReceiptCodeBySerialNo(ctx, options.actor.orgId, options.orderNo);
  if (!code) return [];
  return invoicesOfCode(ctx, code.id);
}

export async function invoicesOfCode(
  ctx: Pick<AppContext, "database" | "config" | "keyring">,
  receiptCodeId: string,
): Promise<OpenInvoice[]> {
  const { db } = ctx.database;
  const rows = await findInvoicesOfCode(db, receiptCodeId);
  const out: OpenInvoice[] = [];
  for (const row of rows) out.push(withFileLinks(ctx, await openInvoiceData(db, row)));
  return out;
}
