import type { AppContext } from "../../context";
import { compareDecimals, isNaturalPerson, negateAmount } from "../../domain";
import { sha256Hex } from "../../platform/crypto";
import type { DbOrTx } from "../../platform/db/client";
import { timed } from "../../platform/metrics";
import { type DeliveryRow, deliverNow, deliveryRows } from "../deliveries/deliveries.service";
import { type InvoiceDocument, renderInvoicePdf, renderInvoiceXml } from "../documents";
import { discardUnrecorded } from "../files/file-store";
import { sellerOf } from "../organizations/organizations.presenter";
import { findOrganizationByIdOrTaxId, type OrganizationRow } from "../organizations/organizations.repository";
import {
  ChannelAccountError,
  type ChannelAdapter,
  type ChannelFile,
  type ChannelOutcome,
  ChannelUnavailableError,
  type IssueRequest,
  type ReversedBlue,
} from "./channels/channel";
import { CHANNEL_FILE_TYPES, fetchChannelFile } from "./channels/channel-files";
import { toComputedLine, toInvoiceDocument } from "./invoice-document";
import { canAttempt, INVOICE_MOVES } from "./invoice-status";
import { buyerOf, totalsOf } from "./invoices.presenter";
import { findInvoice, findInvoiceLines, type InvoiceLineRow, type InvoiceRow } from "./invoices.repository";
import { countAttempt, findTaxAccount, type TaxAccountRow } from "./issuing.queries";
import {
  clearChannelFlags,
  type IssuedFile,
  saveConfirmationPending,
  saveHeldForAccount,
  saveIssued,
  saveRejected,
} from "./issuing.save";
import { findRedConfirmationOf } from "./red-confirmation.queries";
import { reversedLineNumbers } from "./reversal.partial";

export type IssuingContext = Pick<
  AppContext,
  "database" | "providers" | "jobs" | "log" | "config" | "deliveries" | "metrics"
>;

/**
 * How an attempt treats a channel that answers 开票中: `wait` (the process that submitted, retried
 * or reversed) asks again after about 3 s and 5 s before leaving it to the sweep; `once` (the sweep,
 * whose claim already set the next look `issueRetrySeconds` ahead) asks once and moves on.
 */
export type PendingPolicy = "wait" | "once";

/**
 * Issues one invoice: a persisted state machine (pending → issuing → issued | failed; invoice-status.ts).
 * The channel is called outside any transaction with the invoice's own serial, stored before; if
 * an earlier attempt may have reached the channel, the serial is queried first, so an ambiguous
 * outcome never leads to a second invoice. Safe to run concurrently and repeatedly.
 *
 * Throws ChannelUnavailableError when the channel cannot be reached (the sweep retries later).
 */
export async function issueInvoice(
  ctx: IssuingContext,
  invoiceId: string,
  timings?: Timings,
  pending: PendingPolicy = "once",
): Promise<InvoiceRow["status"]> {
  const clock = stopwatch(timings);
  const { db } = ctx.database;
  const invoice = await findInvoice(db, invoiceId);
  if (!invoice) return "failed";
  if (!canAttempt(invoice.status)) return invoice.status;
  const [account, org, lines] = await Promise.all([
    findTaxAccount(db, invoice.taxAccountId),
    findOrganizationByIdOrTaxId(db, invoice.orgId),
    findInvoiceLines(db, invoiceId),
  ]);
  if (!account || !ctx.providers.channels.get(account.channel))
    throw new Error(`invoice ${invoiceId}: no issuing channel for its tax-bureau account`);
  if (!org) throw new Error(`invoice ${invoiceId}: organization missing`);

  // Count the attempt before calling out: a crash after this point makes the next attempt query.
  const attempts = await countAttempt(db, invoiceId);
  if (attempts === undefined) return (await findInvoice(db, invoiceId))?.status ?? "failed";
  clock.lap("db");
  const counted = { ...invoice, status: INVOICE_MOVES.attempt.to, attempts };
  const outcome = await attemptIssue(ctx, { invoice: counted, lines, org, account }, timings, pending);
  return outcome.status;
}

