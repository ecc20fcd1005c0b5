import { and, eq } from "drizzle-orm";
import { sha256Hex } from "../../platform/crypto";
import { invoiceFiles } from "../../platform/db/schema";
import { renderInvoicePdf, renderInvoiceXml } from "../documents";
import { discardUnrecorded } from "../files/file-store";
import { findOrganizationByIdOrTaxId } from "../organizations/organizations.repository";
import { CHANNEL_FILE_TYPES } from "./channels/channel-files";
import { toInvoiceDocument } from "./invoice-document";
import { findInvoice, findInvoiceLines, type InvoiceRow } from "./invoices.repository";
import type { IssuingContext } from "./issuing.attempt";
import { findTaxAccount } from "./issuing.queries";
import { findRedConfirmationOf } from "./red-confirmation.queries";

/**
 * Piaoma's own rendering of an invoice whose channel sent the legal PDF / XML (the preview,
 * `preview_pdf` / `preview_xml`) is not rendered when the invoice is issued — nobody may ever ask
 * for it, and the PDF took about 12 % of the server's CPU per issue, its bytes written to the store
 * — but the first time it is asked for: then rendered from the stored invoice, its lines and its
 * organization as it is now, stored like any invoice file, and served from the store afterwards. Does nothing when the file is stored already,
 * or the invoice has no number. (A preview that stands in for a legal file not fetched yet is still
 * rendered at issue time: issuing.attempt.ts.)
 */
export async function ensurePreviewFile(
  ctx: Pick<IssuingContext, "database" | "providers" | "log">,
  invoice: InvoiceRow,
  kind: "preview_pdf" | "preview_xml",
): Promise<void> {
  if (!invoice.number) return;
  const { db } = ctx.database;
  const [stored] = await db
    .select({ kind: invoiceFiles.kind })
    .from(invoiceFiles)
    .where(and(eq(invoiceFiles.invoiceId, invoice.id), eq(invoiceFiles.kind, kind)));
  if (stored) return;
  const [org, lines, account, confirmation, blue] = await Promise.all([
    findOrganizationByIdOrTaxId(db, invoice.orgId),
    findInvoiceLines(db, invoice.id),
    findTaxAccount(db, invoice.taxAccountId),
    invoice.color === "red" ? findRedConfirmationOf(db, invoice.id) : undefined,
    invoice.color === "red" && invoice.blueInvoiceId ? findInvoice(db, invoice.blueInvoiceId) : undefined,
  ]);
  if (!org) return;
  const reverses = blue?.number
    ? {
        number: blue.number,
        reason: invoice.reverseReason ?? "",
        ...(confirmation?.number ? { confirmationNumber: confirmation.number } : {}),
      }
    : undefined;
  const doc = toInvoiceDocument(org, invoice, lines, {
    sandbox: account?.channel === "sandbox",
    ...(reverses ? { reverses } : {}),
  });
  const pdf = kind === "preview_pdf";
  const bytes = pdf ? await renderInvoicePdf(doc) : Buffer.from(renderInvoiceXml(doc), "utf8");
  const placement = await ctx.providers.files.put(
    `invoices/${invoice.orgId}/${invoice.number}.${kind}`,
    bytes,
  );
  try {
    await db
      .insert(invoiceFiles)
      .values({
        invoiceId: invoice.id,
        kind,
        contentType: pdf ? CHANNEL_FILE_TYPES.pdf : CHANNEL_FILE_TYPES.xml,
        size: bytes.length,
        sha256: sha256Hex(bytes),
        ...placement,
      })
      // Two first requests at once: one row wins, the other's put is discarded below.
      .onConflictDoNothing();
  } finally {
    await discardUnrecorded(ctx, [placement]);
  }
}
