import { and, eq, sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import { isNaturalPerson } from "../../domain";
import { sha256Hex } from "../../platform/crypto";
import type { DbOrTx } from "../../platform/db/client";
import { invoices, taxBureauAccounts } from "../../platform/db/schema";
import { deliverNow, deliveryRows } from "../deliveries/deliveries.service";
import { renderInvoicePdf, renderInvoiceXml } from "../documents";
import { discardUnrecorded } from "../files/file-store";
import { findOrganizationByIdOrTaxId, type OrganizationRow } from "../organizations/organizations.repository";

import {
  ChannelAccountError,
  type ChannelAdapter,
  type ChannelFile,
  type ChannelOutcome,
  ChannelUnavailableError,
  type IssueRequest,
} from "./channels/channel";
import { CHANNEL_FILE_TYPES, fetchChannelFile } from "./channels/channel-files";
import { toComputedLine, toInvoiceDocument } from "./invoice-document";
import { canAttempt, INVOICE_MOVES, movable, moveTo } from "./invoice-status";
import { findInvoice, findInvoiceLines, type InvoiceLineRow, type InvoiceRow } from "./invoices.repository";
import {
  clearChannelFlags,
  saveConfirmationPending,
  saveHeldForAccount,
  saveIssued,
  saveRejected,
} from "./issuing.save";
import { findRedConfirmationOf } from "./red-confirmation.queries";

export type IssuingContext = Pick<
  AppContext,
  "database" | "providers" | "jobs" | "log" | "config" | "deliveries"
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

  const [account] = await db
    .select()
    .from(taxBureauAccounts)
    .where(eq(taxBureauAccounts.id, invoice.taxAccountId ?? ""));
  if (!account || !ctx.providers.channels.get(account.channel))
    throw new Error(`invoice ${invoiceId}: no issuing channel for its tax-bureau account`);
  const org = await findOrganizationByIdOrTaxId(db, invoice.orgId);
  if (!org) throw new Error(`invoice ${invoiceId}: organization missing`);
  const lines = await findInvoiceLines(db, invoiceId);

  // Count the attempt before calling out: a crash after this point makes the next attempt query.
  const [marked] = await db
    .update(invoices)
    .set({ ...moveTo("attempt"), attempts: sql`${invoices.attempts} + 1` })
    .where(and(eq(invoices.id, invoiceId), movable("attempt")))
    .returning({ attempts: invoices.attempts });
  if (!marked) return (await findInvoice(db, invoiceId))?.status ?? "failed";
  clock.lap("db");
  const outcome = await attemptIssue(
    ctx,
    {
      invoice: { ...invoice, status: INVOICE_MOVES.attempt.to, attempts: marked.attempts },
      lines,
      org,
      account,
    },
    timings,
    pending,
  );
  return outcome.status;
}