/** Everything an attempt needs, loaded by the caller (the job reads it; a submit has it in hand). */
export interface IssueAttempt {
  /** The invoice with its attempt already counted (status issuing, attempts ≥ 1) and committed. */
  invoice: InvoiceRow;
  lines: InvoiceLineRow[];
  org: OrganizationRow;
  account: TaxAccountRow | undefined;
  /** The receipt code's token when the caller has it (a submit): deliveries are then sent as saved. */
  token?: string;
}

/**
 * One attempt at the channel for an invoice whose attempt is counted and committed: the channel is
 * called outside any transaction, asked for the serial first when an earlier attempt may have
 * reached it, and the answer saved with its files, deliveries, webhook event and audit entry in
 * one transaction. Returns the invoice as it now is (as far as this attempt knows).
 */
export async function attemptIssue(
  ctx: IssuingContext,
  attempt: IssueAttempt,
  timings?: Timings,
  pending: PendingPolicy = "once",
  hooks: AttemptHooks = {},
): Promise<InvoiceRow> {
  const clock = stopwatch(timings);
  const { invoice } = attempt;
  const { account, channel } = channelOf(ctx, attempt);
  const [reverses, confirmation] = await Promise.all([
    reversedBlueOf(ctx.database.db, invoice, attempt.lines),
    invoice.color === "red" ? findRedConfirmationOf(ctx.database.db, invoice.id) : undefined,
  ]);
  clock.lap("db");
  // The account has a problem the channel reported: the invoice waits with it, uncalled.
  if (account.statusProblem)
    return saveHeldForAccount(ctx, { invoice, accountId: account.id, problem: reportedProblemOf(account) });
  // No transaction and no connection is held from here until the outcome is saved: the channel
  // calls and the waits between them happen with nothing of the database checked out.
  let outcome: ChannelOutcome;
  const counted = (result: string) =>
    ctx.metrics.issueOutcomes.inc({ channel: account.channel, outcome: result });
  try {
    outcome = await askChannel(ctx, timedChannel(ctx, account.channel, channel), attempt, reverses, pending, {
      ...hooks,
      redConfirmationNumber: confirmation?.number ?? undefined,
    });
    counted(outcome.status);
  } catch (e) {
    counted(e instanceof ChannelAccountError ? "account_problem" : "unavailable");
    if (!(e instanceof ChannelAccountError)) throw e;
    ctx.log.warn(
      { invoiceId: invoice.id, accountId: account.id, problem: e.problem, code: e.code },
      e.message,
    );
    return saveHeldForAccount(ctx, { invoice, accountId: account.id, problem: e });
  }
  clock.lap("channel");
  return settleOutcome(ctx, attempt, { account, channel, reverses, outcome }, timings);
}

/** What the caller of an attempt may hear before it ends. */
export interface AttemptHooks {
  /**
   * The channel's first answer is 开票中 (accepted, not finished): the attempt goes on (its waits and
   * re-queries), but a caller that answers someone — a submit — need not wait for it.
   */
  onPending?: () => void;
}

/**
 * Saves what the channel answered for an attempt (or a poll of a red invoice's 确认单): a refusal,
 * a 确认单 still waiting, or the issued invoice with its rendered and fetched files, deliveries,
 * webhook event and audit entry. 开票中 saves nothing: the invoice stays as it is.
 */
