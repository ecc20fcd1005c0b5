import { and, eq, inArray, ne, sql } from "drizzle-orm";
import type { AppContext } from "../../platform/context";
import { sha256Hex } from "../../platform/crypto";
import { invoiceFiles, invoices, receiptCodes, taxBureauAccounts } from "../../platform/db/schema";
import { recordAudit } from "../audit/audit.service";
import { createDeliveries } from "../deliveries/deliveries.service";
import { renderInvoicePdf, renderInvoiceXml } from "../documents";
import { toComputedLine, toInvoiceDocument } from "../invoices/invoice-document";
import {
  findInvoice,
  findInvoiceLines,
  type InvoiceLineRow,
  type InvoiceRow,
} from "../invoices/invoices.repository";
import { markBlueReversed, reversedBlueOf } from "../invoices/red-invoices";
import { findOrganizationByIdOrTaxId, type OrganizationRow } from "../organizations/organizations.repository";
import { recordInvoiceOutcome } from "../webhooks/webhooks.service";
import { ChannelUnavailableError, type IssueOutcome, type IssueRequest } from "./providers/channel";

export const ISSUE_QUEUE = "invoice-issue";

type IssuingContext = Pick<AppContext, "database" | "providers" | "jobs" | "log" | "config">;

/**
 * Issues one invoice: a persisted state machine (pending → issuing → issued | failed).
 * The channel is called outside any transaction with the invoice's own serial, stored before; if
 * an earlier attempt may have reached the channel, the serial is queried first, so an ambiguous
 * outcome never leads to a second invoice. Safe to run concurrently and repeatedly.
 *
 * Throws ChannelUnavailableError when the channel cannot be reached (the job retries later).
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
  const channel = account && ctx.providers.channels.get(account.channel);
  if (!account || !channel)
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
  if (marked.attempts > 1) outcome = await channel.query(invoice.serial, request.settings);
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
      await recordInvoiceOutcome(ctx, tx, invoice, "failed");
      await recordAudit(tx, {
        actor: { type: "system", reason: "issuing" },
        orgId: invoice.orgId,
        action: "invoice.failed",
        entityType: "invoice",
        entityId: invoiceId,
        details: { code: outcome.code, message: outcome.message },
      });
    });
    return "failed";
  }
  if (outcome.status === "confirmation_pending") {
    await db
      .update(invoices)
      .set({ status: "confirmation_pending", updatedAt: new Date() })
      .where(eq(invoices.id, invoiceId));
    return "confirmation_pending";
  }

  // Render outside the transaction; it is pure CPU work on data we already hold.
  const issued = { ...invoice, number: outcome.number, issuedAt: outcome.issuedAt };
  const doc = toInvoiceDocument(org, issued, lines, { sandbox: account.channel === "sandbox", reverses });
  const pdf = await renderInvoicePdf(doc);
  const xml = Buffer.from(renderInvoiceXml(doc), "utf8");
  clock.lap("render");
  const stored = await Promise.all([
    ctx.providers.files.put(`invoices/${invoice.orgId}/${outcome.number}.pdf`, pdf),
    ctx.providers.files.put(`invoices/${invoice.orgId}/${outcome.number}.xml`, xml),
  ]);

  clock.lap("files");
  const result = await db.transaction(async (tx) => {
    const [saved] = await tx
      .update(invoices)
      .set({ status: "issued", number: outcome.number, issuedAt: outcome.issuedAt, updatedAt: new Date() })
      .where(and(eq(invoices.id, invoiceId), ne(invoices.status, "issued")))
      .returning({ id: invoices.id });
    // Saved already by a concurrent attempt (the same serial gave the same number): nothing to do.
    if (!saved) return "issued" as const;
    await tx
      .insert(invoiceFiles)
      .values([
        {
          invoiceId,
          kind: "pdf",
          contentType: "application/pdf",
          size: pdf.length,
          sha256: sha256Hex(pdf),
          ...stored[0],
        },
        {
          invoiceId,
          kind: "xml",
          contentType: "application/xml",
          size: xml.length,
          sha256: sha256Hex(xml),
          ...stored[1],
        },
      ])
      .onConflictDoNothing();
    await createDeliveries(ctx, tx, {
      invoiceIds: [invoiceId],
      email: invoice.email,
      mobile: invoice.mobile,
      reason: "submit",
    });
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
    if (unfinished.length === 0) {
      await tx
        .update(receiptCodes)
        .set({ status: "invoiced", updatedAt: new Date() })
        .where(eq(receiptCodes.id, invoice.receiptCodeId));
    }
    await markBlueReversed(tx, invoice);
    await recordInvoiceOutcome(ctx, tx, invoice, "issued");
    await recordAudit(tx, {
      actor: { type: "system", reason: "issuing" },
      orgId: invoice.orgId,
      action: "invoice.issued",
      entityType: "invoice",
      entityId: invoiceId,
      details: { number: outcome.number, totalAmount: invoice.totalAmount },
    });
    return "issued" as const;
  });
  clock.lap("db");
  return result;
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
    buyer: { type: invoice.buyerType, name: invoice.buyerName, taxId: invoice.buyerTaxId },
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

/** The job handler: a failure to reach the channel is thrown, so pg-boss tries again later. */
export async function issueInvoiceJob(ctx: IssuingContext, data: { invoiceId: string }): Promise<void> {
  await issueInvoice(ctx, data.invoiceId);
}

/**
 * Right after a submit, in this process: the latency-critical path. Never throws: whatever goes
 * wrong here, the backstop job queued with the submit finishes the work.
 */
export async function issueNow(ctx: IssuingContext, invoiceIds: string[], timings?: Timings): Promise<void> {
  for (const id of invoiceIds) {
    try {
      await issueInvoice(ctx, id, timings);
    } catch (e) {
      const level = e instanceof ChannelUnavailableError ? "warn" : "error";
      ctx.log[level]({ err: e, invoiceId: id }, "issuing deferred to the background job");
    }
  }
}
