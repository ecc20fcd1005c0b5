import type { AppContext } from "../../context";
import {
  type ComputedInvoice,
  type OverLimitPolicy,
  planInvoices,
  type Result,
  type ValidBuyerSubmission,
  validateBuyer,
} from "../../domain";
import { type DbOrTx, type ExecuteSql, executeSqlIn } from "../../platform/db/client";
import { recordsJson, runStatement, storedRow } from "../../platform/db/records";
import { auditLog, invoiceLines, invoices, submissions } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { firstSweepAt } from "../../platform/sweeper";
import { auditRow } from "../audit/audit.service";
import { codeInvoicesStatus, REVIEW_STATUS, SUBMITTED_STATUS } from "../invoices/invoice-status";
import { buyerColumnsOf } from "../invoices/invoices.presenter";
import {
  findInvoicesOfCode,
  findSubmission,
  type InvoiceRow,
  invoiceLineRows,
  invoiceSerial,
  type SubmissionRow,
} from "../invoices/invoices.repository";
import { channelDataOf, type IssueAttempt, issueNow, type Timings } from "../invoices/issuing.attempt";
import { needsReview, type ReviewRule } from "../invoices/review.rules";
import { assertCodeUsable, effectiveStatus, unusableError } from "../receipt-codes/receipt-code-status";
import { findReceiptCodeByToken } from "../receipt-codes/receipt-codes.repository";
import { submitMerged } from "./scan.merge";
import {
  RELEASE_UNFINISHED,
  SUBMIT_TARGET,
  SUBMIT_WRITE,
  submitTargetIn,
  type Target,
  targetOf,
} from "./scan.queries";
import type { SubmitBody } from "./scan.schema";
import { computeStored } from "./scan.service";

/** One invoice of the plan: its lines and totals. */
export type PlannedInvoice = Extract<
  ReturnType<typeof planInvoices>,
  { ok: true }
>["value"]["invoices"][number];

export type SubmitContext = Pick<
  AppContext,
  "database" | "providers" | "jobs" | "log" | "config" | "deliveries" | "background" | "metrics"
>;

export interface SubmitResult {
  /** Milliseconds by step, for the Server-Timing header. */
  timings: Timings;
  /** True when this request created the submission (202), false when it repeated one (200). */
  created: boolean;
  status: "issuing" | "issued" | "failed";
  invoices: InvoiceRow[];
}

/**
 * The consumer's submit. The buyer is validated by the rules engine, then stored with the invoices
 * to issue in one statement — the code's row lock and the submissions row, unique per receipt code,
 * guarantee one set of invoices per code under concurrent submits and several processes. Issuing
 * then runs right here, with the issuing sweep (next_attempt_at) as the durable backstop.
 */
export async function submitByToken(
  ctx: SubmitContext,
  options: { token: string; body: SubmitBody },
): Promise<SubmitResult> {
  // 合并开票 takes its own path (scan.merge.ts); the single code's stays as it is.
  if (options.body.mergeCodes?.length) return submitMerged(ctx, options);
  const started = performance.now();
  const target = await readTarget(ctx, options.token);
  const buyer = validateBuyerOf(options.body);
  if (target.submission) return sameBuyerAgain(ctx, target.code.id, target.submission, buyer);

  assertCodeUsable(target.code);
  const submission = acceptedSubmission(target, buyer);
  const planned = plannedInvoices(target);
  const held = heldForReview(target, submission);
  const written = submissionRows(ctx, target, submission, planned, options.token, held);
  if (!(await writeOnce(ctx, written))) return afterLostRace(ctx, target, submission, options.token);
  // 审核开票: stored and waiting for an operator, who approves (then issued as usual) or declines.
  if (held)
    return {
      created: true,
      status: "issuing",
      invoices: written.attempts.map((a) => a.invoice),
      timings: {},
    };

  const timings: Timings = { submit: performance.now() - started };
  const current = await issueWithinWait(ctx, target.code.id, written.attempts, timings);
  return { created: true, status: codeInvoicesStatus(current), invoices: current, timings };
}

export type { Target };

/** The code with its submission, configuration, organization, account and lines: one statement. */
export async function readTarget(ctx: SubmitContext, token: string): Promise<Target> {
  const [row] = await runStatement(ctx.database, SUBMIT_TARGET, [token]);
  if (!row) throw new AppError("RECEIPT_CODE_NOT_FOUND");
  return targetOf(row);
}