async function settleOutcome(
  ctx: IssuingContext,
  attempt: IssueAttempt,
  {
    account,
    channel,
    reverses,
    outcome,
  }: {
    account: TaxAccountRow;
    channel: ChannelAdapter;
    reverses: Reverses | undefined;
    outcome: ChannelOutcome;
  },
  timings?: Timings,
): Promise<InvoiceRow> {
  const clock = stopwatch(timings);
  const { invoice, org } = attempt;
  // Accepted, not finished: the invoice stays `issuing`; the sweep asks again when it is due.
  if (outcome.status === "pending") return invoice;
  if (outcome.status === "rejected") return saveRejected(ctx, { invoice, org, outcome });
  if (outcome.status === "confirmation_pending")
    return saveConfirmationPending(ctx, invoice, outcome.redConfirmation);

  const issued: InvoiceRow = { ...invoice, status: INVOICE_MOVES.issue.to, ...numbered(outcome) };
  const sandbox = account.channel === "sandbox";
  // The channel's own files are the legal ones (fetched now, under the guards of channel-files.ts);
  // ours are then the preview. One that cannot be fetched now is fetched later by the files sweep
  // and never undoes the invoice. A channel without files (the sandbox): ours are the invoice's.
  const channelFiles = outcome.files ?? [];
  const { fetched, missing } = await fetchIssuedFiles(ctx, channel, account, invoice.id, channelFiles);
  clock.lap("files");
  // Ours are rendered now only where they serve: as the invoice's files, or in place of a legal
  // file not fetched yet (downloads and the e-mail fall back to them). The preview of a legal file
  // in hand is rendered when first asked for (issuing.preview.ts): ~12 % of an issue's CPU spared.
  const needed = {
    pdf: !fetched.some((f) => f.kind === "pdf"),
    xml: !fetched.some((f) => f.kind === "xml"),
  };
  const printed =
    needed.pdf || needed.xml ? await withConfirmationNumber(ctx, invoice.id, outcome, reverses) : undefined;
  const rendered = await renderFiles(
    toInvoiceDocument(org, issued, attempt.lines, { sandbox, reverses: printed }),
    needed,
  );
  clock.lap("render");
  const files = await storeFiles(ctx, issued, rendered, fetched, channelFiles.length > 0);
  clock.lap("files");
  const created = deliveryRows(ctx, {
    invoiceIds: [invoice.id],
    email: invoice.email,
    mobile: invoice.mobile,
    reason: "submit",
  });
  const saved = await saveOrDiscard(ctx, {
    invoice,
    org,
    ...numbered(outcome),
    files,
    created,
    pendingFiles: missing,
    redConfirmation: outcome.redConfirmation,
  });
  clock.lap("db");
  // Saved already by a concurrent attempt (the same serial gave the same number): nothing to send.
  // The legal files go out when the channel's came, else ours.
  if (saved)
    sendAsSaved(ctx, attempt, issued, created, sandbox, {
      pdf: (fetched.find((f) => f.kind === "pdf")?.bytes ?? rendered.pdf)!,
      xml: (fetched.find((f) => f.kind === "xml")?.bytes ?? rendered.xml)!,
    });
  return issued;
}

type Issued = Extract<ChannelOutcome, { status: "issued" }>;
/** What a red invoice reverses: the blue number, the reason and, in part, the blue lines. */
type Reverses = ReversedBlue;

const numbered = (outcome: Issued) => ({ number: outcome.number, issuedAt: outcome.issuedAt });

/** The attempt's account and its channel adapter (an invoice without them is a bug, not an outage). */
function channelOf(ctx: IssuingContext, { invoice, account }: IssueAttempt) {
  const channel = account && ctx.providers.channels.get(account.channel);
  if (!account || !channel)
    throw new Error(`invoice ${invoice.id}: no issuing channel for its tax-bureau account`);
  return { account, channel };
}

/** The problem the account check or an earlier call recorded on the account. */
function reportedProblemOf(account: TaxAccountRow): ChannelAccountError {
  return new ChannelAccountError(
    account.statusProblem as ChannelAccountError["problem"],
    account.statusCode ?? "",
    account.statusMessage ?? "",
    account.statusAction ?? "",
  );
}

