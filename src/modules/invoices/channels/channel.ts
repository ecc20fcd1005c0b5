import type { ComputedLine, InvoiceTotals, InvoiceType, RedConfirmationStatus } from "../../../domain";

/**
 * An issuing channel: the way invoices reach a tax bureau (the built-in `sandbox`, or an adapter
 * for a real service such as 诺诺 or 金蝶; docs: ../shared/design/CHANNELS.md). Every call carries our
 * own idempotency `serial`; issuing the same serial twice must return the first result, never a
 * second invoice. Channels whose protocol is asynchronous answer `pending` (accepted, 开票中) and
 * are asked again with `query`.
 */
export interface IssueRequest {
  serial: string;
  invoiceType: InvoiceType;
  color: "blue" | "red";
  seller: {
    name: string;
    taxId: string;
    /** 销方地址 / 电话 / 开户行 / 账号; "" when not configured. */
    address?: string;
    phone?: string;
    bankName?: string;
    bankAccount?: string;
  };
  /**
   * `naturalPerson`: a person without a tax ID (or with an ID-card number), flagged 自然人 so the
   * invoice reaches the person's 个人票夹 (DOMAIN.md §6; e.g. 诺诺 `naturalPersonFlag`).
   * Address, phone, bank and account are "" (or absent) when the buyer gave none.
   */
  buyer: {
    type: string;
    name: string;
    taxId: string;
    naturalPerson: boolean;
    address?: string;
    phone?: string;
    bankName?: string;
    bankAccount?: string;
  };
  /** Lines carry their kind (normal / discounted / discount), zero-rate kind and 19-digit tax code. */
  lines: ComputedLine[];
  totals: InvoiceTotals;
  /** 备注, as printed. */
  remark?: string;
  /** 开票人 (required by real channels: 诺诺 `clerk` must match the 数电 login's drawer), 收款人, 复核人. */
  drawer?: string;
  payee?: string;
  reviewer?: string;
  /**
   * When the order was placed (诺诺 `invoiceDate`); defaults to the time of the call.
   */
  orderedAt?: Date;
  /** For a red invoice: the number of the blue invoice it reverses, and the 红冲原因 (RED_REASONS). */
  reverses?: ReversedBlue;
  /** Channel settings stored on the tax-bureau account (secrets sealed; adapters open them). */
  settings: Record<string, unknown>;
}

/**
 * The blue invoice a red request reverses. `lines` only for a partial reversal (部分红冲): for each
 * red line, in the order of `lines`, the blue line it reverses — `lineNo` as printed (1-based,
 * discount rows counted; a discounted pair under its discounted row) and `netLineNo`, the same line
 * counted without discount rows. Absent when the red invoice reverses the whole blue invoice.
 */
export interface ReversedBlue {
  number: string;
  reason: string;
  lines?: Array<{ lineNo: number; netLineNo: number }>;
}

/** A file the channel itself produced for an issued invoice (the legal copy), to be fetched at once. */
export interface ChannelFile {
  kind: "pdf" | "ofd" | "xml";
  url: string;
}

/**
 * What a channel tells of a red invoice's 红字发票信息确认单, where it tells it (DOMAIN.md §8): its
 * number, its state and, while pending, its deadline. Channels that say nothing leave Piaoma to
 * infer the state from the outcome (src/domain/red-confirmation.ts).
 */
export interface RedConfirmationReport {
  number?: string;
  status?: Exclude<RedConfirmationStatus, "requested" | "failed">;
  expiresAt?: Date;
}

export type IssueOutcome =
  | {
      status: "issued";
      number: string;
      issuedAt: Date;
      /** The channel's own files (PDF / OFD / XML); absent for channels without files (sandbox). */
      files?: ChannelFile[];
      redConfirmation?: RedConfirmationReport;
    }
  /**
   * Refused for good (the request itself is wrong): retrying will not help. `code` and `message` are
   * the channel's own (for the operator); `consumerMessage` is a plain sentence for the consumer.
   */
  | {
      status: "rejected";
      code: string;
      message: string;
      consumerMessage?: string;
      redConfirmation?: RedConfirmationReport;
    }
  /** A red invoice waiting for the buyer's 确认单 (DOMAIN.md §8). */
  | { status: "confirmation_pending"; redConfirmation?: RedConfirmationReport };

/**
 * Accepted, not finished (开票中, 签章中, a 红字确认单 being applied for): ask again with `query`
 * after a short wait (about 3 s, then 5 s, then the sweep's cadence). Not an outage.
 */
export interface PendingOutcome {
  status: "pending";
  message?: string;
}

/** What a channel adapter answers: an outcome, or pending. */
export type ChannelOutcome = IssueOutcome | PendingOutcome;

/** The channel could not be reached or did not answer: the outcome is unknown, try again later. */
export class ChannelUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ChannelUnavailableError";
  }
}

/**
 * What is wrong with the tax-bureau account rather than with an invoice: its invoices stay queued
 * and resume when the account is back.
 * - `bad_credentials`: appKey / appSecret / token refused → status `reauth`;
 * - `token_quota`: the channel's token quota is used up → `reauth` (wait, or paste a permanent token);
 * - `logged_out`: the 数电 (电子税局) session at the channel is logged out → `reauth`;
 * - `identity_verification_due`: 实人认证 (face check) is due → `reauth`;
 * - `misconfigured`: a setting is missing or wrong (e.g. a private URL) → `offline`.
 */
export type ChannelAccountProblem =
  | "bad_credentials"
  | "token_quota"
  | "logged_out"
  | "identity_verification_due"
  | "misconfigured";

