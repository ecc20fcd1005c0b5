import type { FastifyReply } from "fastify";
import type { AppContext } from "../../context";
import { AppError } from "../../platform/errors";
import { oneLine } from "../../platform/input";
import { openForDownload } from "../files/file-store";
import type { InvoiceRow } from "./invoices.repository";

export type InvoiceFileKind = "pdf" | "xml";

/** A download path's last part, `<invoice id>.pdf|xml`. */
export const invoiceFileName = () => oneLine().regex(/^[a-z0-9_]+\.(pdf|xml)$/);

/** `<invoice id>.pdf|xml` (checked by invoiceFileName) → its invoice id and kind. */
export function invoiceFileOf(file: string): { invoiceId: string; kind: InvoiceFileKind } {
  const [invoiceId, kind] = file.split(".") as [string, InvoiceFileKind];
  return { invoiceId, kind };
}

/**
 * The one download of an invoice's PDF or XML, for the consumer page, the console and the
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
    .type(kind === "pdf" ? "application/pdf" : "application/xml; charset=utf-8")
    .header("content-disposition", `${options.disposition}; filename="${invoice.number}.${kind}"`)
    .header("cache-control", options.cacheControl)
    .send(body);
}
