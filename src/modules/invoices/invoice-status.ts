import { inArray, type SQL } from "drizzle-orm";
import { invoices } from "../../platform/db/schema";

/**
 * The one home of `invoices.status`: its states with what each means to the product, the allowed
 * moves (each write of the column names one), the checks built on them and the SQL fragments the
 * hot-path statements embed. Adding a status is adding it to STATUS (and to the moves it takes
 * part in); every list, check and fragment below follows.
 *
 *   pending ──attempt──▶ issuing ──issued──▶ issued ──reversed (its red invoices issued take all)──▶ reversed
 *                                              └──reversePartly (部分红冲)──▶ partially_reversed ──▶ …
 *      ▲                   │ ▲ └──refused──▶ failed ──retry──▶ pending
 *      │                   │ └─attempt (again: the sweep, a query by serial first)
 *      │                   └──awaitConfirmation──▶ confirmation_pending ──issued / refused──▶ …
 *      └──────────────────────────answerConfirmation (sandbox)───────────────┘
 *   awaiting_review ──approve──▶ pending (then issued by the normal path)
 *          └──decline──▶ review_refused                                          (审核开票)
 *   (a submit inserts its invoices as issuing, their first attempt counted — or as awaiting_review
 *   when one of the organization's review rules holds it; a reversal as pending)
 */
const STATUS = {
  /** Stored, not yet tried (a reversal, a retry): the sweep takes it when due. */
  pending: { unfinished: true, issued: false, failed: false, merchant: "issuing", label: "待开具" },
  /** An attempt is counted (and may have reached the channel): the sweep tries again when due. */
  issuing: { unfinished: true, issued: false, failed: false, merchant: "issuing", label: "开具中" },
  /** The channel waits for the buyer's 红字确认单; the sweep does not take it. */
  confirmation_pending: {
    unfinished: false,
    issued: false,
    failed: false,
    merchant: "issuing",
    label: "待确认",
  },
  /** Numbered by the channel, its files stored. */
  issued: { unfinished: false, issued: true, failed: false, merchant: "issued", label: "已开具" },
  /** The channel refused it (reason kept on the row). */
  failed: { unfinished: false, issued: false, failed: true, merchant: "failed", label: "开具失败" },
  /** Issued, and its red invoices issued since take all of it. */
  reversed: { unfinished: false, issued: true, failed: false, merchant: "reversed", label: "已红冲" },
  /** Issued, and red invoices issued since take part of it (部分红冲); more can be reversed. */
  partially_reversed: {
    unfinished: false,
    issued: true,
    failed: false,
    merchant: "partially_reversed",
    label: "部分红冲",
  },
  /** 审核开票: held by one of the organization's rules until an operator approves or declines it. */
  awaiting_review: { unfinished: false, issued: false, failed: false, merchant: "issuing", label: "待审核" },
  /** 审核开票: an operator declined it (the reason kept as its failure reason); nothing was issued. */
  review_refused: { unfinished: false, issued: false, failed: true, merchant: "failed", label: "审核拒绝" },
} as const satisfies Record<string, StatusFacts>;

interface StatusFacts {
  /** Not settled yet: the issuing sweep claims it when due (`next_attempt_at`). */
  unfinished: boolean;
  /** The invoice exists at the tax bureau: it has a number, files to download and send. */
  issued: boolean;
  /** It ended without a number (the channel, or the merchant's review, refused it). */
  failed: boolean;
  /** What the open API and webhooks call it (API.md's four, and partially_reversed of 部分红冲). */
  merchant: "issuing" | "issued" | "failed" | "reversed" | "partially_reversed";
  /** The console export's 状态 column. */
  label: string;
}

export type InvoiceStatus = keyof typeof STATUS;
export type MerchantInvoiceStatus = StatusFacts["merchant"];

/** Every status, in the order above (the console's filter and the schemas' enums). */
export const INVOICE_STATUSES = Object.keys(STATUS) as [InvoiceStatus, ...InvoiceStatus[]];

/**
 * The moves, each one write of the column: from which statuses, to which. A write moves the row only
 * if it is still in one of `from` (the condition is part of its statement), so two processes racing
 * cannot move an invoice twice or backwards.
 */
export const INVOICE_MOVES = {
  /** An attempt is counted before the channel is called (pending, or issuing again). */
  attempt: { from: ["pending", "issuing"], to: "issuing" },
  /** The channel answered with a number. Also after a refusal was saved: the number is the truth. */
  issue: { from: ["pending", "issuing", "confirmation_pending", "failed"], to: "issued" },
  /** The channel refused. */
  refuse: { from: ["pending", "issuing", "confirmation_pending"], to: "failed" },
  /** The channel waits for the buyer's 确认单. */
  awaitConfirmation: { from: ["pending", "issuing"], to: "confirmation_pending" },
  /**
   * The buyer answered the 确认单 (the sandbox's stand-in: console, `piaoma sandbox:confirm`): the
   * channel is asked again, which then issues or refuses (red-confirmation.sandbox.ts).
   */
  answerConfirmation: { from: ["confirmation_pending"], to: "pending" },
  /** 重试 from the console: the same serial (nothing was issued under it), due at once. */
  retry: { from: ["failed"], to: "pending" },
  /** Its red invoices issued (the last one just now) take all of it. */
  reverse: { from: ["issued", "partially_reversed"], to: "reversed" },
  /** A red invoice issued takes part of it, and some remains (部分红冲). */
  reversePartly: { from: ["issued", "partially_reversed"], to: "partially_reversed" },
  /** 审核开票: an operator approves a held invoice; it is then attempted like any pending one. */
  approve: { from: ["awaiting_review"], to: "pending" },
  /** 审核开票: an operator declines a held invoice, with a reason the consumer is told. */
  decline: { from: ["awaiting_review"], to: "review_refused" },
} as const satisfies Record<string, { from: readonly InvoiceStatus[]; to: InvoiceStatus }>;