/**
 * The channel's files of an issued invoice, fetched at once and in parallel; what could not be
 * fetched (refused host, redirect, too large, deadline, the channel not serving it yet) is listed
 * for the files sweep.
 */
async function fetchIssuedFiles(
  ctx: IssuingContext,
  channel: ChannelAdapter,
  account: NonNullable<IssueAttempt["account"]>,
  invoiceId: string,
  files: ChannelFile[],
): Promise<{ fetched: Array<ChannelFile & { bytes: Buffer }>; missing: ChannelFile[] }> {
  if (files.length === 0) return { fetched: [], missing: [] };
  const settings = (account.settings ?? {}) as Record<string, unknown>;
  const allowedHosts = channel.fileHosts?.(settings) ?? [];
  const results = await Promise.all(
    files.map(async (file) => {
      try {
        const bytes = await fetchChannelFile(file, {
          allowedHosts,
          allowPrivate: ctx.config.allowPrivateUrls,
        });
        return { ...file, bytes };
      } catch (e) {
        ctx.log.warn({ invoiceId, kind: file.kind, err: e }, "channel file not fetched yet");
        return null;
      }
    }),
  );
  return {
    fetched: results.filter((r) => r !== null),
    missing: files.filter((_, i) => results[i] === null),
  };
}

/** The channel with each call timed into the latency histogram (platform/metrics.ts). */
function timedChannel(ctx: Pick<AppContext, "metrics">, id: string, channel: ChannelAdapter): ChannelAdapter {
  const time = <T>(operation: string, call: () => Promise<T>) =>
    timed(ctx.metrics, { channel: id, operation }, call);
  return {
    ...channel,
    issue: (request) => time("issue", () => channel.issue(request)),
    query: (...args) => time("query", () => channel.query(...args)),
    ...(channel.retry ? { retry: (...args) => time("retry", () => channel.retry!(...args)) } : {}),
  };
}

/**
 * One attempt's conversation with the channel: an invoice held while its account needed attention
 * (or retried by an operator) is first handed to the channel's `retry` (诺诺 reInvoice: the same
 * order number); otherwise the serial is queried first when an earlier attempt may have reached
 * the channel (never a second request for it), else issued. A 开票中 answer is asked again after
 * `issuePendingFirstSeconds` and `issuePendingThenSeconds` under the `wait` policy; "not known"
 * right after an acceptance stays pending. Throws ChannelAccountError and ChannelUnavailableError.
 */
async function askChannel(
  ctx: IssuingContext,
  channel: ChannelAdapter,
  { invoice, lines, org, account }: IssueAttempt,
  reverses: Reverses | undefined,
  policy: PendingPolicy,
  { onPending, redConfirmationNumber }: AttemptHooks & { redConfirmationNumber?: string | undefined },
): Promise<ChannelOutcome> {
  const settings = (account?.settings ?? {}) as Record<string, unknown>;
  const request = issueRequestOf(invoice, org, lines, settings, reverses);
  const color = invoice.color as "blue" | "red";
  // 金蝶 queries by serial and seller; a red request's 确认单 also by the number the channel gave.
  const query = () =>
    channel.query(invoice.serial, request.settings, {
      color,
      sellerTaxId: request.seller.taxId,
      ...(redConfirmationNumber ? { redConfirmationNumber } : {}),
    });
  let outcome: ChannelOutcome | null = null;
  const data = invoice.channelData as { heldForAccount?: boolean; retry?: boolean } | null;
  if (data?.heldForAccount || data?.retry) {
    outcome =
      channel.retry && color === "blue" ? await channel.retry(invoice.serial, request.settings) : null;
    outcome ??= await query();
    // Asked once: later attempts query (诺诺 allows 20 retries a day per order).
    await clearChannelFlags(ctx, invoice.id);
  } else if (invoice.attempts > 1) outcome = await query();
  // A red request whose 确认单 the channel numbered exists there: at a channel whose forms are
  // queried (诺诺, 金蝶), not found now is not yet found again — never a reason to apply for a second
  // 确认单 (a second red invoice). (The sandbox answers a red request by issue() again, by serial.)
  if (!outcome && redConfirmationNumber && channel.pollsRedConfirmation)
    outcome = { status: "pending", message: `红字确认单 ${redConfirmationNumber} 暂未查到` };
  outcome ??= await channel.issue(request);
  if (outcome.status === "pending") onPending?.();
  if (policy === "wait") {
    const { issuePendingFirstSeconds, issuePendingThenSeconds } = ctx.config.tuning;
    for (const seconds of [issuePendingFirstSeconds, issuePendingThenSeconds]) {
      if (outcome.status !== "pending") break;
      await ctx.providers.sleep(seconds * 1000);
      outcome = (await query()) ?? outcome;
    }
  }
  return outcome;
}

