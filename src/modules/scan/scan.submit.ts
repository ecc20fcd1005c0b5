import { eq, sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import { type OverLimitPolicy, planInvoices, validateBuyer } from "../../domain";
import type { Db } from "../../platform/db/client";
import { recordObjectSql, recordsJson, selectRecords, storedRow } from "../../platform/db/records";
import {
  auditLog,
  invoiceLines,
  invoices,
  organizations,
  receiptCodeConfigs,
  receiptCodeLines,
  receiptCodes,
  submissions,
  taxBureauAccounts,
} from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { firstSweepAt } from "../../platform/sweeper";
import { auditRow } from "../audit/audit.service";
import { codeInvoicesStatus, SUBMITTED_STATUS, UNFINISHED_SQL } from "../invoices/invoice-status";
import { buyerColumnsOf } from "../invoices/invoices.presenter";
import {
  findInvoicesOfCode,
  findSubmission,
  type InvoiceRow,
  invoiceLineRows,
  invoiceSerial,
  type SubmissionRow,
} from "../invoices/invoices.repository";
import { type IssueAttempt, issueNow, type Timings } from "../invoices/issuing.attempt";
import {
  assertCodeUsable,
  CODE_SUBMITTABLE_SQL,
  effectiveStatus,
  unusableError,
} from "../receipt-codes/receipt-code-status";
import { findReceiptCodeByToken, type ReceiptCodeLineRow } from "../receipt-codes/receipt-codes.repository";
import type { SubmitBody } from "./scan.schema";
import { computeStored } from "./scan.service";

type SubmitContext = Pick<
  AppContext,
  "database" | "providers" | "jobs" | "log" | "config" | "deliveries" | "background"
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
  const { db } = ctx.database;
  const timings: Timings = {};
  const started = performance.now();
  // One statement, prepared once per connection: the code with its submission, configuration,
  // organization, tax-bureau account and lines.
  const targets = await submitStatement(db).execute({ token: options.token });
  const target = targets[0];
  if (!target) throw new AppError("RECEIPT_CODE_NOT_FOUND");
  const { code, config, org, account, lines } = target;

  const valid = validateBuyer({
    invoiceType: options.body.invoiceType as "digital_normal",
    buyer: { ...options.body.buyer, type: options.body.buyer.type as "enterprise" },
    email: options.body.email,
    mobile: options.body.mobile,
  });

  const previous = target.submission;
  if (previous) return repeatOf(ctx, code.id, previous, valid.ok ? valid.value : null);

  assertCodeUsable(code);
  if (!valid.ok) {
    const typeIssue = valid.issues.find((i) => i.code === "INVOICE_TYPE_NOT_ALLOWED");
    const fields = Object.fromEntries(valid.issues.map((i) => [i.path, i.message]));
    if (typeIssue) throw new AppError("INVOICE_TYPE_NOT_ALLOWED", typeIssue.message, { fields });
    throw AppError.validation(fields);
  }
  const submission = valid.value;
  if (!code.invoiceTypes.includes(submission.invoiceType)) {
    throw new AppError("INVOICE_TYPE_NOT_ALLOWED", "该发票类型不可选，请选择商家允许的发票类型", {
      fields: { invoiceType: "该发票类型不可选" },
    });
  }

  if (!config || !org) throw new Error(`receipt code ${code.id}: organization or config missing`);
  const plan = planInvoices(computeStored(code, lines), {
    limit: config.limitText,
    policy: config.overLimitPolicy as OverLimitPolicy,
  });
  if (!plan.ok) {
    const over = plan.issues.find((i) => i.code === "AMOUNT_OVER_LIMIT");
    if (over) throw new AppError("AMOUNT_OVER_LIMIT", over.message, { ...over.details });
    throw new AppError("VALIDATION_FAILED", plan.issues[0]?.message ?? "无法开具", {
      fields: Object.fromEntries(plan.issues.map((i) => [i.path, i.message])),
    });
  }

  const submissionId = newId("sub");
  const now = new Date();
  // The buyer as stored, the same on the submission and on each of its invoices.
  const buyer = {
    ...buyerColumnsOf(submission.buyer),
    email: submission.email,
    mobile: submission.mobile,
  };
  const count = plan.value.invoices.length;
  const nextAttemptAt = firstSweepAt(ctx.config);
  const attempts = plan.value.invoices.map((inv, i): IssueAttempt => {
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
      invoiceType: submission.invoiceType,
      // The first attempt is counted here, with the submit; it is made right after.
      status: SUBMITTED_STATUS,
      attempts: 1,
      nextAttemptAt,
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
      channelData: {},
      createdAt: now,
      updatedAt: now,
    };
    return {
      invoice: storedRow(invoices, invoice),
      lines: invoiceLineRows(id, inv.lines).map((l) => storedRow(invoiceLines, l)),
      org,
      account: account ?? undefined,
      token: options.token,
    };
  });

  // One statement, so one round trip and atomic without a transaction: the code is locked if it
  // is still active; the submission (unique per code) is inserted only then, and the code moved to
  // issuing, the audit entry, the invoices and their lines only if that insert happened.
  const [state] = await ctx.database.prepared<{ inserted: number }>("submit_write", SUBMIT_WRITE, [
    code.id,
    recordsJson(submissions, [
      {
        id: submissionId,
        receiptCodeId: code.id,
        invoiceType: submission.invoiceType,
        ...buyer,
        createdAt: now,
      },
    ]),
    recordsJson(auditLog, [
      auditRow({
        actor: { type: "consumer", token: options.token },
        orgId: code.orgId,
        action: "scan.submit",
        entityType: "receipt_code",
        entityId: code.id,
        details: {
          invoiceType: submission.invoiceType,
          buyerType: submission.buyer.type,
          invoiceCount: count,
        },
      }),
    ]),
    recordsJson(
      invoices,
      attempts.map((a) => a.invoice),
    ),
    recordsJson(
      invoiceLines,
      attempts.flatMap((a) => a.lines),
    ),
  ]);

  if (!state?.inserted) {
    // Another submit for this code won, or the code was disabled or expired since our read.
    const winner = await findSubmission(db, code.id);
    if (winner) return repeatOf(ctx, code.id, winner, submission);
    const fresh = await findReceiptCodeByToken(db, options.token);
    throw unusableError(fresh ? effectiveStatus(fresh) : "disabled") ?? unusableError("disabled");
  }

  // Wait for the channel a few seconds at most: a slow tax bureau must not hold the phone. Issuing
  // goes on in the background; the page polls, and the issuing sweep is the backstop.
  timings.submit = performance.now() - started;
  const issuing = issueNow(ctx, attempts, timings);
  let timer: NodeJS.Timeout | undefined;
  const done = await Promise.race([
    issuing,
    new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), ctx.config.tuning.submitWaitSeconds * 1000);
    }),
  ]);
  clearTimeout(timer);
  if (done === null) {
    // Still issuing: a shutdown waits for it, and past its deadline makes the invoices due at once.
    const ids = attempts.map((a) => a.invoice.id);
    ctx.background.track(issuing, async () => {
      await ctx.database.executeSql(
        `update invoices set next_attempt_at = now() where id = any($1::text[]) and ${UNFINISHED_SQL}`,
        [ids],
      );
    });
  }
  // Every attempt answered here: the invoices are as they say. Otherwise read what is saved.
  const known = done?.every((r) => r !== null) ? (done as InvoiceRow[]) : null;
  const current = known ?? (await findInvoicesOfCode(db, code.id));
  return { created: true, status: codeInvoicesStatus(current), invoices: current, timings };
}

