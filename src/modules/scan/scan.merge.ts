import { count, eq } from "drizzle-orm";
import {
  type ComputedInvoice,
  compareDecimals,
  mergeComputedInvoices,
  normalizeShortCode,
  type OverLimitPolicy,
  planInvoices,
} from "../../domain";
import { isUniqueViolation } from "../../platform/db/errors";
import { receiptCodes, submissionCodes, submissions } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { recordAudit } from "../audit/audit.service";
import { codeInvoicesStatus } from "../invoices/invoice-status";
import { insertInvoices, type SubmissionRow } from "../invoices/invoices.repository";
import { CODE_MOVES, codeMoveTo, effectiveStatus } from "../receipt-codes/receipt-code-status";
import {
  findLiveReceiptCodeByShortCode,
  findReceiptCodeByToken,
  findReceiptCodeLines,
  lockReceiptCodes,
  moveReceiptCodes,
  type ReceiptCodeLineRow,
  type ReceiptCodeRow,
} from "../receipt-codes/receipt-codes.repository";
import type { MergeView, SubmitBody } from "./scan.schema";
import { computeStored, lineView } from "./scan.service";
import {
  acceptedSubmission,
  heldForReview,
  issueWithinWait,
  planOrRefuse,
  readTarget,
  type SubmissionRows,
  type SubmitContext,
  type SubmitResult,
  sameBuyerAgain,
  submissionRows,
  type Target,
  validateBuyerOf,
} from "./scan.submit";

/**
 * 合并开票: on a receipt's page the consumer adds other receipts of the same organization (by their
 * 开票码, or a link to their page), sees the lines and total together, and one submit issues one
 * invoice (or a split over the limit) for all of them. The page's code carries the submission and
 * the invoices; the added codes move to `merged` and show that code's status and invoices.
 *
 * A code belongs to at most one submission: `submission_codes` is keyed by the receipt code, and the
 * merged submit locks every code it takes (in id order) and re-checks it under the lock in the
 * transaction that inserts those rows — a concurrent submit of any of them, single or merged, in
 * any process, either waits and then finds it taken, or fails on the key. Nothing is half-written.
 */

/** A receipt the consumer asked to add: its page's token (from a pasted link) or its 开票码. */
export type AddedRef = { token: string } | { shortCode: string };

