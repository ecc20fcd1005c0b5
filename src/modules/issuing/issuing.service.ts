import { and, eq, inArray, ne, type SQLWrapper, sql } from "drizzle-orm";
import { isNaturalPerson } from "../../domain";
import type { AppContext } from "../../platform/context";
import { sha256Hex } from "../../platform/crypto";
import { type DbOrTx, runTogether } from "../../platform/db/client";
import { recordsJson, selectRecords } from "../../platform/db/records";
import {
  auditLog,
  deliveries,
  invoiceFiles,
  invoices,
  receiptCodes,
  taxBureauAccounts,
} from "../../platform/db/schema";
import { claimDue, type SweepDefinition } from "../../platform/sweeper";
import { auditInsert, auditRow, recordAudit } from "../audit/audit.service";
import { deliverNow, deliveryRows } from "../deliveries/deliveries.service";
import { renderInvoicePdf, renderInvoiceXml } from "../documents";
import { discardUnrecorded } from "../files/file-store";
import { toComputedLine, toInvoiceDocument } from "../invoices/invoice-document";
import {
  findInvoice,
  findInvoiceLines,
  type InvoiceLineRow,
  type InvoiceRow,
} from "../invoices/invoices.repository";
import { markBlueReversed, reversedBlueOf } from "../invoices/red-invoices";
import { findOrganizationByIdOrTaxId, type OrganizationRow } from "../organizations/organizations.repository";
import type { TaxAccountRow } from "../tax-accounts/tax-accounts.repository";
import { recordInvoiceOutcome } from "../webhooks/webhooks.service";
import { ChannelUnavailableError, type IssueOutcome, type IssueRequest } from "./providers/channel";

/** The sweep that retries unfinished invoices (see src/platform/sweeper.ts). */
export const ISSUE_SWEEP = "invoice-issue";

type IssuingContext = Pick<AppContext, "database" | "providers" | "jobs" | "log" | "config">;