/** A red invoice prints its 确认单 number (DOMAIN.md §8): the channel's, or the one it gave earlier. */
async function withConfirmationNumber(
  ctx: IssuingContext,
  invoiceId: string,
  outcome: Issued,
  reverses: Reverses | undefined,
): Promise<{ number: string; reason: string; confirmationNumber?: string } | undefined> {
  if (!reverses) return undefined;
  const { number, reason } = reverses;
  const confirmationNumber =
    outcome.redConfirmation?.number ?? (await findRedConfirmationOf(ctx.database.db, invoiceId))?.number;
  return confirmationNumber ? { number, reason, confirmationNumber } : { number, reason };
}

/** PDF and XML (those asked for), rendered outside any transaction: pure CPU work on data in hand. */
async function renderFiles(doc: InvoiceDocument, needed: { pdf: boolean; xml: boolean }): Promise<Rendered> {
  return {
    ...(needed.pdf ? { pdf: await renderInvoicePdf(doc) } : {}),
    ...(needed.xml ? { xml: Buffer.from(renderInvoiceXml(doc), "utf8") } : {}),
  };
}

type Rendered = { pdf?: Buffer; xml?: Buffer };

/** Puts the files in the store (before the row naming them commits) and describes them. */
async function storeFiles(
  ctx: IssuingContext,
  issued: InvoiceRow,
  { pdf, xml }: Rendered,
  fetched: Array<ChannelFile & { bytes: Buffer }>,
  fromChannel: boolean,
): Promise<IssuedFile[]> {
  const preview = fromChannel ? "preview_" : "";
  const base = `invoices/${issued.orgId}/${issued.number}`;
  const ours = (kind: "pdf" | "xml", bytes: Buffer | undefined) =>
    bytes
      ? [
          {
            kind: `${preview}${kind}`,
            contentType: CHANNEL_FILE_TYPES[kind],
            bytes,
            key: `${base}.${preview}${kind}`,
          },
        ]
      : [];
  const toStore = [
    ...ours("pdf", pdf),
    ...ours("xml", xml),
    ...fetched.map((f) => ({
      kind: f.kind,
      contentType: CHANNEL_FILE_TYPES[f.kind],
      bytes: f.bytes,
      key: `${base}.${f.kind}`,
    })),
  ];
  const stored = await Promise.all(toStore.map((f) => ctx.providers.files.put(f.key, f.bytes)));
  return toStore.map((f, i) => ({
    kind: f.kind,
    contentType: f.contentType,
    size: f.bytes.length,
    sha256: sha256Hex(f.bytes),
    ...stored[i]!,
  }));
}

/** Saves the issued invoice; the files put go again unless a row names them (not saved, or not known to be). */
async function saveOrDiscard(
  ctx: IssuingContext,
  options: Parameters<typeof saveIssued>[1],
): Promise<boolean> {
  const placements = options.files.map((f) => ({
    content: f.content ?? null,
    storageKey: f.storageKey ?? null,
  }));
  let saved: boolean;
  try {
    saved = await saveIssued(ctx, options);
  } catch (e) {
    await discardUnrecorded(ctx, placements);
    throw e;
  }
  if (!saved) await discardUnrecorded(ctx, placements);
  return saved;
}