/** What was typed or pasted for another receipt → which code it names; null when it names none. */
export function readAddedCode(text: string): AddedRef | null {
  const shortCode = normalizeShortCode(text);
  if (shortCode) return { shortCode };
  const link = /\/s\/([A-Za-z0-9_-]{8,64})(?:[/?#]|$)/.exec(text.trim());
  return link?.[1] ? { token: link[1] } : null;
}

interface AddedCode {
  code: ReceiptCodeRow;
  lines: ReceiptCodeLineRow[];
  computed: ComputedInvoice;
}

interface Gathered {
  added: AddedCode[];
  computed: ComputedInvoice;
  invoiceTypes: string[];
}

const refused = (message: string, details: Record<string, unknown> = {}) =>
  new AppError("MERGE_NOT_ALLOWED", message, details);

/** Why a code of this status cannot be added ("" when it can). */
function statusRefusal(row: Pick<ReceiptCodeRow, "status" | "expiresAt">): string {
  const status: string = effectiveStatus(row);
  if (status === "active") return "";
  if (status === "disabled") return "已被商家停用";
  if (status === "expired") return "已过期";
  if (status === "refunded" || status === "closed") return "已退款";
  if (["issuing", "invoiced", "failed", "merged"].includes(status)) return "已开票或已提交开票";
  return "当前不能开票";
}

/**
 * The receipts to add, read and checked (same organization, same tax account, still invoiceable,
 * not the page's own, each once, within the organization's number), and all of them together.
 */
async function gatherMerge(ctx: SubmitContext, target: Target, inputs: string[]): Promise<Gathered> {
  const { db } = ctx.database;
  const { code, config } = target;
  if (!config?.mergeEnabled) throw refused("该商家未开通合并开票");
  if (1 + inputs.length > config.mergeMaxReceipts) {
    throw refused(`最多合并 ${config.mergeMaxReceipts} 张小票（含本张）`, { max: config.mergeMaxReceipts });
  }
  const own = statusRefusal(code);
  if (own) throw refused(`本张小票${own}，不能合并开票`);
  const seen = new Set([code.id]);
  const added: AddedCode[] = [];
  for (const input of inputs) {
    const ref = readAddedCode(input);
    if (!ref) throw refused(`“${input}”不是开票码或小票链接：开票码是小票二维码下方的 6 位字母和数字`);
    const row =
      "token" in ref
        ? await findReceiptCodeByToken(db, ref.token)
        : await findLiveReceiptCodeByShortCode(db, ref.shortCode);
    if (!row) {
      const what = "shortCode" in ref ? `开票码 ${ref.shortCode}` : "该链接对应的小票";
      throw new AppError("RECEIPT_CODE_NOT_FOUND", `没有找到${what}，请核对（已过期的小票不能合并）`);
    }
    if (row.id === code.id) throw refused("这就是本张小票，无需添加");
    if (row.orgId !== code.orgId) throw refused("只能合并同一商家的小票");
    const name = `小票 ${row.serialNo}`;
    if (seen.has(row.id)) throw refused(`${name} 已添加`);
    const refusal = statusRefusal(row);
    if (refusal) throw refused(`${name} ${refusal}，不能合并`, { serialNo: row.serialNo });
    if (row.taxAccountId !== code.taxAccountId) throw refused(`${name} 与本张小票的开票账户不同，不能合并`);
    seen.add(row.id);
    const lines = await findReceiptCodeLines(db, row.id);
    added.push({ code: row, lines, computed: computeStored(row, lines) });
  }
  const merged = mergeComputedInvoices([computeStored(code, target.lines), ...added.map((a) => a.computed)]);
  if (!merged.ok) throw refused(merged.issues[0]?.message ?? "这些小票不能合并开票");
  const invoiceTypes = code.invoiceTypes.filter((t) => added.every((a) => a.code.invoiceTypes.includes(t)));
  if (invoiceTypes.length === 0) throw refused("这些小票没有共同可开的发票类型，不能合并");
  return { added, computed: merged.value, invoiceTypes };
}

/** The receipts together as the page shows them before the submit. */
export async function previewMerge(ctx: SubmitContext, token: string, codes: string[]): Promise<MergeView> {
  const target = await readTarget(ctx, token);
  const { added, computed, invoiceTypes } = await gatherMerge(ctx, target, codes);
  const config = target.config!;
  const policy = (config.overLimitPolicy === "split" ? "split" : "reject") as OverLimitPolicy;
  let invoiceCount = 0;
  if (compareDecimals(computed.totals.totalAmount, config.limitText) <= 0) invoiceCount = 1;
  else if (policy === "split") {
    const plan = planInvoices(computed, { limit: config.limitText, policy });
    invoiceCount = plan.ok ? plan.value.invoices.length : 0;
  }
  return {
    receipts: added.map(({ code }) => ({
      shortCode: code.shortCode,
      serialNo: code.serialNo,
      totals: {
        amountExcludingTax: code.amountExcludingTax,
        taxAmount: code.taxAmount,
        totalAmount: code.totalAmount,
      },
    })),
    lines: [...target.lines, ...added.flatMap((a) => a.lines)].map(lineView),
    totals: computed.totals,
    invoiceTypes: invoiceTypes as MergeView["invoiceTypes"],
    limit: { amount: config.limitAmount, policy, invoiceCount },
  };
}

/**
 * The merged submit: the same buyer rules, plan and issuing as one receipt's (scan.submit.ts), the
 * writes in one transaction under the codes' row locks. A repeat of the page's own submit answers
 * as a repeat does.
 */
export async function submitMerged(
  ctx: SubmitContext,
  options: { token: string; body: SubmitBody },
): Promise<SubmitResult> {
  const started = performance.now();
  const target = await readTarget(ctx, options.token);
  const buyer = validateBuyerOf(options.body);
  if (target.submission) return sameBuyerAgain(ctx, target.code.id, target.submission, buyer);

  const { added, computed, invoiceTypes } = await gatherMerge(ctx, target, options.body.mergeCodes ?? []);
  const submission = acceptedSubmission({ code: { invoiceTypes } }, buyer);
  const planned = planOrRefuse(computed, target.config!);
  const held = heldForReview(target, submission, computed.totals.totalAmount);
  const rows = submissionRows(ctx, target, submission, planned, options.token, held);
  await writeMerged(ctx, target, added, rows, options.token);
  // 审核开票: stored and waiting for an operator, as a single code's submit.
  if (held)
    return { created: true, status: "issuing", invoices: rows.attempts.map((a) => a.invoice), timings: {} };

  const timings = { submit: performance.now() - started };
  const current = await issueWithinWait(ctx, target.code.id, rows.attempts, timings);
  return { created: true, status: codeInvoicesStatus(current), invoices: current, timings };
}

async function writeMerged(
  ctx: SubmitContext,
  target: Target,
  added: AddedCode[],
  rows: SubmissionRows,
  token: string,
): Promise<void> {
  const taken = [target.code, ...added.map((a) => a.code)];
  try {
    await ctx.database.db.transaction(async (tx) => {
      const locked = new Map(
        (
          await lockReceiptCodes(
            tx,
            taken.map((c) => c.id),
          )
        ).map((r) => [r.id, r]),
      );
      for (const [i, read] of taken.entries()) {
        const now = locked.get(read.id);
        const name = i === 0 ? "本张小票" : `小票 ${read.serialNo} `;
        const refusal = now ? statusRefusal(now) : "已不存在";
        if (refusal) throw refused(`${name}${refusal}（刚刚发生变化），不能合并；请刷新后重试`);
        if (now && compareDecimals(now.totalAmount, read.totalAmount) !== 0) {
          throw refused(`${name}的金额刚刚发生变化（如退款），请刷新后重新合并`);
        }
      }
      const ids = taken.map((c) => c.id);
      await tx.insert(submissions).values(rows.submission);
      await tx.insert(submissionCodes).values(
        ids.map((receiptCodeId, position) => ({
          receiptCodeId,
          submissionId: rows.submission.id,
          position,
        })),
      );
      await moveReceiptCodes(tx, [target.code.id], {
        from: CODE_MOVES.submit.from,
        set: codeMoveTo("submit"),
      });
      await moveReceiptCodes(tx, ids.slice(1), { from: CODE_MOVES.merge.from, set: codeMoveTo("merge") });
      await recordAudit(tx, {
        actor: { type: "consumer", token },
        orgId: target.code.orgId,
        action: "scan.submit",
        entityType: "receipt_code",
        entityId: target.code.id,
        details: { ...(rows.audit.details as object), merged: added.map((a) => a.code.serialNo) },
      });
      await insertInvoices(
        tx,
        rows.attempts.map((a) => a.invoice),
        rows.attempts.flatMap((a) => a.lines),
      );
    });
  } catch (e) {
    // The keys decide when the locks could not (a code taken between our read and lock is caught above).
    if (
      isUniqueViolation(e, "submission_codes_pkey") ||
      isUniqueViolation(e, "submissions_receipt_code_key")
    ) {
      throw refused("其中有小票刚刚已被提交开票，不能合并；请刷新后重试");
    }
    throw e;
  }
}

/** The code whose invoices a code shows: its own, or for a merged one the code it was added to. */
export async function invoicingCodeId(
  ctx: Pick<SubmitContext, "database">,
  code: Pick<ReceiptCodeRow, "id" | "status">,
): Promise<string> {
  if (code.status !== "merged") return code.id;
  return (await mergedInto(ctx, code.id))?.code.id ?? code.id;
}

/**
 * For a code added to another's submit (`merged`): that code (its status and validity), its
 * submission and how many receipts the submission took. Undefined for any other code.
 */
export async function mergedInto(
  ctx: Pick<SubmitContext, "database">,
  receiptCodeId: string,
): Promise<
  | {
      code: Pick<ReceiptCodeRow, "id" | "status" | "expiresAt">;
      submission: SubmissionRow;
      receipts: number;
    }
  | undefined
> {
  const { db } = ctx.database;
  const [row] = await db
    .select({
      submission: submissions,
      code: { id: receiptCodes.id, status: receiptCodes.status, expiresAt: receiptCodes.expiresAt },
    })
    .from(submissionCodes)
    .innerJoin(submissions, eq(submissions.id, submissionCodes.submissionId))
    .innerJoin(receiptCodes, eq(receiptCodes.id, submissions.receiptCodeId))
    .where(eq(submissionCodes.receiptCodeId, receiptCodeId));
  if (!row) return undefined;
  const [receipts] = await db
    .select({ n: count() })
    .from(submissionCodes)
    .where(eq(submissionCodes.submissionId, row.submission.id));
  return { ...row, receipts: Number(receipts?.n ?? 1) };
}
