import type { z } from "zod";
import type { Actor, AppContext } from "../../context";
import { chinaDateCompact, chinaDayStart, trimDecimal } from "../../domain";
import { isUniqueViolation } from "../../platform/db/errors";
import { AppError } from "../../platform/errors";
import { fieldPath } from "../../platform/http";
import { FieldErrors } from "../../platform/validation";
import { consumerUrl } from "../../platform/web";
import { recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";
import { isTaxAccountOfOrganization } from "../tax-accounts/tax-accounts.service";
import { effectiveStatus, notDisableableMessage } from "./receipt-code-status";
import {
  disableReceiptCodeRow,
  findReceiptCodeOfOrg,
  findReceiptCodesPage,
  highestSerialSequence,
  replaceUnusedReceiptCode,
} from "./receipt-codes.console.repository";
import {
  type ConsoleReceiptCodeInput,
  consoleReceiptCodeInput,
  type ReceiptCodeDetail,
  type ReceiptCodeListItem,
  type ReceiptCodeListQuery,
} from "./receipt-codes.console.schema";
import {
  findReceiptCodeBySerial,
  findReceiptCodeLines,
  type ReceiptCodeRow,
} from "./receipt-codes.repository";
import { receiptLineInput } from "./receipt-codes.schema";
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
    shortCode: code.shortCode,
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
/**
 * Every problem of a console form in one answer (issue 20): the shape problems (zod), the tax
 * account, a 小票流水号 already in use, and the order's rules (src/domain, through
 * prepareReceiptCode, run on whatever part of the form did have the right shape). Only a duplicate
 * 流水号 on its own keeps its own answer (CONFLICT, as before); anything else together is one
 * VALIDATION_FAILED with each problem at its field. `exceptId`: the code being edited, which may
 * keep its own number.
 */
export async function checkConsoleInput(
  ctx: Pick<AppContext, "database" | "config">,
  actor: Actor,
  orgId: string,
  input: unknown,
  /** The code being edited (it may keep its number); `false` for a preview, which stores nothing. */
  exceptId?: string | false,
) {
  const errors = new FieldErrors();
  const parsed = consoleReceiptCodeInput.safeParse(input);
  if (!parsed.success)
    for (const issue of parsed.error.issues)
      errors.add(fieldPath("", issue.path.map(String)) || "body", issue.message);
  const raw = (input && typeof input === "object" ? input : {}) as Record<string, unknown>;
  const usable = parsed.success ? parsed.data : salvage(raw);
  const { copiedFromId, ...codeInput } = usable;

  if (codeInput.taxAccountId && !(await isTaxAccountOfOrganization(ctx, orgId, codeInput.taxAccountId)))
    errors.add("taxAccountId", "电子税局账号不存在");
  let duplicate = false;
  if (exceptId !== false && typeof raw.serialNo === "string" && raw.serialNo.trim()) {
    const same = await findReceiptCodeBySerial(ctx.database.db, orgId, raw.serialNo.trim());
    if (same && same.id !== exceptId) {
      errors.add("serialNo", "该小票流水号已存在");
      duplicate = true;
    }
  }
  try {
    await prepareReceiptCode(ctx, { actor, orgId, source: "manual", input: codeInput });
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    const fields = e.details?.fields;
    if (fields) for (const [path, message] of Object.entries(fields)) errors.add(path, message);
    // A whole-order refusal (the limit, no configuration) is answered on its own once the fields are right.
    else if (errors.isEmpty) throw e;
  }
  if (duplicate && errors.size === 1)
    throw new AppError("CONFLICT", "小票流水号已存在", { fields: { serialNo: "该小票流水号已存在" } });
  errors.throwIfAny();
  if (!parsed.success) throw new Error("unreachable: a shape problem is a field error");
  return { codeInput: parsed.data as typeof codeInput, copiedFromId };
}

/**
 * The fields of a form that failed its shape check which do have the right shape, so the order's
 * rules can still be checked in the same answer. A line of the wrong shape stays in its place as
 * what did parse of it (the rules engine reads every line defensively), so line numbers keep.
 */
function salvage(raw: Record<string, unknown>): ConsoleReceiptCodeInput {
  const shape = consoleReceiptCodeInput.shape;
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(shape)) {
    if (raw[key] === undefined) continue;
    const one = (schema as z.ZodType).safeParse(raw[key]);
    if (one.success) out[key] = one.data;
  }
  if (!("lines" in out) && Array.isArray(raw.lines))
    out.lines = raw.lines.map((line) => {
      const fields: Record<string, unknown> = {};
      if (line && typeof line === "object")
        for (const [key, schema] of Object.entries(receiptLineInput.shape)) {
          const one = (schema as z.ZodType).safeParse((line as Record<string, unknown>)[key]);
          if (one.success && one.data !== undefined) fields[key] = one.data;
        }
      return fields;
    });
  // A placeholder where the number itself is wrong: its problem is reported already.
  if (typeof out.serialNo !== "string") out.serialNo = "PENDING";
  if (!Array.isArray(out.lines)) out.lines = [];
  return out as ConsoleReceiptCodeInput;
}

/** 保存 (and 新增（复制）): the code gets its token and URL. */
export async function createReceiptCodeForConsole(
  ctx: Pick<AppContext, "database" | "config">,
  options: { actor: Actor; orgId: string; input: unknown },
): Promise<ReceiptCodeView> {
  const actor = requireOrg(options.actor, options.orgId, "operate");
  const { codeInput, copiedFromId } = await checkConsoleInput(ctx, actor, options.orgId, options.input);
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
  const { codeInput } = await checkConsoleInput(ctx, actor, options.orgId, options.input, options.id);
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
        throw new AppError("ALREADY_INVOICED", notDisableableMessage(found.code.status, "该小票码"));
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

/**
 * A 小票流水号 for the console's form: device + China date + the next sequence of that device and
 * day among the organization's codes (POS-01-20260301-0008), or date + sequence without a device.
 * Only a suggestion the operator may change: two forms open at once get the same one, and the
 * second save is refused as a duplicate at its field like any other.
 */
export async function suggestSerialNo(
  ctx: Pick<AppContext, "database" | "providers">,
  options: { actor: Actor; orgId: string; deviceNo?: string },
): Promise<{ serialNo: string }> {
  requireOrg(options.actor, options.orgId);
  // A serial number holds visible ASCII only (createReceiptCodeInput): the device's other characters are left out.
  const device = (options.deviceNo ?? "").replace(/[^\x21-\x7E]/g, "").slice(0, 30);
  const prefix = `${device ? `${device}-` : ""}${chinaDateCompact(ctx.providers.clock())}-`;
  const next = (await highestSerialSequence(ctx.database.db, options.orgId, prefix)) + 1;
  return { serialNo: `${prefix}${String(next).padStart(4, "0")}` };
}
