import type { Actor, AppContext } from "../../context";
import { chinaDayStart, trimDecimal } from "../../domain";
import { isUniqueViolation } from "../../platform/db/errors";
import { AppError } from "../../platform/errors";
import { parseInput } from "../../platform/validation";
import { consumerUrl } from "../../platform/web";
import { recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";
import { isTaxAccountOfOrganization } from "../tax-accounts/tax-accounts.service";
import { effectiveStatus } from "./receipt-code-status";
import {
  disableReceiptCodeRow,
  findReceiptCodeOfOrg,
  findReceiptCodesPage,
  replaceUnusedReceiptCode,
} from "./receipt-codes.console.repository";
import {
  consoleReceiptCodeInput,
  type ReceiptCodeDetail,
  type ReceiptCodeListItem,
  type ReceiptCodeListQuery,
} from "./receipt-codes.console.schema";
import { findReceiptCodeLines, type ReceiptCodeRow } from "./receipt-codes.repository";
import {
  createReceiptCode,
  prepareReceiptCode,
  type ReceiptCodeView,
  receiptCodeLineRows,
} from "./receipt-codes.service";

const notFound = () => new AppError("NOT_FOUND", "小票码不存在");

function listItem(
  ctx: Pick<AppContext, "config">,
  code: ReceiptCodeRow,
  deviceNo: string | null,
  now: Date,
): ReceiptCodeListItem {
  return {
    id: code.id,
    serialNo: code.serialNo,
    deviceNo,
    source: code.source,
    status: effectiveStatus(code, now),
    totals: {
      amountExcludingTax: code.amountExcludingTax,
      taxAmount: code.taxAmount,
      totalAmount: code.totalAmount,
    },
    drawer: code.drawer,
    expiresAt: code.expiresAt.toISOString(),
    createdAt: code.createdAt.toISOString(),
    scanCount: code.scanCount,
    url: consumerUrl(ctx, code.token),
  };
}

export async function findReceiptCodesForConsole(
  ctx: Pick<AppContext, "database" | "config">,
  options: { actor: Actor; orgId: string; query: ReceiptCodeListQuery; now?: Date },
) {
  requireOrg(options.actor, options.orgId);
  const { query } = options;
  const now = options.now ?? new Date();
  const { rows, total } = await findReceiptCodesPage(ctx.database.db, {
    orgId: options.orgId,
    serialNo: query.serialNo || undefined,
    deviceNo: query.deviceNo || undefined,
    status: query.status,
    source: query.source,
    from: query.from ? chinaDayStart(query.from) : undefined,
    to: query.to ? chinaDayStart(query.to, 1) : undefined,
    now,
    offset: (query.page - 1) * query.pageSize,
    limit: query.pageSize,
  });
  return {
    items: rows.map((r) => listItem(ctx, r.code, r.deviceNo, now)),
    total,
    page: query.page,
    pageSize: query.pageSize,
  };
}

/** One code with its lines and what may be done with it; another organization's code is 404. */
export async function getReceiptCodeForConsole(
  ctx: Pick<AppContext, "database" | "config">,
  options: { actor: Actor; orgId: string; id: string; now?: Date },
): Promise<ReceiptCodeDetail> {
  requireOrg(options.actor, options.orgId);
  const found = await findReceiptCodeOfOrg(ctx.database.db, options.orgId, options.id);
  if (!found) throw notFound();
  const { code, deviceNo } = found;
  const now = options.now ?? new Date();
  const lines = await findReceiptCodeLines(ctx.database.db, code.id);
  const status = effectiveStatus(code, now);
  return {
    ...listItem(ctx, code, deviceNo, now),
    token: code.token,
    taxAccountId: code.taxAccountId,
    invoiceTypes: code.invoiceTypes,
    defaultInvoiceType: code.defaultInvoiceType,
    priceIncludesTax: code.priceIncludesTax,
    receiptFooter: code.receiptFooter,
    payee: code.payee,
    reviewer: code.reviewer,
    remark: code.remark,
    orderTime: code.orderTime?.toISOString() ?? null,
    disabledAt: code.disabledAt?.toISOString() ?? null,
    lines: lines.map((l) => ({
      kind: l.kind,
      name: l.name,
      shortName: l.shortName,
      taxCode: l.taxCode,
      taxRate: trimDecimal(l.taxRate),
      zeroRateKind: l.zeroRateKind,
      spec: l.spec,
      unit: l.unit,
      quantity: trimDecimal(l.quantity),
      unitPrice: trimDecimal(l.unitPrice),
      amount: l.amount,
      amountExcludingTax: l.amountExcludingTax,
      tax: l.tax,
      amountIncludingTax: l.amountIncludingTax,
    })),
    canEdit: status === "active" && code.source === "manual",
    canDisable: status === "active" || status === "expired" || status === "failed",
  };
}

/** The checks the console adds to createReceiptCode's: the tax account must be the organization's own. */
async function checkConsoleInput(ctx: Pick<AppContext, "database">, orgId: string, input: unknown) {
  const parsed = parseInput(consoleReceiptCodeInput, input);
  const { copiedFromId, ...codeInput } = parsed;
  if (codeInput.taxAccountId && !(await isTaxAccountOfOrganization(ctx, orgId, codeInput.taxAccountId)))
    throw AppError.validation({ taxAccountId: "电子税局账号不存在" });
  return { codeInput, copiedFromId };
}

/** 保存 (and 新增（复制）): the code gets its token and URL. */
export async function createReceiptCodeForConsole(
  ctx: Pick<AppContext, "database" | "config">,
  options: { actor: Actor; orgId: string; input: unknown },
): Promise<ReceiptCodeView> {
  const actor = requireOrg(options.actor, options.orgId, "operate");
  const { codeInput, copiedFromId } = await checkConsoleInput(ctx, options.orgId, options.input);
  const original = copiedFromId
    ? await findReceiptCodeOfOrg(ctx.database.db, options.orgId, copiedFromId)
    : undefined;
  if (copiedFromId && !original) throw AppError.validation({ copiedFromId: "被复制的小票码不存在" });
  const view = await createReceiptCode(ctx, {
    actor,
    orgId: options.orgId,
    source: "manual",
    input: codeInput,
  });
  if (original) {
    await recordAudit(ctx.database.db, {
      actor,
      orgId: options.orgId,
      action: "receipt_code.copy",
      entityType: "receipt_code",
      entityId: view.id,
      details: { fromId: original.code.id, fromSerialNo: original.code.serialNo, serialNo: view.serialNo },
    });
  }
  return view;
}

/** Edits a console-made code while it is unused (active, nothing submitted); its token and URL stay. */
export async function updateReceiptCodeForConsole(
  ctx: Pick<AppContext, "database" | "config">,
  options: { actor: Actor; orgId: string; id: string; input: unknown },
): Promise<ReceiptCodeDetail> {
  const actor = requireOrg(options.actor, options.orgId, "operate");
  const { db } = ctx.database;
  const found = await findReceiptCodeOfOrg(db, options.orgId, options.id);
  if (!found) throw notFound();
  const status = effectiveStatus(found.code);
  if (status !== "active" || found.code.source !== "manual")
    throw new AppError("CONFLICT", "只能修改控制台创建且尚未使用的小票码");
  const { codeInput } = await checkConsoleInput(ctx, options.orgId, options.input);
  const prepared = await prepareReceiptCode(ctx, {
    actor,
    orgId: options.orgId,
    source: "manual",
    input: codeInput,
  });
  const { createdBy: _keepCreator, ...values } = prepared.fields;
  await db
    .transaction(async (tx) => {
      const replaced = await replaceUnusedReceiptCode(
        tx,
        options.id,
        values,
        receiptCodeLineRows(options.id, prepared.computed),
      );
      if (!replaced) throw new AppError("CONFLICT", "该小票码已被使用，不能再修改");
      await recordAudit(tx, {
        actor,
        orgId: options.orgId,
        action: "receipt_code.update",
        entityType: "receipt_code",
        entityId: options.id,
        details: { serialNo: values.serialNo, totalAmount: values.totalAmount },
      });
    })
    .catch((e) => {
      if (isUniqueViolation(e, "receipt_codes_org_serial_key"))
        throw new AppError("CONFLICT", "小票流水号已存在", { fields: { serialNo: "该小票流水号已存在" } });
      throw e;
    });
  return getReceiptCodeForConsole(ctx, { actor, orgId: options.orgId, id: options.id });
}

/** 禁用: a disabled code can no longer be invoiced; an invoiced (or issuing) one cannot be disabled. */
export async function disableReceiptCodeForConsole(
  ctx: Pick<AppContext, "database" | "config">,
  options: { actor: Actor; orgId: string; id: string; now?: Date },
): Promise<ReceiptCodeDetail> {
  const actor = requireOrg(options.actor, options.orgId, "operate");
  const { db } = ctx.database;
  const now = options.now ?? new Date();
  const found = await findReceiptCodeOfOrg(db, options.orgId, options.id);
  if (!found) throw notFound();
  if (found.code.status !== "disabled") {
    await db.transaction(async (tx) => {
      if (!(await disableReceiptCodeRow(tx, options.id, now)))
        throw new AppError("ALREADY_INVOICED", "该小票码已开票（或正在开票），不能禁用");
      await recordAudit(tx, {
        actor,
        orgId: options.orgId,
        action: "receipt_code.disable",
        entityType: "receipt_code",
        entityId: options.id,
        details: { serialNo: found.code.serialNo },
      });
    });
  }
  return getReceiptCodeForConsole(ctx, { actor, orgId: options.orgId, id: options.id, now });
}
