/**
 * The shapes of the consumer interface (API.md §2) as the server's zod schemas declare them: the
 * response schemas are what the server sends (its serializer's whitelist), so the page reads their
 * types instead of writing them again. Types only (`import type`): neither zod nor any server code
 * enters the page's bundle. One file, so a schema that moves is a one-line change here.
 */
import type { z } from "zod";
import type { BuyerSubmission } from "../../src/domain/buyer";
import type { correctionBody, correctionView } from "../../src/modules/corrections/corrections.schema";
import type {
  invoiceView,
  lookupResponse,
  mergeView,
  resendBody,
  resendResponse,
  scanView,
  submitBody,
  submitResponse,
  titlesResponse,
  wechatCardResponse,
} from "../../src/modules/scan/scan.schema";

/** `GET /api/scan/{token}`: the receipt, what may be chosen, and the invoices once submitted. */
export type Receipt = z.output<typeof scanView>;
export type ReceiptStatus = Receipt["status"];
export type ReceiptLine = Receipt["lines"][number];
export type Totals = Receipt["totals"];
export type Submission = NonNullable<Receipt["submission"]>;
/** An invoice with masked contacts; its file links are null until it is issued. */
export type IssuedInvoice = z.output<typeof invoiceView>;

/** `POST /api/scan/{token}/submit`, typed as the domain's buyer rules (which the page runs first) take it. */
export type SubmitBody = z.input<typeof submitBody> & BuyerSubmission;
export type SubmitResult = z.output<typeof submitResponse>;

/** `POST /api/scan/{token}/resend`: one e-mail address or one mobile number. */
export type ResendBody = z.input<typeof resendBody>;
export type ResendResult = z.output<typeof resendResponse>;
export type WechatCardResult = z.output<typeof wechatCardResponse>;

/** `GET /api/scan/{token}/titles`: companies matching a name, from the organization's registry service. */
export type TitlesResult = z.output<typeof titlesResponse>;

/** `POST /api/scan/{token}/merge`: the receipts added (合并开票) and all of them together. */
export type MergeResult = z.output<typeof mergeView>;

/** `POST /api/scan/lookup`: a typed 开票码 → the token of its page. */
export type LookupResult = z.output<typeof lookupResponse>;

/** 换开: `POST /api/scan/{token}/corrections` and the requests with their outcome (`GET`). */
export type CorrectionBody = z.input<typeof correctionBody>;
export type Correction = z.output<typeof correctionView>;