/**
 * Issues one invoice: a persisted state machine (pending → issuing → issued | failed).
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
): Promise<InvoiceRow["status"]> {
  const clock = stopwatch(timings);
  const { db } = ctx.database;
  const invoice = await findInvoice(db, invoiceId);
  if (!invoice) return "failed";
  if (invoice.status !== "pending" && invoice.status !== "issuing") return invoice.status;

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
    .set({ status: "issuing", attempts: sql`${invoices.attempts} + 1`, updatedAt: new Date() })
    .where(and(eq(invoices.id, invoiceId), inArray(invoices.status, ["pending", "issuing"])))
    .returning({ attempts: invoices.attempts });
  if (!marked) return (await findInvoice(db, invoiceId))?.status ?? "failed";
  clock.lap("db");
  const outcome = await attemptIssue(
    ctx,
    { invoice: { ...invoice, status: "issuing", attempts: marked.attempts }, lines, org, account },
    timings,
  );
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
): Promise<InvoiceRow> {
  const clock = stopwatch(timings);
  const { db } = ctx.database;
  const { invoice, lines, org, account } = attempt;
  const invoiceId = invoice.id;
  const channel = account && ctx.providers.channels.get(account.channel);
  if (!account || !channel)
    throw new Error(`invoice ${invoiceId}: no issuing channel for its tax-bureau account`);

  const reverses = await reversedBlueOf(db, invoice);
  const request = issueRequestOf(
    invoice,
    org,
    lines,
    (account.settings ?? {}) as Record<string, unknown>,
    reverses,
  );
  clock.lap("db");
  let outcome: IssueOutcome | null = null;
  if (invoice.attempts > 1) outcome = await channel.query(invoice.serial, request.settings);
  outcome ??= await channel.issue(request);
  clock.lap("channel");

  if (outcome.status === "rejected") {
    await db.transaction(async (tx) => {
      await tx
        .update(invoices)
        .set({
          status: "failed",
          failureCode: outcome.code,
          failureReason: outcome.message,
          updatedAt: new Date(),
        })
        .where(and(eq(invoices.id, invoiceId), ne(invoices.status, "issued")));
      // A refused red invoice leaves the code as it was: only blue outcomes decide its status.
      if (invoice.color === "blue") {
        await tx
          .update(receiptCodes)
          .set({ status: "failed", updatedAt: new Date() })
          .where(eq(receiptCodes.id, invoice.receiptCodeId));
      }
      if (org.webhookUrl) await recordInvoiceOutcome(ctx, tx, invoice, "failed");
      await recordAudit(tx, {
        actor: { type: "system", reason: "issuing" },
        orgId: invoice.orgId,
        action: "invoice.failed",
        entityType: "invoice",
        entityId: invoiceId,
        details: { code: outcome.code, message: outcome.message },
      });
    });
    return { ...invoice, status: "failed", failureCode: outcome.code, failureReason: outcome.message };
  }
  if (outcome.status === "confirmation_pending") {
    await db
      .update(invoices)
      .set({ status: "confirmation_pending", updatedAt: new Date() })
      .where(eq(invoices.id, invoiceId));
    return { ...invoice, status: "confirmation_pending" };
  }

  // Render outside the transaction; it is pure CPU work on data we already hold.
  const issued: InvoiceRow = {
    ...invoice,
    status: "issued",
    number: outcome.number,
    issuedAt: outcome.issuedAt,
  };
  const doc = toInvoiceDocument(org, issued, lines, { sandbox: account.channel === "sandbox", reverses });
  const pdf = await renderInvoicePdf(doc);
  const xml = Buffer.from(renderInvoiceXml(doc), "utf8");
  clock.lap("render");
  const stored = await Promise.all([
    ctx.providers.files.put(`invoices/${invoice.orgId}/${outcome.number}.pdf`, pdf),
    ctx.providers.files.put(`invoices/${invoice.orgId}/${outcome.number}.xml`, xml),
  ]);

  clock.lap("files");
  const files = [
    { kind: "pdf", contentType: "application/pdf", size: pdf.length, sha256: sha256Hex(pdf), ...stored[0] },
    { kind: "xml", contentType: "application/xml", size: xml.length, sha256: sha256Hex(xml), ...stored[1] },
  ];
  const created = deliveryRows(ctx, {
    invoiceIds: [invoiceId],
    email: invoice.email,
    mobile: invoice.mobile,
    reason: "submit",
  });
  const audit = {
    actor: { type: "system", reason: "issuing" },
    orgId: invoice.orgId,
    action: "invoice.issued",
    entityType: "invoice",
    entityId: invoiceId,
    details: { number: outcome.number, totalAmount: invoice.totalAmount },
  } as const;
  let saved: boolean;
  try {
    if (invoice.color === "blue" && invoice.seqCount === 1 && !org.webhookUrl) {
      // The common case, a receipt code of one blue invoice and no webhook: one statement (one round
      // trip, atomic on its own) saves the invoice and, only if this attempt saved it, its files,
      // deliveries, the code's status and the audit entry.
      const [row] = await ctx.database.prepared<{ saved: number }>("issue_save", ISSUE_SAVE, [
        invoiceId,
        outcome.number,
        outcome.issuedAt,
        ...files.flatMap((f) => [f.size, f.sha256, f.storageKey, f.content]),
        recordsJson(deliveries, created),
        recordsJson(auditLog, [auditRow(audit)]),
      ]);
      saved = Boolean(row?.saved);
    } else {
      saved = await db.transaction(async (tx) => {
        const [updated] = await tx
          .update(invoices)
          .set({
            status: "issued",
            number: outcome.number,
            issuedAt: outcome.issuedAt,
            updatedAt: new Date(),
          })
          .where(and(eq(invoices.id, invoiceId), ne(invoices.status, "issued")))
          .returning({ id: invoices.id });
        if (!updated) return false;
        // Files, deliveries and the audit entry: one statement.
        const together: SQLWrapper[] = [
          tx
            .insert(invoiceFiles)
            .values(files.map((f) => ({ invoiceId, ...f })))
            .onConflictDoNothing(),
          auditInsert(tx, audit),
        ];
        if (created.length > 0) together.push(tx.insert(deliveries).values(created));
        await runTogether(tx, together);
        await markCodeInvoiced(tx, invoice);
        await markBlueReversed(tx, invoice);
        if (org.webhookUrl) await recordInvoiceOutcome(ctx, tx, invoice, "issued");
        return true;
      });
    }
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
            files: { pdf, xml },
          })),
    );
  }
  return issued;
}

/** Saving the common case (see attemptIssue); $4–$11 are the PDF's and the XML's columns. */
const ISSUE_SAVE = `
with saved as (
  update invoices set status = 'issued', number = $2, issued_at = $3, updated_at = now()
  where id = $1 and status <> 'issued'
  returning id, receipt_code_id),
files as (
  insert into invoice_files (invoice_id, kind, content_type, size, sha256, storage_key, content)
  select saved.id, f.* from saved, (values
    ('pdf', 'application/pdf', $4::int, $5::text, $6::text, $7::bytea),
    ('xml', 'application/xml', $8::int, $9::text, $10::text, $11::bytea)) f
  on conflict do nothing),
dlv as (insert into deliveries ${selectRecords(deliveries, "$12", "saved")}),
code as (
  update receipt_codes set status = 'invoiced', updated_at = now()
  where id = (select receipt_code_id from saved)),
audit as (insert into audit_log ${selectRecords(auditLog, "$13", "saved")})
select count(*)::int as saved from saved`;