export function validateBuyerOf(body: SubmitBody): Result<ValidBuyerSubmission> {
  return validateBuyer({
    invoiceType: body.invoiceType as "digital_normal",
    buyer: { ...body.buyer, type: body.buyer.type as "enterprise" },
    email: body.email,
    mobile: body.mobile,
  });
}

/** The buyer, valid and of an invoice type the merchant allows on this code. */
export function acceptedSubmission(
  target: { code: Pick<Target["code"], "invoiceTypes"> },
  buyer: Result<ValidBuyerSubmission>,
): ValidBuyerSubmission {
  if (!buyer.ok) {
    const typeIssue = buyer.issues.find((i) => i.code === "INVOICE_TYPE_NOT_ALLOWED");
    const fields = Object.fromEntries(buyer.issues.map((i) => [i.path, i.message]));
    if (typeIssue) throw new AppError("INVOICE_TYPE_NOT_ALLOWED", typeIssue.message, { fields });
    throw AppError.validation(fields);
  }
  if (!target.code.invoiceTypes.includes(buyer.value.invoiceType)) {
    throw new AppError("INVOICE_TYPE_NOT_ALLOWED", "该发票类型不可选，请选择商家允许的发票类型", {
      fields: { invoiceType: "该发票类型不可选" },
    });
  }
  return buyer.value;
}

/** 审核开票: whether the organization's rules hold this submission (a merge passes its combined 价税合计). */
export function heldForReview(
  target: Target,
  submission: ValidBuyerSubmission,
  totalAmount: string = target.code.totalAmount,
): boolean {
  const rules = parseJson<ReviewRule[]>(target.reviewRules);
  return needsReview(rules, {
    source: target.code.source,
    invoiceType: submission.invoiceType,
    totalAmount,
    buyerType: submission.buyer.type,
  });
}

/** A JSON column as either driver hands it over (parsed, or as text). */
const parseJson = <T>(value: T | string): T => (typeof value === "string" ? (JSON.parse(value) as T) : value);

/** The invoices the order makes under the organization's limit (one, or split), or the refusal. */
function plannedInvoices(target: Target): PlannedInvoice[] {
  const { code, config, org } = target;
  if (!config || !org) throw new Error(`receipt code ${code.id}: organization or config missing`);
  return planOrRefuse(computeStored(code, target.lines), config);
}

/** The plan for a computed order under the configuration's limit, or the refusal as an AppError. */
export function planOrRefuse(
  computed: ComputedInvoice,
  config: NonNullable<Target["config"]>,
): PlannedInvoice[] {
  const plan = planInvoices(computed, {
    limit: config.limitText,
    policy: config.overLimitPolicy as OverLimitPolicy,
  });
  if (plan.ok) return plan.value.invoices;
  const over = plan.issues.find((i) => i.code === "AMOUNT_OVER_LIMIT");
  if (over) throw new AppError("AMOUNT_OVER_LIMIT", over.message, { ...over.details });
  throw new AppError("VALIDATION_FAILED", plan.issues[0]?.message ?? "无法开具", {
    fields: Object.fromEntries(plan.issues.map((i) => [i.path, i.message])),
  });
}

export interface SubmissionRows {
  code: Target["code"];
  submission: SubmissionRow;
  audit: ReturnType<typeof auditRow>;
  /** Each invoice with its lines, its first attempt counted: what issuing needs, nothing read back. */
  attempts: IssueAttempt[];
}