/** Everything an attempt needs, loaded by the caller (the job reads it; a submit has it in hand). */
export interface IssueAttempt {
  /** The invoice with its attempt already counted (status issuing, attempts ≥ 1) and committed. */
  invoice: InvoiceRow;
  lines: InvoiceLineRow[];
  org: OrganizationRow;
  account: typeof taxBureauAccounts.$inferSelect | undefined;
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
): Promise<InvoiceRow> {
  const clock = stopwatch(timings);
  const { invoice, lines, org, account } = attempt;
  const invoiceId = invoice.id;
  const channel = account && ctx.providers.channels.get(account.channel);
  if (!account || !channel)
    throw new Error(`invoice ${invoiceId}: no issuing channel for its tax-bureau account`);

  const reverses = await reversedBlueOf(ctx.database.db, invoice);
  const request = issueRequestOf(
    invoice,
    org,
    lines,
    (account.settings ?? {}) as Record<string, unknown>,
    reverses,
  );
  clock.lap("db");
  // The account has a problem the channel reported: the invoice waits with it, uncalled.
  if (account.statusProblem)
    return saveHeldForAccount(ctx, {
      invoice,
      accountId: account.id,
      problem: new ChannelAccountError(
        account.statusProblem as ChannelAccountError["problem"],
        account.statusCode ?? "",
        account.statusMessage ?? "",
        account.statusAction ?? "",
      ),
    });
  // No transaction and no connection is held from here until the outcome is saved: the channel
  // calls and the waits between them happen with nothing of the database checked out.
  let outcome: ChannelOutcome;
  try {
    outcome = await askChannel(ctx, channel, invoice, request, pending);
  } catch (e) {
    if (!(e instanceof ChannelAccountError)) throw e;
    ctx.log.warn({ invoiceId, accountId: account.id, problem: e.problem, code: e.code }, e.message);
    return saveHeldForAccount(ctx, { invoice, accountId: account.id, problem: e });
  }
  clock.lap("channel");

  // Accepted, not finished: the invoice stays `issuing`; the sweep asks again when it is due.
  if (outcome.status === "pending") return invoice;
  if (outcome.status === "rejected") return saveRejected(ctx, { invoice, org, outcome });
  if (outcome.status === "confirmation_pending")
    return saveConfirmationPending(ctx, invoice, outcome.redConfirmation);

  // Render outside the transaction; it is pure CPU work on data we already hold.
  const issued: InvoiceRow = {
    ...invoice,
    status: INVOICE_MOVES.issue.to,
    number: outcome.number,
    issuedAt: outcome.issuedAt,
  };
  // A red invoice prints its 确认单 number (DOMAIN.md §8): the channel's, or the one it gave earlier.
  const confirmationNumber =
    reverses &&
    (outcome.redConfirmation?.number ??
      (await findRedConfirmationOf(ctx.database.db, invoiceId))?.number ??
      undefined);
  const doc = toInvoiceDocument(org, issued, lines, {
    sandbox: account.channel === "sandbox",
    reverses: reverses && (confirmationNumber ? { ...reverses, confirmationNumber } : reverses),
  });
  const pdf = await renderInvoicePdf(doc);
  const xml = Buffer.from(renderInvoiceXml(doc), "utf8");
  clock.lap("render");
  // The channel's own files are the legal ones (fetched now, under the guards of channel-files.ts);
  // ours are then the preview. One that cannot be fetched now is fetched later by the files sweep
  // and never undoes the invoice. A channel without files (the sandbox): ours are the invoice's.
  const channelFiles = outcome.files ?? [];
  const { fetched, missing } = await fetchIssuedFiles(ctx, channel, account, invoiceId, channelFiles);
  const preview = channelFiles.length > 0 ? "preview_" : "";
  const base = `invoices/${invoice.orgId}/${outcome.number}`;
  const toStore = [
    { kind: `${preview}pdf`, contentType: CHANNEL_FILE_TYPES.pdf, bytes: pdf, key: `${base}.${preview}pdf` },
    { kind: `${preview}xml`, contentType: CHANNEL_FILE_TYPES.xml, bytes: xml, key: `${base}.${preview}xml` },
    ...fetched.map((f) => ({
      kind: f.kind,
      contentType: CHANNEL_FILE_TYPES[f.kind],
      bytes: f.bytes,
      key: `${base}.${f.kind}`,
    })),
  ];
  const stored = await Promise.all(toStore.map((f) => ctx.providers.files.put(f.key, f.bytes)));
  clock.lap("files");
  const files = toStore.map((f, i) => ({
    kind: f.kind,
    contentType: f.contentType,
    size: f.bytes.length,
    sha256: sha256Hex(f.bytes),
    ...stored[i]!,
  }));
  const created = deliveryRows(ctx, {
    invoiceIds: [invoiceId],
    email: invoice.email,
    mobile: invoice.mobile,
    reason: "submit",
  });
  let saved: boolean;
  try {
    saved = await saveIssued(ctx, {
      invoice,
      org,
      number: outcome.number,
      issuedAt: outcome.issuedAt,
      files,
      created,
      pendingFiles: missing,
      redConfirmation: outcome.redConfirmation,
    });
  } catch (e) {
    // Not saved (or not known to be): the files put above go unless a row names them.
    await discardUnrecorded(ctx, stored);
    throw e;
  }
  if (!saved) await discardUnrecorded(ctx, stored);
  clock.lap("db");
  // Saved already by a concurrent attempt (the same serial gave the same number): nothing to send.
  if (saved) {
    const { token } = attempt;
    deliverNow(
      ctx,
      token === undefined
        ? created.map((d) => d.id)
        : created.map((delivery) => ({
            delivery,
            invoice: issued,
            sellerName: org.name,
            token,
            // The legal files when the channel's came, else ours.
            files: {
              pdf: fetched.find((f) => f.kind === "pdf")?.bytes ?? pdf,
              xml: fetched.find((f) => f.kind === "xml")?.bytes ?? xml,
            },
          })),
    );
  }
  return issued;
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
  invoice: InvoiceRow,
  request: IssueRequest,
  policy: PendingPolicy,
): Promise<ChannelOutcome> {
  const color = invoice.color as "blue" | "red";
  // 金蝶 queries by serial and seller.
  const query = () =>
    channel.query(invoice.serial, request.settings, { color, sellerTaxId: request.seller.taxId });
  let outcome: ChannelOutcome | null = null;
  const data = invoice.channelData as { heldForAccount?: boolean; retry?: boolean } | null;
  if (data?.heldForAccount || data?.retry) {
    outcome =
      channel.retry && color === "blue" ? await channel.retry(invoice.serial, request.settings) : null;
    outcome ??= await query();
    // Asked once: later attempts query (诺诺 allows 20 retries a day per order).
    await clearChannelFlags(ctx, invoice.id);
  } else if (invoice.attempts > 1) outcome = await query();
  outcome ??= await channel.issue(request);
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

/** What a red invoice reverses, for the channel request and the red PDF. */
async function reversedBlueOf(
  db: DbOrTx,
  red: InvoiceRow,
): Promise<{ number: string; reason: string } | undefined> {
  if (red.color !== "red" || !red.blueInvoiceId) return undefined;
  const blue = await findInvoice(db, red.blueInvoiceId);
  return blue?.number ? { number: blue.number, reason: red.reverseReason ?? "" } : undefined;
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
  reverses?: { number: string; reason: string },
): IssueRequest {
  return {
    serial: invoice.serial,
    invoiceType: invoice.invoiceType as IssueRequest["invoiceType"],
    color: invoice.color as IssueRequest["color"],
    seller: {
      name: org.name,
      taxId: org.taxId,
      address: org.address,
      phone: org.phone,
      bankName: org.bankName,
      bankAccount: org.bankAccount,
    },
    buyer: {
      type: invoice.buyerType,
      name: invoice.buyerName,
      taxId: invoice.buyerTaxId,
      naturalPerson: isNaturalPerson(invoice.buyerType, invoice.buyerTaxId),
      address: invoice.buyerAddress,
      phone: invoice.buyerPhone,
      bankName: invoice.buyerBankName,
      bankAccount: invoice.buyerBankAccount,
    },
    remark: invoice.remark,
    drawer: invoice.drawer,
    payee: invoice.payee,
    reviewer: invoice.reviewer,
    orderedAt: invoice.createdAt,
    lines: lines.map(toComputedLine),
    totals: {
      amountExcludingTax: invoice.amountExcludingTax,
      taxAmount: invoice.taxAmount,
      totalAmount: invoice.totalAmount,
    },
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
): Promise<Array<InvoiceRow | null>> {
  const results: Array<InvoiceRow | null> = [];
  for (const item of work) {
    const id = typeof item === "string" ? item : item.invoice.id;
    try {
      if (typeof item === "string") {
        await issueInvoice(ctx, item, timings, "wait");
        results.push(null);
      } else results.push(await attemptIssue(ctx, item, timings, "wait"));
    } catch (e) {
      results.push(null);
      const level = e instanceof ChannelUnavailableError ? "warn" : "error";
      ctx.log[level]({ err: e, invoiceId: id }, "issuing deferred to the background sweep");
    }
  }
  return results;
}
