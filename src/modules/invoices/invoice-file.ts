import type { FastifyReply } from "fastify";
import type { AppContext } from "../../context";
import { AppError } from "../../platform/errors";
import { oneLine } from "../../platform/input";
import { openForDownload } from "../files/file-store";
import type { InvoiceRow } from "./invoices.repository";

/** The legal files, and Piaoma's own rendering kept as the preview when the channel sent its own. */
export type InvoiceFileKind = "pdf" | "ofd" | "xml" | "preview_pdf" | "preview_xml";

/** A download path's last part, `<invoice id>.pdf|ofd|xml`. */
export const invoiceFileName = () => oneLine().regex(/^[a-z0-9_]+\.(pdf|ofd|xml)$/);

/** `<invoice id>.pdf|ofd|xml` (checked by invoiceFileName) → its invoice id and kind. */
export function invoiceFileOf(file: string): { invoiceId: string; kind: "pdf" | "ofd" | "xml" } {
  const [invoiceId, kind] = file.split(".") as [string, "pdf" | "ofd" | "xml"];
  return { invoiceId, kind };
}

const CONTENT_TYPES: Record<InvoiceFileKind, string> = {
  pdf: "application/pdf",
  ofd: "application/ofd",
  xml: "application/xml; charset=utf-8",
  preview_pdf: "application/pdf",
  preview_xml: "application/xml; charset=utf-8",
};

/**
 * The one download of an invoice's PDF, OFD or XML (the legal files: the channel's own when it
sent them), for the consumer page, the console and the
 * merchant's signed links: each audience finds the invoice it may see (undefined when none) and
 * says how the answer is kept and shown; this sends the file, saved as `<number>.<kind>`. An
 * invoice without a number, or whose file is not stored, is 404 INVOICE_NOT_FOUND.
 */
export async function sendInvoiceFile(
  ctx: Pick<AppContext, "providers">,
  reply: FastifyReply,
  options: {
    invoice: Pick<InvoiceRow, "id" | "number"> | undefined;
    kind: InvoiceFileKind;
    /** `inline` opens in the browser's viewer; `attachment` saves. */
    disposition: "inline" | "attachment";
    cacheControl: string;
    /** The refusal's message when there is no such invoice, or it has no number yet. */
    notFound: string;
    /** … and when its file is not stored (the same unless given). */
    notStored?: string;
  },
): Promise<FastifyReply> {
  const { invoice, kind } = options;
  if (!invoice?.number) throw new AppError("INVOICE_NOT_FOUND", options.notFound);
  const body = await openForDownload(ctx.providers.files, invoice.id, kind);
  if (!body) throw new AppError("INVOICE_NOT_FOUND", options.notStored ?? options.notFound);
  return reply
    .type(CONTENT_TYPES[kind])
    .header(
      "content-disposition",
      `${options.disposition}; filename="${invoice.number}.${kind.replace("preview_", "preview.")}"`,
    )
    .header("cache-control", options.cacheControl)
    .send(body);
}
