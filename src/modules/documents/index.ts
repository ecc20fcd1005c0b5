export { documentLineOf } from "./document-line";
export type {
  InvoiceDocument,
  InvoiceDocumentLine,
  InvoiceType,
  PartyInfo,
  ReceiptSlip,
  ReceiptSlipFormat,
  ReceiptSlipLine,
  ReversedInvoice,
  ZeroRateKind,
} from "./documents.types";
export { renderInvoicePdf } from "./invoice-pdf";
export { renderInvoiceXml } from "./invoice-xml";
export { preloadDocumentFonts } from "./pdf-fonts";
export {
  renderReceiptSlipPdf,
  renderReceiptSlipSheetPdf,
  renderStoreCardPdf,
  STORE_CARD_STEPS,
  type StoreCard,
} from "./receipt-slip-pdf";
