import { createHash } from "node:crypto";
import type { Actor, AppContext } from "../../context";
import {
  type ComputedInvoice,
  computeInvoice,
  type InvoiceType,
  type LineInput,
  type OverLimitPolicy,
  planInvoices,
  trimDecimal,
  validateRemark,
} from "../../domain";
import type { Tx } from "../../platform/db/client";
import { isUniqueViolation } from "../../platform/db/errors";
import type { receiptCodes } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { newId, newToken } from "../../platform/ids";
import { FieldErrors, parseInput } from "../../platform/validation";
import { consumerUrl } from "../../platform/web";
import { recordAudit } from "../audit/audit.service";
import { effectiveStatus } from "./receipt-code-status";
import {
  findConfig,
  findDevice,
  findItemsByCode,
  findReceiptCodeBySerial,
  insertReceiptCode,
  type ReceiptCodeRow,
} from "./receipt-codes.repository";
import {
  type CreateReceiptCodeInput,
  createReceiptCodeInput,
  type ReceiptCodeStatus,
  type ReceiptLineInput,
} from "./receipt-codes.schema";

const DAY_MS = 24 * 60 * 60 * 1000;

export interface ReceiptCodeView {
  id: string;
  orgId: string;
  serialNo: string;
  source: string;
  status: ReceiptCodeStatus;
  token: string;
  /** 开票码, printed under the QR (typed on `/s`). */
  shortCode: string;
  url: string;
  expiresAt: string;
  totals: { amountExcludingTax: string; taxAmount: string; totalAmount: string };
  invoiceCount: number;
}

/**
 * Creates a receipt code (小票码) from the console, a pushed order or a signed link: resolves
 * item codes, computes every line and total with the rules engine, applies the organization's
 * 小票码配置 (allowed types, validity, limit and over-limit policy, default drawer) and stores it
 * with a fresh unguessable token. All problems are reported at once as field errors.
 */
export async function createReceiptCode(
  ctx: Pick<AppContext, "database" | "config">,
  options: {
    actor: Actor;
    orgId: string;
    source: "manual" | "push" | "link";
    input: CreateReceiptCodeInput;
    now?: Date;
    /** Run in the code's transaction once it is inserted (a pushed order's 门店码 match): its error undoes the code. */
    alsoInTransaction?: (tx: Tx, codeId: string) => Promise<void>;
  },
): Promise<ReceiptCodeView> {
  const { input, fields, computed, invoiceCount } = await prepareReceiptCode(ctx, options);
  const { db } = ctx.database;
  const id = newId("rc");
  const token = newToken();
  const row = { id, token, ...fields };
  let shortCode = "";
  await db
    .transaction(async (tx) => {
      shortCode = await insertReceiptCode(tx, row, receiptCodeLineRows(id, computed));
      await recordAudit(tx, {
        actor: options.actor,
        orgId: options.orgId,
        action: "receipt_code.create",
        entityType: "receipt_code",
        entityId: id,
        details: { serialNo: input.serialNo, source: options.source, totalAmount: row.totalAmount },
      });
      await options.alsoInTransaction?.(tx, id);
    })
    .catch((e) => {
      if (isUniqueViolation(e, "receipt_codes_org_serial_key")) {
        throw new AppError("CONFLICT", "小票流水号已存在", { fields: { serialNo: "该小票流水号已存在" } });
      }
      throw e;
    });
  return toView(ctx, { ...row, shortCode, status: "active" }, invoiceCount);
}

/** A receipt code checked and computed, not yet stored (no id, no token). */
export interface PreparedReceiptCode {
  input: ReturnType<typeof createReceiptCodeInput.parse>;
  fields: Omit<typeof receiptCodes.$inferInsert, "id" | "token"> & {
    amountExcludingTax: string;
    taxAmount: string;
    totalAmount: string;
  };
  computed: ComputedInvoice;
  invoiceCount: number;
}