/**
 * In the transaction that saves an issued invoice: the receipt code is invoiced once all its blue
 * invoices are — at once for a code of one blue invoice. Otherwise (a split code, a red invoice) the
 * code row is locked first, so that two of its invoices saved at the same moment cannot both see the
 * other one still unissued (each statement after the lock sees what the other transaction committed).
 */
async function markCodeInvoiced(tx: DbOrTx, invoice: InvoiceRow): Promise<void> {
  const invoiced = { status: "invoiced", updatedAt: new Date() };
  if (invoice.color === "blue" && invoice.seqCount === 1) {
    await tx.update(receiptCodes).set(invoiced).where(eq(receiptCodes.id, invoice.receiptCodeId));
    return;
  }
  await tx
    .select({ id: receiptCodes.id })
    .from(receiptCodes)
    .where(eq(receiptCodes.id, invoice.receiptCodeId))
    .for("update");
  const unfinished = await tx
    .select({ id: invoices.id })
    .from(invoices)
    .where(
      and(
        eq(invoices.receiptCodeId, invoice.receiptCodeId),
        eq(invoices.color, "blue"),
        ne(invoices.status, "issued"),
      ),
    );
  if (unfinished.length === 0)
    await tx.update(receiptCodes).set(invoiced).where(eq(receiptCodes.id, invoice.receiptCodeId));
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

/** What is sent to the channel for an invoice; the serial is the one stored with the invoice. */
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
    seller: { name: org.name, taxId: org.taxId },
    buyer: {
      type: invoice.buyerType,
      name: invoice.buyerName,
      taxId: invoice.buyerTaxId,
      naturalPerson: isNaturalPerson(invoice.buyerType, invoice.buyerTaxId),
    },
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
 * The backstop for every unfinished invoice: a submit, a reversal or a retry stores
 * `next_attempt_at` (a few seconds ahead) with the invoice and tries at once in-process; if that
 * attempt does not finish — the channel is down, the process dies — the sweep claims the invoice
 * when it is due and tries again every `issueRetrySeconds` until it is issued or refused.
 */
export function issueSweep(ctx: IssuingContext): SweepDefinition {
  return {
    name: ISSUE_SWEEP,
    concurrency: 4,
    intervalSeconds: ctx.config.tuning.jobPollSeconds,
    claim: claimDue(ctx.database, {
      table: "invoices",
      unfinished: "status in ('pending', 'issuing')",
      leaseSeconds: () => ctx.config.tuning.issueRetrySeconds,
    }),
    handle: async (id) => {
      await issueInvoice(ctx, id);
    },
    isExpected: (e) => e instanceof ChannelUnavailableError,
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
        await issueInvoice(ctx, item, timings);
        results.push(null);
      } else results.push(await attemptIssue(ctx, item, timings));
    } catch (e) {
      results.push(null);
      const level = e instanceof ChannelUnavailableError ? "warn" : "error";
      ctx.log[level]({ err: e, invoiceId: id }, "issuing deferred to the background sweep");
    }
  }
  return results;
}
