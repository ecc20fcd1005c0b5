import { eq, sql } from "drizzle-orm";
import {
  sandboxInvoiceNumber,
  sandboxSequenceKey,
  verifyComputedInvoice,
  verifyRedInvoice,
} from "../../../domain";
import type { Database } from "../../../platform/db/client";
import { invoiceNumberSequences, sandboxIssued } from "../../../platform/db/schema";
import {
  ChannelUnavailableError,
  type IssueOutcome,
  type IssueRequest,
  type IssuingChannel,
} from "./channel";

/**
 * The built-in sandbox: validates like a tax bureau, allocates 20-digit numbers per (year,
 * province) without gaps or duplicates, and remembers every serial. Its behaviour is switched by the
 * tax-bureau account's settings, for tests and demos:
 *   { mode: "offline" }            → unreachable (ChannelUnavailableError)
 *   { mode: "reject", message }    → every request refused
 *   { delayMs: 800 }               → answers slowly
 */
export interface SandboxSettings {
  mode?: "online" | "offline" | "reject";
  message?: string;
  delayMs?: number;
}

export function createSandboxChannel(database: Database, now: () => Date = () => new Date()): IssuingChannel {
  const { db } = database;

  async function behave(settings: Record<string, unknown>): Promise<void> {
    const s = settings as SandboxSettings;
    if (typeof s.delayMs === "number" && s.delayMs > 0)
      await new Promise((r) => setTimeout(r, Math.min(s.delayMs!, 30_000)));
    if (s.mode === "offline") throw new ChannelUnavailableError("沙箱税局当前离线");
  }

  async function find(serial: string): Promise<IssueOutcome | null> {
    const [row] = await db.select().from(sandboxIssued).where(eq(sandboxIssued.serial, serial));
    return row ? { status: "issued", number: row.number, issuedAt: row.issuedAt } : null;
  }

  return {
    id: "sandbox",

    async issue(request) {
      await behave(request.settings);
      const s = request.settings as SandboxSettings;
      if (s.mode === "reject")
        return { status: "rejected", code: "CHANNEL_REJECTED", message: s.message ?? "税局拒绝开具" };
      const problem = validate(request);
      if (problem) return { status: "rejected", code: "CHANNEL_VALIDATION_FAILED", message: problem };

      const earlier = await find(request.serial);
      if (earlier) return earlier;

      const issuedAt = now();
      const [year, province] = sandboxSequenceKey({ issuedAt, sellerTaxId: request.seller.taxId }).split(
        "-",
      ) as [string, string];
      // One transaction: the number and the serial are recorded together, or neither is, so a
      // failure leaves no gap; the row lock on the sequence serialises concurrent requests.
      return db
        .transaction(async (tx) => {
          const [seq] = await tx
            .insert(invoiceNumberSequences)
            .values({ year: Number(year), province, lastValue: 1n })
            .onConflictDoUpdate({
              target: [invoiceNumberSequences.year, invoiceNumberSequences.province],
              set: { lastValue: sql`${invoiceNumberSequences.lastValue} + 1` },
            })
            .returning({ lastValue: invoiceNumberSequences.lastValue });
          const number = sandboxInvoiceNumber({
            issuedAt,
            sellerTaxId: request.seller.taxId,
            sequence: seq!.lastValue,
          });
          const inserted = await tx
            .insert(sandboxIssued)
            .values({ serial: request.serial, number, issuedAt, request: { totals: request.totals } })
            .onConflictDoNothing()
            .returning({ number: sandboxIssued.number });
          if (inserted.length === 0) {
            // The same serial was issued concurrently: give back this number, return theirs.
            throw new SerialRaceError();
          }
          return { status: "issued" as const, number, issuedAt };
        })
        .catch(async (e) => {
          if (e instanceof SerialRaceError) return (await find(request.serial))!;
          throw e;
        });
    },

    async query(serial, settings) {
      await behave(settings);
      return find(serial);
    },
  };
}

class SerialRaceError extends Error {}

/** What a tax bureau would refuse: inconsistent amounts, a red invoice without its blue number. */
function validate(request: IssueRequest): string | null {
  if (request.color === "red" && !request.reverses?.number) return "红字发票缺少对应蓝字发票号码";
  const invoice = { priceIncludesTax: true, lines: request.lines, totals: request.totals };
  // A red invoice is checked as the mirror of a valid blue one (negative amounts, no discounts).
  const issues = request.color === "red" ? verifyRedInvoice(invoice) : verifyComputedInvoice(invoice);
  if (issues.length > 0) return issues.map((i) => i.message).join("；");
  if (!request.buyer.name) return "购买方名称不能为空";
  return null;
}
