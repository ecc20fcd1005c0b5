import type { AppContext } from "../../context";
import { AppError } from "../../platform/errors";
import { openInvoiceData, withFileLinks } from "../invoices/invoices.merchant";
import type { OpenInvoice } from "../invoices/invoices.merchant.schema";
import { findInvoice, findInvoicesOfCode } from "../invoices/invoices.repository";
import { findReceiptCodeBySerialNo } from "../receipt-codes/receipt-codes.service";
import { invoicingCodeId } from "../scan/scan.merge";
import type { AppActor } from "./open-api.auth";

const notFound = () => new AppError("INVOICE_NOT_FOUND");

/** The app's own invoice, or INVOICE_NOT_FOUND (another organization's ids do not exist for it). */
export async function getInvoiceForApp(
  ctx: Pick<AppContext, "database" | "config" | "keyring">,
  options: { actor: AppActor; id: string },
): Promise<OpenInvoice> {
  const invoice = await findInvoice(ctx.database.db, options.id);
  if (!invoice || invoice.orgId !== options.actor.orgId) throw notFound();
  return withFileLinks(ctx, await openInvoiceData(ctx.database.db, invoice));
}

/**
 * Every invoice of an order (blue, and red ones reversing them), in issue order. An order whose
 * receipt was added to another's submit (合并开票, status merged) has that submit's invoices — the
 * same answer as its receipt code's query — each under the other receipt's orderNo.
 */
export async function findInvoicesForApp(
  ctx: Pick<AppContext, "database" | "config" | "keyring">,
  options: { actor: AppActor; orderNo: string },
): Promise<OpenInvoice[]> {
  const code = await findReceiptCodeBySerialNo(ctx, options.actor.orgId, options.orderNo);
  if (!code) return [];
  return invoicesOfCode(ctx, await invoicingCodeId(ctx, code));
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