/** The deliveries just saved go out now; with the token in hand, with the files just rendered. */
function sendAsSaved(
  ctx: IssuingContext,
  { token, org }: IssueAttempt,
  invoice: InvoiceRow,
  created: DeliveryRow[],
  sandbox: boolean,
  files: { pdf: Buffer; xml: Buffer },
): void {
  deliverNow(
    ctx,
    token === undefined
      ? created.map((d) => d.id)
      : created.map((delivery) => ({
          delivery,
          invoice,
          sellerName: org.name,
          replyTo: org.contactEmail,
          sandbox,
          token,
          files,
        })),
  );
}

/**
 * What a red invoice reverses, for the channel request and the red PDF: the blue number and the
 * reason and — when it takes less than the whole blue invoice (部分红冲, or what remains after one)
 * — the blue line each of its lines reverses, which a channel's partial 确认单 names.
 */
async function reversedBlueOf(
  db: DbOrTx,
  red: InvoiceRow,
  redLines: readonly InvoiceLineRow[],
): Promise<Reverses | undefined> {
  if (red.color !== "red" || !red.blueInvoiceId) return undefined;
  const blue = await findInvoice(db, red.blueInvoiceId);
  if (!blue?.number) return undefined;
  const reverses = { number: blue.number, reason: red.reverseReason ?? "" };
  if (compareDecimals(red.totalAmount, negateAmount(blue.totalAmount)) === 0) return reverses;
  return { ...reverses, lines: reversedLineNumbers(await findInvoiceLines(db, blue.id), redLines) };
}

/** Where issuing spends its time, in milliseconds by step (db, channel, render, files). */
export type Timings = Record<string, number>;

function stopwatch(timings: Timings | undefined) {
  let last = performance.now();
  return {
    lap(step: string) {
      const now = performance.now();
      if (timings) timings[step] = (timings[step] ?? 0) + (now - last);
      last = now;
    },
  };
}

/**
 * What an invoice keeps of its channel from the start (`invoices.channel_data`, written with the
 * invoice, before any call): the channel-side order number derived from our serial (诺诺: ≤ 20
 * characters), so the console shows it and no later attempt could ever use another.
 */
export function channelDataOf(
  channels: Map<string, ChannelAdapter>,
  channelId: string | null | undefined,
  serial: string,
): { orderNo: string } {
  const adapter = channelId ? channels.get(channelId) : undefined;
  return { orderNo: adapter?.orderNoOf?.(serial) ?? serial };
}

/**
 * What is sent to the channel for an invoice — the whole invoice: the serial stored with it, the
 * seller's and the buyer's address, phone, bank and account, the natural-person flag, 备注, 开票人 /
 * 收款人 / 复核人, and the lines with their kinds, zero-rate kinds and 19-digit tax codes.
 */
export function issueRequestOf(
  invoice: InvoiceRow,
  org: OrganizationRow,
  lines: InvoiceLineRow[],
  settings: Record<string, unknown>,
  reverses?: ReversedBlue,
): IssueRequest {
  return {
    serial: invoice.serial,
    invoiceType: invoice.invoiceType as IssueRequest["invoiceType"],
    color: invoice.color as IssueRequest["color"],
    seller: sellerOf(org),
    buyer: {
      ...buyerOf(invoice),
      naturalPerson: isNaturalPerson(invoice.buyerType, invoice.buyerTaxId),
    },
    remark: invoice.remark,
    drawer: invoice.drawer,
    payee: invoice.payee,
    reviewer: invoice.reviewer,
    orderedAt: invoice.createdAt,
    lines: lines.map(toComputedLine),
    totals: totalsOf(invoice),
    settings,
    ...(reverses ? { reverses } : {}),
  };
}

