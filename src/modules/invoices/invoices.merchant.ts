import { asc, eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import type { DbOrTx } from "../../platform/db/client";
import { invoices, organizations, receiptCodes } from "../../platform/db/schema";
import { recordWebhookEvent } from "../webhooks/webhooks.service";
import { toComputedLine } from "./invoice-document";
import { hasFailed, isIssued, merchantStatus } from "./invoice-status";
import type { OpenInvoice } from "./invoices.merchant.schema";
import { findInvoiceLines, type InvoiceRow } from "./invoices.repository";
import { findRedConfirmationOf, redConfirmationView } from "./red-confirmation.queries";
import { reversalTakenBy, reversibleViewOf } from "./reversal.partial";

/**
 * The merchant's view of an invoice (open API, webhooks): the shape, its signed file links, and the
 * webhook event an outcome makes.
 */

/** Signed file links stay valid this long (API.md §1 Invoices). */
export const FILE_LINK_SECONDS = 3600;

/**
 * An invoice as merchants see it (open API and webhooks), without file links: those are signed
 * and expire, so they are added when the invoice is sent (withFileLinks).
 */
export async function openInvoiceData(db: DbOrTx, invoice: InvoiceRow): Promise<OpenInvoice> {
  const [lines, code, red, confirmation] = await Promise.all([
    findInvoiceLines(db, invoice.id),
    db
      .select({ serialNo: receiptCodes.serialNo })
      .from(receiptCodes)
      .where(eq(receiptCodes.id, invoice.receiptCodeId)),
    // The newest red invoice: one whose 确认单 was refused or expired may precede it.
    invoice.color === "blue"
      ? db
          .select()
          .from(invoices)
          .where(eq(invoices.blueInvoiceId, invoice.id))
          .orderBy(asc(invoices.createdAt), asc(invoices.id))
      : Promise.resolve([]),
    invoice.color === "red" ? findRedConfirmationOf(db, invoice.id) : Promise.resolve(undefined),
  ]);
  const redRow = red.at(-1);
  const reversible = await reversibleViewOf(db, invoice);
  return {
    id: invoice.id,
    orderNo: code[0]?.serialNo ?? "",
    type: invoice.invoiceType as OpenInvoice["type"],
    color: invoice.color as OpenInvoice["color"],
    status: merchantStatus(invoice.status),
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
    failure: hasFailed(invoice.status)
      ? { code: invoice.failureCode ?? "FAILED", message: invoice.failureReason ?? "开具失败" }
      : null,
    pdfUrl: null,
    xmlUrl: null,
    red: redRow
      ? {
          id: redRow.id,
          number: redRow.number,
          status: merchantStatus(redRow.status),
          issuedAt: redRow.issuedAt?.toISOString() ?? null,
          reason: redRow.reverseReason ?? "",
        }
      : null,
    blueInvoiceId: invoice.blueInvoiceId,
    reds: red.map((r) => ({
      id: r.id,
      number: r.number,
      status: merchantStatus(r.status),
      issuedAt: r.issuedAt?.toISOString() ?? null,
      reason: r.reverseReason ?? "",
      totals: {
        amountExcludingTax: r.amountExcludingTax,
        taxAmount: r.taxAmount,
        totalAmount: r.totalAmount,
      },
    })),
    reversible,
    redConfirmation: redConfirmationView(confirmation),
  };
}

/** Adds download links, signed and valid for an hour, once the files exist. */
export function withFileLinks(
  ctx: Pick<AppContext, "config" | "keyring">,
  invoice: OpenInvoice,
  now = Date.now(),
): OpenInvoice {
  if (!invoice.number || !isIssued(invoice.status)) return invoice;
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

/** A webhook event's data as it is sent now: an invoice's file links are signed afresh. */
export function webhookDataNow(
  ctx: Pick<AppContext, "config" | "keyring">,
  type: string,
  data: unknown,
): unknown {
  return type.startsWith("invoice.") ? withFileLinks(ctx, data as OpenInvoice) : data;
}

/**
 * Called by issuing in the transaction that saves an outcome: the event and its first delivery job
 * exist exactly when the outcome does. A red invoice issued is the blue one `reversed` (the event
 * carries the blue invoice, whose `red` names its counterpart). Organizations without a
 * webhookUrl get no event.
 */
export async function recordInvoiceOutcome(
  ctx: Pick<AppContext, "jobs">,
  tx: DbOrTx,
  invoice: InvoiceRow,
  outcome: "issued" | "failed",
): Promise<void> {
  const [org] = await tx
    .select({ webhookUrl: organizations.webhookUrl })
    .from(organizations)
    .where(eq(organizations.id, invoice.orgId));
  if (!org?.webhookUrl) return;
  const isReversal = outcome === "issued" && invoice.color === "red" && invoice.blueInvoiceId;
  const subjectId = isReversal ? invoice.blueInvoiceId! : invoice.id;
  const [subject] = await tx.select().from(invoices).where(eq(invoices.id, subjectId));
  if (!subject) return;
  const type = outcome === "failed" ? "invoice.failed" : isReversal ? "invoice.reversed" : "invoice.issued";
  const data = await openInvoiceData(tx, subject);
  // invoice.reversed says what this red invoice took (部分红冲); `reversible` what is left.
  const reversal = isReversal ? await reversalTakenBy(tx, invoice) : null;
  await recordWebhookEvent(ctx, tx, {
    orgId: invoice.orgId,
    type,
    invoiceId: subjectId,
    data: reversal ? { ...data, reversal } : data,
  });
}