export class ChannelAccountError extends Error {
  /** The tax-bureau account status it calls for (TAX_ACCOUNT_STATUSES). */
  readonly accountStatus: "reauth" | "offline";
  constructor(
    readonly problem: ChannelAccountProblem,
    /** The channel's code and message, for the operator. */
    readonly code: string,
    message: string,
    /** What the operator should do, in Chinese (shown in the console). */
    readonly action: string,
  ) {
    super(message);
    this.name = "ChannelAccountError";
    this.accountStatus = problem === "misconfigured" ? "offline" : "reauth";
  }
}

/** The account as the channel sees it (测试连接 and the console's 电子税局账号 page). */
export interface ChannelAccountStatus {
  /** online: can issue; reauth: someone must log in / verify / fix credentials; offline: unreachable. */
  status: "online" | "reauth" | "offline";
  problem?: ChannelAccountProblem;
  /** The channel's words and what to do, for the console. */
  message: string;
  action?: string;
  /** 实人认证 / login QR code text (render as a QR), with its expiry, when the channel gives one. */
  qrCode?: ChannelQrCode;
  /** 授信额度 (tax-exclusive), where the channel reports it. */
  creditLine?: { available: string; used: string; total: string };
}

/** A 实人认证 / login QR code (text to render as a QR) and when it stops working. */
export interface ChannelQrCode {
  text: string;
  expiresAt: Date | null;
}

/** What asking the channel for a QR code gave: the code, or the channel's reason for none. */
export type ChannelQrAnswer = { qrCode: ChannelQrCode } | { qrCode: null; message: string };

/**
 * Where the scan of a QR stands: `waiting` (not scanned yet), `done` (scanned and completed with the
 * channel: check the account again), `expired` (ask for a new QR).
 */
export type ChannelScanState = "waiting" | "done" | "expired";

/** What `query` is told besides the serial. */
export interface QueryOptions {
  /** A red request's state lives in its 红字确认单 first; blue when absent. */
  color?: "blue" | "red";
  /** The seller's tax ID (金蝶 queries by serial and seller). */
  sellerTaxId?: string;
  /**
   * The 确认单 number the channel gave for this red request earlier (stored with our 确认单): the
   * channel finds the form by it when it does not find it by the serial.
   */
  redConfirmationNumber?: string;
}

/** The channel contract (CHANNELS.md §7.2): asynchronous channels, account problems, red 确认单, files. */
export interface ChannelAdapter {
  readonly id: string;
  /**
   * Issue (blue) or reverse (red, through the channel's 红字确认单 calls where it has them).
   * Throws ChannelUnavailableError (outcome unknown: query later) or ChannelAccountError.
   */
  issue(request: IssueRequest): Promise<ChannelOutcome>;
  /**
   * What became of an earlier request with this serial; null if the channel never saw it. `color`
   * tells a red request apart (its state lives in a 红字确认单 first); blue when absent.
   * `sellerTaxId`: the seller's tax ID (金蝶 queries by serial and seller; required there).
   */
  query(
    serial: string,
    settings: Record<string, unknown>,
    options?: QueryOptions,
  ): Promise<ChannelOutcome | null>;
  /**
   * A red invoice's 确认单 is answered at the bureau, outside Piaoma (the buyer confirms or refuses
   * there): while one waits (`confirmation_pending`), Piaoma asks `query` at the red-confirmation
   * poll's cadence (red-confirmation.poll.ts). Absent (the sandbox): the answer is given in Piaoma.
   */
  readonly pollsRedConfirmation?: boolean;
  /**
   * The channel-side order number for one of our serials (deterministic, within the channel's
   * length limit; 诺诺 ≤ 20). Absent when the channel takes our serial as it is.
   */
  orderNoOf?(serial: string): string;
  /**
   * Ask the channel to try again a request it already accepted and then failed (诺诺 reInvoice on
   * 22 / 24): the same order number, never a new one. For an operator's retry of a failed invoice
   * and for invoices held while their account needed attention. Absent: issue() again.
   */
  retry?(serial: string, settings: Record<string, unknown>): Promise<ChannelOutcome | null>;
  /**
   * 测试连接 and the account's state (session, 实人认证, 授信额度) where the channel reports them.
   * `account.sellerTaxId`: the organization's tax ID (金蝶's account check is per tax ID).
   */
  accountStatus?(
    settings: Record<string, unknown>,
    account?: { sellerTaxId?: string },
  ): Promise<ChannelAccountStatus>;
  /**
   * 数电 login / 实人认证 by scanning a QR code (诺诺 §1.9), for an account whose problem is
   * `logged_out` or `identity_verification_due`. `reauthQrCode` reads the current QR, or asks the
   * channel for a new one (`refresh`; the channel limits refreshes: 诺诺 1 a minute, 20 a day).
   * `reauthScan` asks whether it was scanned and, if so, completes it with the channel.
   */
  reauthQrCode?(
    settings: Record<string, unknown>,
    problem: "logged_out" | "identity_verification_due",
    options: { refresh: boolean },
  ): Promise<ChannelQrAnswer>;
  reauthScan?(
    settings: Record<string, unknown>,
    problem: "logged_out" | "identity_verification_due",
  ): Promise<ChannelScanState>;
  /**
   * The hosts the channel's files (ChannelFile urls) may be downloaded from, for these settings:
   * the account's setting, or the channel's known file hosts plus the host of its API URL
   * (channel-files.ts `fileHostsOf`). Required of a channel that answers files.
   */
  fileHosts?(settings: Record<string, unknown>): string[];
}