/** The rows the submit writes: the submission, its audit entry and the planned invoices. */
export function submissionRows(
  ctx: SubmitContext,
  target: Target,
  submission: ValidBuyerSubmission,
  planned: PlannedInvoice[],
  token: string,
  held: boolean,
): SubmissionRows {
  const { code, org, account } = target;
  const submissionId = newId("sub");
  const now = new Date();
  // The buyer as stored, the same on the submission and on each of its invoices.
  const buyer = { ...buyerColumnsOf(submission.buyer), email: submission.email, mobile: submission.mobile };
  const count = planned.length;
  const nextAttemptAt = firstSweepAt(ctx.config);
  const attempts = planned.map((inv, i): IssueAttempt => {
    const id = newId("inv");
    const invoice: InvoiceRow = {
      id,
      orgId: code.orgId,
      receiptCodeId: code.id,
      submissionId,
      taxAccountId: code.taxAccountId,
      color: "blue",
      seq: i + 1,
      seqCount: count,
      blueInvoiceId: null,
      reverseReason: null,
      reissueOfInvoiceId: null,
      invoiceType: submission.invoiceType,
      // The first attempt is counted here, with the submit; it is made right after. Held for
      // review: no attempt yet, and nothing for the sweep until an operator approves.
      status: held ? REVIEW_STATUS : SUBMITTED_STATUS,
      attempts: held ? 0 : 1,
      nextAttemptAt: held ? null : nextAttemptAt,
      // Our idempotency serial for the channel: fixed before any call is made.
      serial: invoiceSerial(id),
      number: null,
      issuedAt: null,
      ...buyer,
      drawer: code.drawer,
      payee: code.payee,
      reviewer: code.reviewer,
      remark:
        count > 1 ? `${code.remark}${code.remark ? " " : ""}（共${count}张，第${i + 1}张）` : code.remark,
      ...inv.totals,
      failureCode: null,
      failureReason: null,
      // The channel's order number, derived from the serial, stored before the first call.
      channelData: channelDataOf(ctx.providers.channels, account?.channel, invoiceSerial(id)),
      createdAt: now,
      updatedAt: now,
    };
    return {
      invoice: storedRow(invoices, invoice),
      lines: invoiceLineRows(id, inv.lines).map((l) => storedRow(invoiceLines, l)),
      org: org!,
      account: account ?? undefined,
      token,
    };
  });
  return {
    code,
    submission: {
      id: submissionId,
      receiptCodeId: code.id,
      invoiceType: submission.invoiceType,
      ...buyer,
      createdAt: now,
    },
    audit: auditRow({
      actor: { type: "consumer", token },
      orgId: code.orgId,
      action: "scan.submit",
      entityType: "receipt_code",
      entityId: code.id,
      details: {
        invoiceType: submission.invoiceType,
        buyerType: submission.buyer.type,
        invoiceCount: count,
        ...(held ? { heldForReview: true } : {}),
      },
    }),
    attempts,
  };
}

/**
 * The submit of a buyer on a code inside the caller's transaction (a 门店码 submission matched to an
 * order, the order possibly created in the same transaction): the same checks and the same one
 * write as the consumer's submit, nothing issued yet. The caller issues once it has committed
 * (`issueSubmitted`). Throws the consumer's errors (type not allowed, code unusable, already submitted).
 */
export async function submitInTransaction(
  ctx: SubmitContext,
  tx: DbOrTx,
  options: { codeId: string; body: SubmitBody },
): Promise<{ codeId: string; held: boolean; attempts: IssueAttempt[] }> {
  const target = await submitTargetIn(tx, options.codeId);
  if (!target) throw new AppError("RECEIPT_CODE_NOT_FOUND");
  if (target.submission) throw new AppError("ALREADY_INVOICED", "该订单已提交开票信息");
  assertCodeUsable(target.code);
  const submission = acceptedSubmission(target, validateBuyerOf(options.body));
  const planned = plannedInvoices(target);
  const held = heldForReview(target, submission);
  const written = submissionRows(ctx, target, submission, planned, target.code.token, held);
  if (!(await writeOnce(ctx, written, executeSqlIn(tx)))) {
    throw unusableError(effectiveStatus(target.code)) ?? new AppError("ALREADY_INVOICED");
  }
  return { codeId: target.code.id, held, attempts: written.attempts };
}

/** After `submitInTransaction` committed: issued as the consumer's submit issues (unless held for review). */
export async function issueSubmitted(
  ctx: SubmitContext,
  written: { codeId: string; held: boolean; attempts: IssueAttempt[] },
): Promise<"issuing" | "issued" | "failed"> {
  if (written.held) return "issuing";
  return codeInvoicesStatus(await issueWithinWait(ctx, written.codeId, written.attempts, {}));
}

/** Writes the rows in one statement (SUBMIT_WRITE); false when the code was taken or closed meanwhile. */
async function writeOnce(ctx: SubmitContext, rows: SubmissionRows, inTx?: ExecuteSql): Promise<boolean> {
  const values: [string, string, string, string, string, string] = [
    rows.code.id,
    recordsJson(submissions, [rows.submission]),
    recordsJson(auditLog, [rows.audit]),
    recordsJson(
      invoices,
      rows.attempts.map((a) => a.invoice),
    ),
    recordsJson(
      invoiceLines,
      rows.attempts.flatMap((a) => a.lines),
    ),
    rows.code.totalAmount,
  ];
  // Inside a caller's transaction the statement runs on its connection (not as a prepared one).
  const [state] = inTx
    ? ((await inTx(SUBMIT_WRITE.text, values)).rows as Array<{ inserted: number }>)
    : await runStatement(ctx.database, SUBMIT_WRITE, values);
  return Boolean(state?.inserted);
}

