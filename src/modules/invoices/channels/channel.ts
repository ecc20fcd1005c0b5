import type { ComputedLine, InvoiceTotals, InvoiceType } from "../../../domain";

/**
 * An issuing channel: the way invoices reach a tax bureau (the built-in `sandbox`, or an adapter
 * for a real service). Every call carries our own idempotency `serial`; issuing the same serial
 * twice must return the first result, never a second invoice.
 */
export interface IssueRequest {
  serial: string;
  invoiceType: InvoiceType;
  color: "blue" | "red";
  seller: { name: string; taxId: string };
  /**
   * `naturalPerson`: a person without a tax ID (or with an ID-card number), flagged 自然人 so the
   * invoice reaches the person's 个人票夹 (DOMAIN.md §6; e.g. 诺诺 `naturalPersonFlag`).
   */
  buyer: { type: string; name: string; taxId: string; naturalPerson: boolean };
  lines: ComputedLine[];
  totals: InvoiceTotals;
  /** For a red invoice: the number of the blue invoice it reverses. */
  reverses?: { number: string; reason: string };
  /** Channel settings stored on the tax-bureau account. */
  settings: Record<string, unknown>;
}

export type IssueOutcome =
  | { status: "issued"; number: string; issuedAt: Date }
  /** Refused for good (the request itself is wrong): retrying will not help. */
  | { status: "rejected"; code: string; message: string }
  /** A red invoice waiting for the buyer's 确认单 (DOMAIN.md §8). */
  | { status: "confirmation_pending" };

/** The channel could not be reached or did not answer: the outcome is unknown, try again later. */
export class ChannelUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChannelUnavailableError";
  }
}

export interface IssuingChannel {
  readonly id: string;
  issue(request: IssueRequest): Promise<IssueOutcome>;
  /** What became of an earlier request with this serial; null if the channel never saw it. */
  query(serial: string, settings: Record<string, unknown>): Promise<IssueOutcome | null>;
}
