/**
 * Piaoma's rules engine for 数电票: money, lines, discounts, totals, limits and splitting, buyer,
 * tax IDs, invoice numbers, the invoice QR and red invoices. Pure: no I/O, no clock, no randomness.
 * Rules and choices: DOMAIN.md and DOMAIN-NOTES.md.
 */
export {
  type Buyer,
  type BuyerInput,
  type BuyerSubmission,
  isNaturalPerson,
  isTaxIdRequired,
  isValidEmail,
  isValidMobile,
  normalizeEmail,
  normalizeMobile,
  type ValidBuyerSubmission,
  validateBuyer,
} from "./buyer";
export { amountInCapitals, NEGATIVE_PREFIX } from "./capitals";
export {
  type ChinaDate,
  chinaDate,
  chinaDateCompact,
  chinaDateIso,
  chinaDateLabel,
  chinaDateTime,
  chinaDayStart,
  chinaMinute,
} from "./china-time";
export { BUYER_TYPE_NAMES, INVOICE_TYPE_CODES, LINE_KIND_CODES, ZERO_RATE_KIND_CODES } from "./codes";
export { toCanonicalLines } from "./discounts";
export { type DomainIssue, ISSUE_CODES, type IssueCode, issuesToFields, type Result } from "./errors";
export { gbkByteLength, TEXT_LIMITS, validateRemark } from "./gbk";
export { computeInvoice } from "./invoice";
export {
  type InvoiceNumberParts,
  isInvoiceNumber,
  parseInvoiceNumber,
  sandboxInvoiceNumber,
  sandboxSequenceKey,
} from "./invoice-number";
export { crc16Hex, crc16Umts, invoiceQrText, isQrTextIntact } from "./invoice-qr";
export { checkLimit, type InvoicePlan, OVER_LIMIT_POLICIES, parseLimit, planInvoices } from "./limit";
export { computeLineAmounts, printedItemName } from "./lines";
export { mergeComputedInvoices } from "./merge";
export {
  type MergedPiece,
  mergedPiecesOf,
  planShareReversal,
  type ShareInvoice,
  type ShareRedRequest,
  type ShareReversal,
} from "./merge-share";
export {
  amountInFen,
  compareDecimals,
  formatAmount,
  formatPrice,
  negateAmount,
  parseAmount,
  parseQuantity,
  parseUnitPrice,
  sumAmounts,
  trimDecimal,
} from "./money";
export {
  isRedReason,
  RED_REASONS,
  type RedReason,
  redInvoiceFrom,
  redLinesFrom,
  verifyRedInvoice,
} from "./red";
export {
  allowsRedIssue,
  canMoveRedConfirmation,
  isRedConfirmationStatus,
  RED_CONFIRMATION_HOURS,
  RED_CONFIRMATION_LABELS,
  RED_CONFIRMATION_STATUSES,
  type RedConfirmationStatus,
  redConfirmationAfter,
  redConfirmationDeadline,
} from "./red-confirmation";
export {
  type EarlierRedLine,
  EXCEEDS_CODES,
  planReversal,
  type RedPiece,
  type RemainingLine,
  type ReversalPlan,
  type ReversalRequest,
  type Reversible,
  type ReversibleAmounts,
  type ReversibleLine,
  redStillFits,
  remainingLinesOf,
  reversibleOf,
  takenBy,
} from "./red-partial";
export { type Seller, type SellerInput, validateSeller } from "./seller";
export {
  formatShortCode,
  normalizeShortCode,
  SHORT_CODE_ALPHABET,
  SHORT_CODE_LENGTH,
  SHORT_CODE_SPACE,
} from "./short-code";
export { MAX_SPLIT_INVOICES } from "./split";
export { type TaxBureau, taxBureauOf } from "./tax-bureau";
export {
  checkTaxId,
  isValidIdCard,
  isValidTaxId,
  isValidUscc,
  normalizeTaxId,
  provinceCodeOf,
} from "./tax-id";
export { isZeroRateKind, OFFERED_TAX_RATES, taxRateLabel, ZERO_RATE_KINDS } from "./tax-rate";
export {
  type CleanText,
  cleanText,
  findTextProblem,
  foldWidth,
  normalizeIdentifier,
  type TextKind,
  type TextProblem,
  textProblemMessage,
} from "./text";
export {
  checkTaxTolerance,
  isWithinTaxTolerance,
  lineTaxError,
  MAX_LINES,
  sumTotals,
  TAX_TOTAL_TOLERANCE,
  taxRoundingError,
  verifyComputedInvoice,
} from "./totals";
export type {
  BuyerType,
  ComputedInvoice,
  ComputedLine,
  DiscountLineInput,
  InvoiceInput,
  InvoiceTotals,
  InvoiceType,
  ItemLineInput,
  LineInput,
  LineKind,
  OverLimitPolicy,
  ZeroRateKind,
} from "./types";
export { BUYER_TYPES, INVOICE_TYPES } from "./types";
