import { and, count, desc, eq, lte } from "drizzle-orm";
import type { Actor, AppContext } from "../../context";
import { compareDecimals, formatAmount, type InvoiceType } from "../../domain";
import type { Tx } from "../../platform/db/client";
import { isUniqueViolation } from "../../platform/db/errors";
import {
  organizations,
  pendingSubmissions,
  receiptCodeConfigs,
  receiptCodes,
  storeCodes,
} from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { newId, newToken } from "../../platform/ids";
import type { SweepDefinition } from "../../platform/sweeper";
import { recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";
import { sendNotice } from "../deliveries/notices";
import { renderStoreCardPdf } from "../documents";
import { findReceiptCodeBySerialNo } from "../receipt-codes/receipt-codes.service";
import type { SubmitBody } from "../scan/scan.schema";
import {
  acceptedSubmission,
  issueSubmitted,
  type SubmitContext,
  submitInTransaction,
  validateBuyerOf,
} from "../scan/scan.submit";

export const PENDING_EXPIRY_SWEEP = "pending-submission-expiry";

type StoreCodeRow = typeof storeCodes.$inferSelect;
type PendingRow = typeof pendingSubmissions.$inferSelect;

export interface PendingBody extends SubmitBody {
  amount?: string | null;
  receiptNo?: string | null;
}

function storeCodeView(row: StoreCodeRow, publicUrl: string) {
  return {
    id: row.id,
    name: row.name,
    token: row.token,
    active: row.active,
    url: `${publicUrl}/m/${row.token}`,
    createdAt: row.createdAt.toISOString(),
  };
}

export function pendingView(row: PendingRow) {
  const body = row.body as SubmitBody;
  return {
    id: row.id,
    status: row.status as "waiting" | "matched" | "dismissed" | "expired",
    buyerName: body.buyer.name,
    buyerTaxId: body.buyer.taxId ?? null,
    invoiceType: body.invoiceType,
    amount: row.amount,
    receiptNo: row.receiptNo,
    storeCodeId: row.storeCodeId,
    receiptCodeId: row.receiptCodeId,
    expiresAt: row.expiresAt.toISOString(),
    createdAt: row.createdAt.toISOString(),
  };
}

// ── console: the codes ──

export async function createStoreCode(
  ctx: Pick<AppContext, "database" | "config">,
  options: { actor: Actor; orgId: string; name: string },
) {
  requireOrg(options.actor, options.orgId, "operate");
  const [row] = await ctx.database.db
    .insert(storeCodes)
    .values({ id: newId("stc"), orgId: options.orgId, name: options.name, token: newToken() })
    .returning();
  if (!row) throw new Error("store code not inserted");
  return storeCodeView(row, ctx.config.publicUrl);
}

export async function listStoreCodes(
  ctx: Pick<AppContext, "database" | "config">,
  options: { actor: Actor; orgId: string },
) {
  requireOrg(options.actor, options.orgId);
  const rows = await ctx.database.db
    .select()
    .from(storeCodes)
    .where(eq(storeCodes.orgId, options.orgId))
    .orderBy(desc(storeCodes.createdAt));
  return { items: rows.map((r) => storeCodeView(r, ctx.config.publicUrl)) };
}

export async function setStoreCodeActive(
  ctx: Pick<AppContext, "database" | "config">,
  options: { actor: Actor; orgId: string; id: string; active: boolean },
) {
  requireOrg(options.actor, options.orgId, "operate");
  const [row] = await ctx.database.db
    .update(storeCodes)
    .set({ active: options.active, updatedAt: new Date() })
    .where(and(eq(storeCodes.id, options.id), eq(storeCodes.orgId, options.orgId)))
    .returning();
  if (!row) throw new AppError("NOT_FOUND", "门店码不存在");
  return storeCodeView(row, ctx.config.publicUrl);
}

/** 打印门店码: the A6 card (seller, store, QR of its page, 扫码开票, the steps); every print audited. */
export async function printStoreCard(
  ctx: Pick<AppContext, "database" | "config">,
  options: { actor: Actor; orgId: string; id: string },
): Promise<{ pdf: Buffer; name: string }> {
  const actor = requireOrg(options.actor, options.orgId, "operate");
  const { db } = ctx.database;
  const [row] = await db
    .select({ code: storeCodes, sellerName: organizations.name })
    .from(storeCodes)
    .innerJoin(organizations, eq(organizations.id, storeCodes.orgId))
    .where(and(eq(storeCodes.id, options.id), eq(storeCodes.orgId, options.orgId)));
  if (!row) throw new AppError("NOT_FOUND", "门店码不存在");
  if (!row.code.active) throw new AppError("CONFLICT", "已停用的门店码不能打印");
  const { url } = storeCodeView(row.code, ctx.config.publicUrl);
  const pdf = await renderStoreCardPdf(
    { sellerName: row.sellerName, storeName: row.code.name, url },
    row.code.createdAt,
  );
  await recordAudit(db, {
    actor,
    orgId: options.orgId,
    action: "store_code.print",
    entityType: "store_code",
    entityId: row.code.id,
    details: { name: row.code.name },
  });
  return { pdf, name: row.code.name };
}

// ── consumer ──

async function activeStoreCode(ctx: Pick<AppContext, "database">, token: string) {
  const [row] = await ctx.database.db
    .select({
      code: storeCodes,
      sellerName: organizations.name,
      pendingHours: organizations.pendingSubmissionHours,
      // The organization's 小票码配置: the invoice types it allows, the form's defaults.
      invoiceTypes: receiptCodeConfigs.invoiceTypes,
      defaultInvoiceType: receiptCodeConfigs.defaultInvoiceType,
      defaultBuyerType: receiptCodeConfigs.defaultBuyerType,
    })
    .from(storeCodes)
    .innerJoin(organizations, eq(organizations.id, storeCodes.orgId))
    .leftJoin(receiptCodeConfigs, eq(receiptCodeConfigs.orgId, storeCodes.orgId))
    .where(eq(storeCodes.token, token));
  if (!row) throw new AppError("NOT_FOUND", "门店码不存在");
  if (!row.code.active) throw new AppError("RECEIPT_CODE_DISABLED", "该门店码已停用");
  return row;
}

export async function storePage(ctx: Pick<AppContext, "database">, token: string) {
  const row = await activeStoreCode(ctx, token);
  const invoiceTypes = (row.invoiceTypes ?? []) as InvoiceType[];
  return {
    storeName: row.code.name,
    sellerName: row.sellerName,
    invoiceTypes,
    defaultInvoiceType: (row.defaultInvoiceType ?? invoiceTypes[0] ?? "digital_normal") as InvoiceType,
    defaultBuyerType:
      row.defaultBuyerType === "individual" ? ("individual" as const) : ("enterprise" as const),
  };
}

/** The consumer's buyer on a 门店码: validated as the normal submit does, stored waiting. */
export async function submitPending(
  ctx: Pick<AppContext, "database" | "config">,
  options: { storeToken: string; body: PendingBody; now?: Date },
) {
  const { code, pendingHours, invoiceTypes } = await activeStoreCode(ctx, options.storeToken);
  const { amount, receiptNo, ...buyerBody } = options.body;
  // A valid buyer, of an invoice type the organization allows (field errors as on a receipt's page).
  acceptedSubmission({ code: { invoiceTypes: invoiceTypes ?? [] } }, validateBuyerOf(buyerBody));
  const now = options.now ?? new Date();
  // The organization's waiting time (organizations.pending_submission_hours, default 72 h).
  const hours = pendingHours;
  const [row] = await ctx.database.db
    .insert(pendingSubmissions)
    .values({
      id: newId("pnd"),
      orgId: code.orgId,
      storeCodeId: code.id,
      token: newToken(),
      body: buyerBody,
      amount: amount || null,
      receiptNo: receiptNo || null,
      expiresAt: new Date(now.getTime() + hours * 3600_000),
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  if (!row) throw new Error("pending submission not inserted");
  return consumerView(ctx, row);
}

const STATUS_TEXT = {
  waiting: "等待商家匹配订单",
  matched: "商家已匹配订单，正在开票",
  dismissed: "商家未能匹配到您的订单，请联系商家",
  expired: "等待超时，商家未匹配到您的订单，请联系商家",
} as const;

async function consumerView(ctx: Pick<AppContext, "database">, row: PendingRow) {
  const status = row.status as keyof typeof STATUS_TEXT;
  let receiptToken: string | null = null;
  if (row.receiptCodeId) {
    const [c] = await ctx.database.db
      .select({ token: receiptCodes.token })
      .from(receiptCodes)
      .where(eq(receiptCodes.id, row.receiptCodeId));
    receiptToken = c?.token ?? null;
  }
  return {
    token: row.token,
    status,
    message: STATUS_TEXT[status],
    buyerName: (row.body as SubmitBody).buyer.name,
    expiresAt: row.expiresAt.toISOString(),
    /** Once matched, the receipt code's page (`/s/{receiptToken}`) shows the invoice. */
    receiptToken,
  };
}

export async function getPendingForConsumer(ctx: Pick<AppContext, "database">, token: string) {
  const [row] = await ctx.database.db
    .select()
    .from(pendingSubmissions)
    .where(eq(pendingSubmissions.token, token));
  if (!row) throw new AppError("NOT_FOUND", "提交记录不存在");
  return consumerView(ctx, row);
}

// ── merchant: 待匹配 ──

export async function listPending(
  ctx: Pick<AppContext, "database">,
  options: { orgId: string; status?: string; page: number; pageSize: number },
) {
  const where = and(
    eq(pendingSubmissions.orgId, options.orgId),
    eq(pendingSubmissions.status, options.status ?? "waiting"),
  );
  const rows = await ctx.database.db
    .select()
    .from(pendingSubmissions)
    .where(where)
    .orderBy(desc(pendingSubmissions.createdAt), desc(pendingSubmissions.id))
    .limit(options.pageSize)
    .offset((options.page - 1) * options.pageSize);
  const [total] = await ctx.database.db.select({ n: count() }).from(pendingSubmissions).where(where);
  return {
    items: rows.map(pendingView),
    total: total?.n ?? 0,
    page: options.page,
    pageSize: options.pageSize,
  };
}

/** A submission of the organization (another organization's id is not found), or undefined. */
export async function findPending(ctx: Pick<AppContext, "database">, orgId: string, id: string) {
  const [row] = await ctx.database.db
    .select()
    .from(pendingSubmissions)
    .where(and(eq(pendingSubmissions.id, id), eq(pendingSubmissions.orgId, orgId)));
  return row;
}

/** What a match wrote, to issue once its transaction has committed. */
export type PendingMatch = { pending: PendingRow } & Awaited<ReturnType<typeof submitInTransaction>>;

/**
 * Inside the caller's transaction: claims a waiting submission of the organization for the receipt
 * code `codeId` and submits its buyer there with the consumer's own write (`submitInTransaction`).
 * The submission's row is locked first, so of two matches of it one wins and the other finds it
 * matched (PENDING_SUBMISSION_CLOSED); a code takes one submission (the submit write, and a unique
 * index on the matched code). Refused, nothing is written: another organization's or an unknown id
 * (PENDING_SUBMISSION_NOT_FOUND), expired — by the sweep or just past its time —
 * (PENDING_SUBMISSION_EXPIRED), matched or dismissed (PENDING_SUBMISSION_CLOSED), a total other than
 * the amount the consumer typed (PENDING_AMOUNT_MISMATCH), and whatever the submit refuses.
 */
export async function matchPendingIn(
  ctx: SubmitContext,
  tx: Tx,
  options: { orgId: string; id: string; codeId: string; now?: Date },
): Promise<PendingMatch> {
  const now = options.now ?? new Date();
  const [row] = await tx
    .select()
    .from(pendingSubmissions)
    .where(eq(pendingSubmissions.id, options.id))
    .for("update");
  if (!row || row.orgId !== options.orgId) throw new AppError("PENDING_SUBMISSION_NOT_FOUND");
  if (row.status === "expired" || (row.status === "waiting" && row.expiresAt <= now))
    throw new AppError("PENDING_SUBMISSION_EXPIRED", undefined, { expiresAt: row.expiresAt.toISOString() });
  if (row.status !== "waiting")
    throw new AppError(
      "PENDING_SUBMISSION_CLOSED",
      `该开票申请已${{ matched: "匹配订单", dismissed: "被忽略" }[row.status] ?? "处理"}`,
      { status: row.status },
    );
  const [code] = await tx
    .select({ totalAmount: receiptCodes.totalAmount })
    .from(receiptCodes)
    .where(and(eq(receiptCodes.id, options.codeId), eq(receiptCodes.orgId, options.orgId)));
  if (!code) throw new AppError("RECEIPT_CODE_NOT_FOUND");
  if (row.amount !== null && compareDecimals(row.amount, code.totalAmount) !== 0)
    throw new AppError("PENDING_AMOUNT_MISMATCH", undefined, {
      amount: formatAmount(row.amount),
      totalAmount: formatAmount(code.totalAmount),
    });
  const [pending] = await tx
    .update(pendingSubmissions)
    .set({ status: "matched", receiptCodeId: options.codeId, updatedAt: now })
    .where(eq(pendingSubmissions.id, row.id))
    .returning()
    .catch((e) => {
      if (isUniqueViolation(e)) throw new AppError("ALREADY_INVOICED", "该订单已匹配其他开票申请");
      throw e;
    });
  if (!pending) throw new Error(`pending submission ${row.id} not updated under its lock`);
  const written = await submitInTransaction(ctx, tx, {
    codeId: options.codeId,
    body: row.body as SubmitBody,
  });
  return { pending, ...written };
}

/**
 * Matches a waiting submission to the organization's receipt code with that order/serial number
 * (console 待匹配 and `POST /open/v1/pending-submissions/{id}/match`): claimed and submitted in one
 * transaction (`matchPendingIn`), then issued as usual.
 */
export async function matchPending(
  ctx: SubmitContext,
  options: { orgId: string; id: string; orderNo: string; now?: Date },
) {
  const code = await findReceiptCodeBySerialNo(ctx, options.orgId, options.orderNo);
  if (!code) throw new AppError("RECEIPT_CODE_NOT_FOUND", "该订单号/流水号没有开票码");
  const match = await ctx.database.db.transaction((tx) =>
    matchPendingIn(ctx, tx, { orgId: options.orgId, id: options.id, codeId: code.id, now: options.now }),
  );
  return { pending: pendingView(match.pending), status: await issueSubmitted(ctx, match) };
}

export async function dismissPending(
  ctx: Pick<AppContext, "database" | "providers" | "log" | "config">,
  options: { orgId: string; id: string },
) {
  const [row] = await ctx.database.db
    .update(pendingSubmissions)
    .set({ status: "dismissed", updatedAt: new Date() })
    .where(
      and(
        eq(pendingSubmissions.id, options.id),
        eq(pendingSubmissions.orgId, options.orgId),
        eq(pendingSubmissions.status, "waiting"),
      ),
    )
    .returning();
  if (!row) throw new AppError("CONFLICT", "该提交不存在或已处理");
  await notifyConsumer(ctx, row);
  return pendingView(row);
}

async function notifyConsumer(
  ctx: Pick<AppContext, "database" | "providers" | "log" | "config">,
  row: PendingRow,
) {
  const body = row.body as SubmitBody;
  const [org] = await ctx.database.db
    .select({ name: organizations.name })
    .from(organizations)
    .where(eq(organizations.id, row.orgId));
  const status = row.status as keyof typeof STATUS_TEXT;
  await sendNotice(ctx, {
    email: body.email ?? null,
    mobile: body.mobile ?? null,
    subject: `${org?.name ?? ""}：您的开票申请未能匹配订单`,
    text: `${STATUS_TEXT[status]}。查看：${ctx.config.publicUrl}/m/p/${row.token}`,
    sms: { sellerName: org?.name ?? "", token: row.token, page: "m/p" },
  });
}

/** Waiting submissions past their time become expired (one conditional update); the consumer is told. */
export async function expirePending(
  ctx: Pick<AppContext, "database" | "providers" | "log" | "config">,
  now: Date = new Date(),
): Promise<number> {
  const rows = await ctx.database.db
    .update(pendingSubmissions)
    .set({ status: "expired", updatedAt: now })
    .where(and(eq(pendingSubmissions.status, "waiting"), lte(pendingSubmissions.expiresAt, now)))
    .returning();
  for (const row of rows) await notifyConsumer(ctx, row);
  return rows.length;
}

export function pendingExpirySweep(
  ctx: Pick<AppContext, "database" | "providers" | "log" | "config">,
): SweepDefinition {
  return {
    name: PENDING_EXPIRY_SWEEP,
    concurrency: 1,
    intervalSeconds: 60,
    claim: async () => {
      await expirePending(ctx);
      return [];
    },
    handle: async () => {},
  };
}
