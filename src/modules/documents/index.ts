export type {
  InvoiceDocument,
  InvoiceDocumentLine,
  InvoiceType,
  PartyInfo,
  ReceiptSlip,
  ReceiptSlipFormat,
  ReceiptSlipLine,
} from "./documents.types";
export { renderInvoicePdf } from "./invoice-pdf";
export { preloadDocumentFonts } from "./pdf-fonts";
