import { and, eq, gt, isNull, lte, or } from "drizzle-orm";
import {
  chinaDateCompact,
  normalizeTaxId,
  provinceCodeOf,
  redConfirmationDeadline,
  sandboxInvoiceNumber,
  sandboxSequenceKey,
  verifyComputedInvoice,
  verifyRedInvoice,
} from "../../../domain";
import type { Database } from "../../../platform/db/client";
import { isUniqueViolation } from "../../../platform/db/errors";
import { runStatement } from "../../../platform/db/records";
import { sandboxIssued, sandboxRedConfirmations } from "../../../platform/db/schema";
import {
  type ChannelAdapter,
  ChannelUnavailableError,
  type IssueOutcome,
  type IssueRequest,
  type RedConfirmationReport,
} from "./channel";
import { ALLOCATE } from "./sandbox.queries";

/**
 * The built-in sandbox: validates like a tax bureau, allocates 20-digit numbers per (year,
 * province) without gaps or duplicates, and remembers every serial. Its behaviour is switched by the
 * tax-bureau account's settings, for tests and demos:
 *   { mode: "offline" }            → unreachable (ChannelUnavailableError)
 *   { mode: "reject", message }    → every request refused
 *   { delayMs: 800 }               → answers slowly
 *   { redConfirmation: "required" } → red invoices wait for the buyer's 确认单 (sandbox:confirm)
 * Every red invoice gets a 红字确认单 with its own number, kept in sandbox_red_confirmations.
 */
export interface SandboxSettings {
  mode?: "online" | "offline" | "reject";
  message?: string;
  delayMs?: number;
  redConfirmation?: "" | "auto" | "required";
}

type SandboxBill = typeof sandboxRedConfirmations.$inferSelect;

/** The sandbox answers at once: issued, refused or waiting for its 确认单 — never 开票中. */
export interface SandboxChannel extends ChannelAdapter {
  issue(request: IssueRequest): Promise<IssueOutcome>;
  query(serial: string, settings: Record<string, unknown>): Promise<IssueOutcome | null>;
}

export function createSandboxChannel(database: Database, now: () => Date = () => new Date()): SandboxChannel {
  const { db } = database;

  async function behave(settings: Record<string, unknown>): Promise<void> {
    const s = settings as SandboxSettings;
    if (typeof s.delayMs === "number" && s.delayMs > 0)
      await new Promise((r) => setTimeout(r, Math.min(s.delayMs!, 30_000)));
    if (s.mode === "offline") throw new ChannelUnavailableError("沙箱税局当前离线");
  }

  async function find(serial: string): Promise<IssueOutcome | null> {
    const [row] = await db.select().from(sandboxIssued).where(eq(sandboxIssued.serial, serial));
    if (!row) return null;
    const bill = await findBill(serial);
    return {
      status: "issued",
      number: row.number,
      issuedAt: row.issuedAt,
      ...(bill ? { redConfirmation: reportOf(bill) } : {}),
    };
  }

  async function findBill(serial: string): Promise<SandboxBill | undefined> {
    const [bill] = await db
      .select()
      .from(sandboxRedConfirmations)
      .where(eq(sandboxRedConfirmations.serial, serial));
    return bill;
  }

  /**
   * The 确认单 of a red request: applied for on first sight (无需确认, or pending for 72 hours when
   * the account requires confirmation), then read; a pending one past its deadline expires here.
   */
  async function billOf(request: IssueRequest, s: SandboxSettings): Promise<SandboxBill> {
    const at = now();
    let bill = await findBill(request.serial);
    if (!bill) {
      const [{ seq }] = (
        await database.executeSql("select nextval('sandbox_red_confirmation_seq')::text as seq", [])
      ).rows as [{ seq: string }];
      const pending = s.redConfirmation === "required";
      await db
        .insert(sandboxRedConfirmations)
        .values({
          serial: request.serial,
          number: confirmationNumber(request.seller.taxId, at, seq),
          blueNumber: request.reverses?.number ?? "",
          status: pending ? "pending" : "no_confirmation_needed",
          createdAt: at,
          expiresAt: pending ? redConfirmationDeadline(at) : null,
        })
        .onConflictDoNothing();
      bill = (await findBill(request.serial))!;
    }
    if (bill.status === "pending" && bill.expiresAt && bill.expiresAt <= at) {
      await decideSandboxRedConfirmation(database, { number: bill.number, decision: "expired", now: at });
      bill = (await findBill(request.serial))!;
    }
    return bill;
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
      let redConfirmation: RedConfirmationReport | undefined;
      if (request.color === "red") {
        const bill = await billOf(request, s);
        redConfirmation = reportOf(bill);
        if (bill.status === "pending") return { status: "confirmation_pending", redConfirmation };
        if (bill.status === "refused")
          return {
            status: "rejected",
            code: "RED_CONFIRMATION_REFUSED",
            message: `购买方拒绝了红字发票信息确认单 ${bill.number}`,
            redConfirmation,
          };
        if (bill.status === "expired")
          return {
            status: "rejected",
            code: "RED_CONFIRMATION_EXPIRED",
            message: `红字发票信息确认单 ${bill.number} 超过 72 小时未确认，已作废`,
            redConfirmation,
          };
      }

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
        return {
          status: "issued" as const,
          number: row.number,
          issuedAt,
          ...(redConfirmation ? { redConfirmation } : {}),
        };
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

function reportOf(bill: SandboxBill): RedConfirmationReport {
  return {
    number: bill.number,
    status: bill.status as NonNullable<RedConfirmationReport["status"]>,
    ...(bill.expiresAt ? { expiresAt: bill.expiresAt } : {}),
  };
}

/**
 * A 确认单 number as the bureau writes one (e.g. 44030024030800000017): the seller's 6-digit
 * region (from its 统一社会信用代码, else its province), the China date as yyMMdd, 8 digits of
 * sequence.
 */
function confirmationNumber(sellerTaxId: string, at: Date, seq: string): string {
  const taxId = normalizeTaxId(sellerTaxId);
  const region =
    taxId.length === 18 && /^\d{6}$/.test(taxId.slice(2, 8))
      ? taxId.slice(2, 8)
      : `${provinceCodeOf(taxId) ?? "11"}0000`;
  return `${region}${chinaDateCompact(at).slice(2)}${seq.slice(-8).padStart(8, "0")}`;
}

/**
 * The buyer's answer to a pending sandbox 确认单 (or its expiry): moves it only while it is pending
 * and not past its deadline (an expiry only once past it). False when it was not pending any more.
 */
export async function decideSandboxRedConfirmation(
  database: Database,
  options: { number: string; decision: "confirmed" | "refused" | "expired"; now?: Date },
): Promise<boolean> {
  const at = options.now ?? new Date();
  const t = sandboxRedConfirmations;
  const inTime =
    options.decision === "expired" ? lte(t.expiresAt, at) : or(isNull(t.expiresAt), gt(t.expiresAt, at));
  const moved = await database.db
    .update(t)
    .set({ status: options.decision, decidedAt: at })
    .where(and(eq(t.number, options.number), eq(t.status, "pending"), inTime))
    .returning({ serial: t.serial });
  return moved.length > 0;
}

/** A sandbox 确认单 by its number or by the serial of its red invoice. */
export async function findSandboxRedConfirmation(
  database: Database,
  key: { number?: string; serial?: string },
): Promise<SandboxBill | undefined> {
  const t = sandboxRedConfirmations;
  const [bill] = await database.db
    .select()
    .from(t)
    .where(key.number ? eq(t.number, key.number) : eq(t.serial, key.serial ?? ""));
  return bill;
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