/**
 * Everything createReceiptCode checks and computes, without storing: the console also uses it to
 * preview an invoice and to edit a code that is still unused. Throws the same errors.
 */
export async function prepareReceiptCode(
  ctx: Pick<AppContext, "database" | "config">,
  options: {
    actor: Actor;
    orgId: string;
    source: "manual" | "push" | "link";
    input: CreateReceiptCodeInput;
    now?: Date;
  },
): Promise<PreparedReceiptCode> {
  const input = parseInput(createReceiptCodeInput, options.input);
  const { db } = ctx.database;
  const now = options.now ?? new Date();
  const config = await findConfig(db, options.orgId);
  if (!config) throw new AppError("NOT_FOUND", "该组织尚未配置小票码（小票码配置）");

  const errors = new FieldErrors();
  const invoiceTypes = (input.invoiceTypes ?? config.invoiceTypes) as InvoiceType[];
  for (const [i, t] of invoiceTypes.entries()) {
    if (!config.invoiceTypes.includes(t)) errors.add(`invoiceTypes[${i}]`, "该票种不在本组织的可开票类型中");
  }
  const defaultInvoiceType =
    input.defaultInvoiceType ??
    (invoiceTypes.includes(config.defaultInvoiceType as InvoiceType)
      ? (config.defaultInvoiceType as InvoiceType)
      : invoiceTypes[0]);
  if (!defaultInvoiceType || !invoiceTypes.includes(defaultInvoiceType)) {
    errors.add("defaultInvoiceType", "默认发票种类必须是可选票种之一");
  }

  let deviceId: string | null = null;
  if (input.deviceNo) {
    const device = await findDevice(db, options.orgId, input.deviceNo);
    if (!device?.isActive) errors.add("deviceNo", "设备编号未登记");
    else deviceId = device.id;
  }
  const drawer = input.drawer || config.defaultDrawer;
  if (!drawer) errors.add("drawer", "请填写开票人");
  const remark = validateRemark(input.remark ?? "", "remark");
  if (!remark.ok) for (const issue of remark.issues) errors.add(issue.path, issue.message);

  let expiresAt: Date;
  if (input.expiresAt) {
    expiresAt = new Date(input.expiresAt);
    if (expiresAt.getTime() <= now.getTime()) errors.add("expiresAt", "有效期必须晚于现在");
  } else {
    expiresAt = new Date(now.getTime() + (input.validDays ?? config.validDays) * DAY_MS);
  }

  const lines = await resolveItemLines(ctx, options.orgId, input.lines, errors);
  const computed = computeInvoice({ priceIncludesTax: input.priceIncludesTax ?? true, lines });
  if (!computed.ok) for (const issue of computed.issues) errors.add(issue.path || "lines", issue.message);
  errors.throwIfAny();
  if (!computed.ok) throw new Error("unreachable");

  const plan = planInvoices(computed.value, {
    limit: config.limitText,
    policy: config.overLimitPolicy as OverLimitPolicy,
  });
  if (!plan.ok) {
    const over = plan.issues.find((i) => i.code === "AMOUNT_OVER_LIMIT");
    if (over) throw new AppError("AMOUNT_OVER_LIMIT", over.message, { ...over.details });
    throw AppError.validation(Object.fromEntries(plan.issues.map((i) => [i.path || "lines", i.message])));
  }

  const fields = {
    orgId: options.orgId,
    serialNo: input.serialNo,
    source: options.source,
    contentHash: contentHash(input),
    deviceId,
    taxAccountId: input.taxAccountId ?? config.defaultTaxAccountId,
    invoiceTypes,
    defaultInvoiceType: defaultInvoiceType as InvoiceType,
    priceIncludesTax: computed.value.priceIncludesTax,
    orderTime: input.orderTime ? new Date(input.orderTime) : null,
    expiresAt,
    receiptFooter: input.receiptFooter ?? "",
    drawer,
    payee: input.payee || config.defaultPayee,
    reviewer: input.reviewer || config.defaultReviewer,
    remark: input.remark ?? "",
    notifyEmail: input.notify?.email || null,
    notifyMobile: input.notify?.mobile || null,
    status: "active",
    ...computed.value.totals,
    createdBy: options.actor.type === "user" ? options.actor.userId : null,
  };
  return { input, fields, computed: computed.value, invoiceCount: plan.value.invoices.length };
}