/**
 * Another submit for this code won (answered as a repeat), or the code was disabled, expired or
 * refunded since our read — or reduced by a partial refund, so the consumer must look again.
 */
async function afterLostRace(
  ctx: SubmitContext,
  target: Target,
  submission: ValidBuyerSubmission,
  token: string,
): Promise<SubmitResult> {
  const winner = await findSubmission(ctx.database.db, target.code.id);
  if (winner) return sameBuyerAgain(ctx, target.code.id, winner, { ok: true, value: submission });
  const fresh = await findReceiptCodeByToken(ctx.database.db, token);
  if (fresh?.status === "merged") {
    throw new AppError("ALREADY_INVOICED", "该小票已与其他小票合并开票，不能单独开票");
  }
  const unusable = unusableError(fresh ? effectiveStatus(fresh) : "disabled");
  if (unusable) throw unusable;
  if (fresh && fresh.totalAmount !== target.code.totalAmount) {
    throw new AppError("RECEIPT_CODE_CHANGED", undefined, { totalAmount: fresh.totalAmount });
  }
  throw unusableError("disabled");
}

/**
 * Issues at once, waiting for the channel's answer a few seconds at most (`submitWaitSeconds`): a
 * slow tax bureau must not hold the phone. An answer of 开票中 (an asynchronous channel accepted
 * the invoice: 诺诺, 金蝶) ends the wait at once — the re-queries 3 s and 5 s later are no reason to
 * hold the request; the submit answers `issuing` and the attempt goes on in the background (its
 * waits hold no database connection), the page polls, and the issuing sweep is the backstop.
 * Returns the invoices as the attempts left them, or as saved when one is still under way.
 */
export async function issueWithinWait(
  ctx: SubmitContext,
  receiptCodeId: string,
  attempts: IssueAttempt[],
  timings: Timings,
): Promise<InvoiceRow[]> {
  let timer: NodeJS.Timeout | undefined;
  let accepted: (value: null) => void = () => {};
  let answeredPending = false;
  const pending = new Promise<null>((resolve) => {
    accepted = resolve;
  });
  const issuing = issueNow(ctx, attempts, timings, {
    onPending: () => {
      answeredPending = true;
      accepted(null);
    },
  });
  const done = await Promise.race([
    issuing,
    pending,
    new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), ctx.config.tuning.submitWaitSeconds * 1000);
    }),
  ]);
  clearTimeout(timer);
  const ids = attempts.map((a) => a.invoice.id);
  if (done === null) {
    // Still issuing: a shutdown waits for it, and past its deadline makes the invoices due at once.
    ctx.background.track(issuing, async () => {
      await ctx.database.executeSql(RELEASE_UNFINISHED, [ids]);
    });
  }
  // Every attempt answered here: the invoices are as they say. Otherwise read what is saved.
  if (done?.every((r) => r !== null)) return done as InvoiceRow[];
  // The only attempt's first answer was 开票中: an answer that saves nothing, so the invoice is as
  // its attempt was counted (the code's only invoice: one submission per code), not read back.
  if (answeredPending && attempts.length === 1) return [attempts[0]!.invoice];
  return findInvoicesOfCode(ctx.database.db, receiptCodeId);
}

/** The same buyer submitting again gets the same invoices; a different one (or an invalid one) is refused. */
export async function sameBuyerAgain(
  ctx: SubmitContext,
  receiptCodeId: string,
  previous: Pick<SubmissionRow, "invoiceType" | "buyerType" | "buyerName" | "buyerTaxId">,
  buyer: Result<ValidBuyerSubmission>,
): Promise<SubmitResult> {
  const now = buyer.ok ? buyer.value : null;
  const same =
    now !== null &&
    now.invoiceType === previous.invoiceType &&
    now.buyer.type === previous.buyerType &&
    now.buyer.name === previous.buyerName &&
    (now.buyer.taxId ?? "") === previous.buyerTaxId;
  if (!same)
    throw new AppError("ALREADY_INVOICED", "该小票已提交开票，不能更换购买方；如需修改请联系商家红冲后重开");
  const current = await findInvoicesOfCode(ctx.database.db, receiptCodeId);
  return { created: false, status: codeInvoicesStatus(current), invoices: current, timings: {} };
}