/**
 * Right after a submit or a reversal, in this process: the latency-critical path. Never throws:
 * whatever goes wrong here, the sweep (issueSweep) finishes the work. Takes invoice ids (read
 * and counted here) or attempts already counted by the caller's transaction; returns what is known
 * of each invoice afterwards, or null when an attempt was deferred.
 */
export async function issueNow(
  ctx: IssuingContext,
  work: Array<string | IssueAttempt>,
  timings?: Timings,
  hooks: AttemptHooks = {},
): Promise<Array<InvoiceRow | null>> {
  const results: Array<InvoiceRow | null> = [];
  for (const item of work) {
    const id = typeof item === "string" ? item : item.invoice.id;
    try {
      if (typeof item === "string") {
        await issueInvoice(ctx, item, timings, "wait");
        results.push(null);
      } else results.push(await attemptIssue(ctx, item, timings, "wait", hooks));
    } catch (e) {
      results.push(null);
      const level = e instanceof ChannelUnavailableError ? "warn" : "error";
      ctx.log[level]({ err: e, invoiceId: id }, "issuing deferred to the background sweep");
    }
  }
  return results;
}

/**
 * A red invoice waiting for its 红字确认单 at a channel where the buyer answers at the bureau
 * (ChannelAdapter.pollsRedConfirmation: 诺诺, 金蝶): the channel is asked what became of the form —
 * by the red serial, and by the 确认单 number it gave — and the answer saved as an attempt's would
 * be: confirmed (the channel then issues the red invoice) → issued; refused, expired or revoked →
 * failed; still waiting → the 确认单's number and state kept up to date. Only ever a query: a red
 * request the channel does not find now is left waiting (logged), never applied for again, so
 * nothing can be reversed twice. Returns the invoice's status afterwards.
 */
export async function pollRedConfirmation(ctx: IssuingContext, invoiceId: string): Promise<string> {
  const { db } = ctx.database;
  const invoice = await findInvoice(db, invoiceId);
  if (!invoice) return "failed";
  if (invoice.color !== "red" || invoice.status !== INVOICE_MOVES.awaitConfirmation.to) return invoice.status;
  const [account, org, lines, confirmation] = await Promise.all([
    findTaxAccount(db, invoice.taxAccountId),
    findOrganizationByIdOrTaxId(db, invoice.orgId),
    findInvoiceLines(db, invoiceId),
    findRedConfirmationOf(db, invoiceId),
  ]);
  const reverses = await reversedBlueOf(db, invoice, lines);
  const channel = account && ctx.providers.channels.get(account.channel);
  if (!account || !channel?.pollsRedConfirmation || !org) return invoice.status;
  // The account has a problem the channel reported: the 确认单 waits with it.
  if (account.statusProblem) return invoice.status;
  const settings = (account.settings ?? {}) as Record<string, unknown>;
  let outcome: ChannelOutcome | null;
  try {
    outcome = await channel.query(invoice.serial, settings, {
      color: "red",
      sellerTaxId: org.taxId,
      ...(confirmation?.number ? { redConfirmationNumber: confirmation.number } : {}),
    });
  } catch (e) {
    if (!(e instanceof ChannelAccountError)) throw e;
    ctx.log.warn({ invoiceId, accountId: account.id, problem: e.problem, code: e.code }, e.message);
    await saveHeldForAccount(ctx, { invoice, accountId: account.id, problem: e });
    return invoice.status;
  }
  if (!outcome) {
    ctx.log.warn(
      { invoiceId, serial: invoice.serial, confirmation: confirmation?.number },
      "red invoice's 确认单 not found at the channel; still waiting (never applied for again)",
    );
    return invoice.status;
  }
  const attempt: IssueAttempt = { invoice, lines, org, account };
  return (await settleOutcome(ctx, attempt, { account, channel, reverses, outcome })).status;
}