export function toView(
  ctx: Pick<AppContext, "config">,
  row: Pick<
    ReceiptCodeRow,
    | "id"
    | "orgId"
    | "serialNo"
    | "source"
    | "status"
    | "token"
    | "shortCode"
    | "expiresAt"
    | "amountExcludingTax"
    | "taxAmount"
    | "totalAmount"
  >,
  invoiceCount: number,
  now = new Date(),
): ReceiptCodeView {
  return {
    id: row.id,
    orgId: row.orgId,
    serialNo: row.serialNo,
    source: row.source,
    status: effectiveStatus(row, now),
    token: row.token,
    shortCode: row.shortCode,
    url: consumerUrl(ctx, row.token),
    expiresAt: row.expiresAt.toISOString(),
    totals: {
      amountExcludingTax: row.amountExcludingTax,
      taxAmount: row.taxAmount,
      totalAmount: row.totalAmount,
    },
    invoiceCount,
  };
}

export async function findReceiptCodeBySerialNo(
  ctx: Pick<AppContext, "database">,
  orgId: string,
  serialNo: string,
): Promise<ReceiptCodeRow | undefined> {
  return findReceiptCodeBySerial(ctx.database.db, orgId, serialNo);
}

/** Lines naming an `itemCode` take the item's name, short name, tax code, rate, spec and unit unless given. */
async function resolveItemLines(
  ctx: Pick<AppContext, "database">,
  orgId: string,
  lines: ReceiptLineInput[],
  errors: FieldErrors,
): Promise<LineInput[]> {
  const codes = [...new Set(lines.flatMap((l) => (l.itemCode ? [l.itemCode] : [])))];
  const itemsByCode = await findItemsByCode(ctx.database.db, orgId, codes);
  return lines.map((line, i) => {
    const { itemCode, ...rest } = line;
    if (rest.kind === "discount") return rest as LineInput;
    if (!itemCode) return rest as LineInput;
    const item = itemsByCode.get(itemCode);
    if (!item) {
      errors.add(`lines[${i}].itemCode`, `开票项 ${itemCode} 不存在`);
      return rest as LineInput;
    }
    return {
      name: item.name,
      shortName: item.shortName,
      taxCode: item.taxCode,
      taxRate: trimDecimal(item.taxRate),
      zeroRateKind: (item.zeroRateKind ?? undefined) as LineInput["zeroRateKind"],
      spec: item.spec || undefined,
      unit: item.unit || undefined,
      ...stripUndefined(rest),
    } as LineInput;
  });
}

export function receiptCodeLineRows(receiptCodeId: string, computed: ComputedInvoice) {
  return computed.lines.map((l, position) => ({
    id: newId("rcl"),
    receiptCodeId,
    position,
    kind: l.kind,
    name: l.name,
    shortName: l.shortName,
    taxCode: l.taxCode,
    taxRate: l.taxRate,
    zeroRateKind: l.zeroRateKind,
    spec: l.spec,
    unit: l.unit,
    quantity: l.quantity,
    unitPrice: computed.priceIncludesTax ? l.unitPriceIncludingTax : l.unitPrice,
    amount: computed.priceIncludesTax ? l.amountIncludingTax : l.amountExcludingTax,
    amountExcludingTax: l.amountExcludingTax,
    tax: l.tax,
    amountIncludingTax: l.amountIncludingTax,
  }));
}

/** The request as a stable hash: the same order pushed again with the same content is recognised. */
export function contentHash(input: unknown): string {
  return createHash("sha256").update(stableJson(input)).digest("hex");
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