/** The same buyer submitting again gets the same invoices; a different one is refused. */
async function repeatOf(
  ctx: SubmitContext,
  receiptCodeId: string,
  previous: SubmissionRow,
  now: { invoiceType: string; buyer: { type: string; name: string; taxId: string | null } } | null,
): Promise<SubmitResult> {
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

const SUBMIT_WRITE = `
with locked as (
  select id from receipt_codes where id = $1 and ${CODE_SUBMITTABLE_SQL} for update),
sub as (
  insert into submissions ${selectRecords(submissions, "$2", "locked")}
  on conflict (receipt_code_id) do nothing returning id),
moved as (
  update receipt_codes set status = 'issuing', updated_at = now()
  where id = $1 and exists (select 1 from sub)),
audit as (insert into audit_log ${selectRecords(auditLog, "$3", "sub")}),
inv as (insert into invoices ${selectRecords(invoices, "$4", "sub")}),
lin as (insert into invoice_lines ${selectRecords(invoiceLines, "$5", "sub")})
select (select count(*) from sub)::int as inserted`;

/** The submit's read, prepared once per database handle. */
const prepared = new WeakMap<Db, ReturnType<typeof prepareSubmitStatement>>();

function submitStatement(db: Db) {
  let statement = prepared.get(db);
  if (!statement) {
    statement = prepareSubmitStatement(db);
    prepared.set(db, statement);
  }
  return statement;
}

function prepareSubmitStatement(db: Db) {
  const lines = sql<ReceiptCodeLineRow[]>`(
    select coalesce(json_agg(${sql.raw(recordObjectSql(receiptCodeLines, "l"))} order by l.position), '[]'::json)
    from ${receiptCodeLines} l where l.receipt_code_id = ${receiptCodes.id})`;
  return db
    .select({
      code: receiptCodes,
      submission: submissions,
      config: receiptCodeConfigs,
      org: organizations,
      account: taxBureauAccounts,
      lines,
    })
    .from(receiptCodes)
    .leftJoin(submissions, eq(submissions.receiptCodeId, receiptCodes.id))
    .leftJoin(receiptCodeConfigs, eq(receiptCodeConfigs.orgId, receiptCodes.orgId))
    .leftJoin(organizations, eq(organizations.id, receiptCodes.orgId))
    .leftJoin(taxBureauAccounts, eq(taxBureauAccounts.id, receiptCodes.taxAccountId))
    .where(eq(receiptCodes.token, sql.placeholder("token")))
    .prepare("submit_target");
}