export type InvoiceMove = keyof typeof INVOICE_MOVES;

/** Where each status may go (derived from the moves; the small-tier test reads it as a table). */
export const INVOICE_TRANSITIONS: Readonly<Record<InvoiceStatus, readonly InvoiceStatus[]>> =
  Object.fromEntries(
    INVOICE_STATUSES.map((s) => [
      s,
      [
        ...new Set(
          Object.values(INVOICE_MOVES)
            .filter((m) => (m.from as readonly string[]).includes(s))
            .map((m) => m.to),
        ),
      ],
    ]),
  ) as Record<InvoiceStatus, InvoiceStatus[]>;

/** The statuses of an invoice that exists at the tax bureau (see isIssued). */
export const ISSUED_STATUSES = INVOICE_STATUSES.filter((s) => STATUS[s].issued);

/** The status a submit inserts its invoices with: the first attempt is counted with the submit. */
export const SUBMITTED_STATUS: InvoiceStatus = "issuing";
/** The status a submit inserts its invoices with when a review rule holds them (审核开票). */
export const REVIEW_STATUS: InvoiceStatus = "awaiting_review";
/** The status a red invoice is inserted with: tried right after, the sweep as backstop. */
export const NEW_STATUS: InvoiceStatus = "pending";

const is = (status: string): status is InvoiceStatus => Object.hasOwn(STATUS, status);
const can = (move: InvoiceMove, status: string) =>
  (INVOICE_MOVES[move].from as readonly string[]).includes(status);

/** An attempt may be made (and counted) now. */
export const canAttempt = (status: string) => can("attempt", status);
/** 红冲 may be asked for (the blue invoice must also have a number). */
export const canReverse = (status: string) => can("reverse", status);
/** The buyer's answer to its 确认单 may be given (a red invoice waiting for it). */
export const canAnswerConfirmation = (status: string) => can("answerConfirmation", status);
/** 重试 may be asked for. */
export const canRetry = (status: string) => can("retry", status);
/** It ended without a number: the channel refused it, or the merchant's review declined it. */
export const hasFailed = (status: string) => is(status) && STATUS[status].failed;
/** It waits for the merchant's review (审核开票): approve or decline may be asked for. */
export const awaitsReview = (status: string) => can("approve", status);
/** It exists at the tax bureau: a number, files to download, deliveries to send again. */
export const isIssued = (status: string) => is(status) && STATUS[status].issued;

/** The merchant's statuses (open API, webhooks): waiting of any kind is "issuing". */
export function merchantStatus(status: string): MerchantInvoiceStatus {
  return is(status) ? STATUS[status].merchant : "issuing";
}

/** The export's words for a status. */
export function statusLabel(status: string): string {
  return is(status) ? STATUS[status].label : status;
}

/**
 * What a consumer is told of a code's invoices: failed when a blue one failed, issued once every
 * blue one is, issuing until then (red invoices do not count).
 */
export function codeInvoicesStatus(
  rows: Array<{ color: string; status: string }>,
): "issuing" | "issued" | "failed" {
  const blue = rows.filter((r) => r.color === "blue");
  if (blue.some((r) => hasFailed(r.status))) return "failed";
  if (blue.length > 0 && blue.every((r) => isIssued(r.status))) return "issued";
  return "issuing";
}

const quoted = (statuses: readonly string[]) => statuses.map((s) => `'${s}'`).join(", ");

/** SQL (unqualified columns): the invoice is unfinished — what the sweep claims and the partial index covers. */
export const UNFINISHED_SQL = `status in (${quoted(INVOICE_STATUSES.filter((s) => STATUS[s].unfinished))})`;

/** Drizzle: the invoice is unfinished (UNFINISHED_SQL). */
export function unfinished(): SQL {
  return inArray(
    invoices.status,
    INVOICE_STATUSES.filter((s) => STATUS[s].unfinished),
  );
}

/** SQL (unqualified columns): the row may make this move; for statements written as text. */
export function movableSql(move: InvoiceMove): string {
  return `status in (${quoted(INVOICE_MOVES[move].from)})`;
}

/** The statuses of an invoice that has no number (yet, or ever): issuing, held, refused. */
export const UNISSUED_STATUSES = INVOICE_STATUSES.filter((s) => !STATUS[s].issued);
/** UNISSUED_STATUSES as SQL literals (the schema's UNISSUED_STATUS_LIST must say the same). */
export const UNISSUED_SQL_LIST = quoted(UNISSUED_STATUSES);

/** Drizzle: the row may make this move (the condition a write of the move carries). */
export function movable(move: InvoiceMove): SQL {
  return inArray(invoices.status, [...INVOICE_MOVES[move].from]);
}

/** The columns a write of the move sets (with whatever else the caller sets beside them). */
export function moveTo(move: InvoiceMove): { status: InvoiceStatus; updatedAt: Date } {
  return { status: INVOICE_MOVES[move].to, updatedAt: new Date() };
}
