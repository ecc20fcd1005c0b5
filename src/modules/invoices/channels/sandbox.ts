import { eq } from "drizzle-orm";
import {
  sandboxInvoiceNumber,
  sandboxSequenceKey,
  verifyComputedInvoice,
  verifyRedInvoice,
} from "../../../domain";
import type { Database } from "../../../platform/db/client";
import { isUniqueViolation } from "../../../platform/db/errors";
import { runStatement } from "../../../platform/db/records";
import { sandboxIssued } from "../../../platform/db/schema";
import {
  ChannelUnavailableError,
  type IssueOutcome,
  type IssueRequest,
  type IssuingChannel,
} from "./channel";
import { ALLOCATE } from "./sandbox.queries";

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

      const issuedAt = now();
      const [year, province] = sandboxSequenceKey({ issuedAt, sellerTaxId: request.seller.taxId }).split(
        "-",
      ) as [string, string];
      // The 20-digit number is this prefix and the 15-digit sequence (DOMAIN.md §7).
      const prefix = sandboxInvoiceNumber({ issuedAt, sellerTaxId: request.seller.taxId, sequence: 1 }).slice(
        0,
        5,
      );
      // One statement: the sequence is advanced and the serial recorded together, or neither is (a
      // serial seen before, or issued concurrently, makes the insert fail and the whole statement
      // roll back; the first answer is then returned), so no number is ever skipped or repeated;
      // the sequence row stays locked only while it runs.
      try {
        const rows = await runStatement(database, ALLOCATE, [
          Number(year),
          province,
          request.serial,
          prefix,
          issuedAt.toISOString(),
          // What a bureau keeps besides the number: the totals, and whether it went to a 个人票夹.
          JSON.stringify({ totals: request.totals, naturalPerson: request.buyer.naturalPerson }),
        ]);
        const row = rows[0];
        if (!row) throw new Error("sandbox allocation returned nothing");
        return { status: "issued" as const, number: row.number, issuedAt };
      } catch (e) {
        if (isUniqueViolation(e, "sandbox_issued_pkey")) return (await find(request.serial))!;
        throw e;
      }
    },

    async query(serial, settings) {
      await behave(settings);
      return find(serial);
    },
  };
}

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
