import type { Actor, AppContext } from "../../context";
import { taxRateLabel, trimDecimal, type ZeroRateKind } from "../../domain";
import { isUniqueViolation } from "../../platform/db/errors";
import { AppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { FieldErrors, parseInput } from "../../platform/validation";
import { recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";
import { readItemSheetRows } from "./items.import";
import {
  findItem,
  findItemsByCodes,
  findItemsPage,
  type ItemRow,
  insertItems,
  updateItemRow,
} from "./items.repository";
import { type CheckedItem, checkItem } from "./items.rules";
import { type ItemOutput, itemInput } from "./items.schema";

export function toItemOutput(r: ItemRow): ItemOutput {
  return {
    id: r.id,
    orgId: r.orgId,
    code: r.code,
    name: r.name,
    shortName: r.shortName,
    taxCode: r.taxCode,
    taxRate: trimDecimal(r.taxRate),
    taxRateLabel: taxRateLabel(r.taxRate, r.zeroRateKind as ZeroRateKind | null),
    zeroRateKind: r.zeroRateKind,
    spec: r.spec,
    unit: r.unit,
    unitPrice: trimDecimal(r.unitPrice),
    priceIncludesTax: r.priceIncludesTax,
    isActive: r.isActive,
    updatedAt: r.updatedAt.toISOString(),
  };
}

const codeTaken = (path = "code") =>
  new AppError("CONFLICT", "开票项编码已存在", { fields: { [path]: "本组织已有该开票项编码" } });

/** 开票项 with a search over name, code, short name and tax code, a page at a time. */
export async function findItemsForConsole(
  ctx: Pick<AppContext, "database">,
  options: {
    actor: Actor;
    orgId: string;
    q?: string;
    includeInactive?: boolean;
    page: number;
    pageSize: number;
  },
) {
  requireOrg(options.actor, options.orgId);
  const { rows, total } = await findItemsPage(ctx.database.db, {
    orgId: options.orgId,
    q: options.q,
    includeInactive: options.includeInactive ?? false,
    offset: (options.page - 1) * options.pageSize,
    limit: options.pageSize,
  });
  return { items: rows.map(toItemOutput), total, page: options.page, pageSize: options.pageSize };
}

export async function saveItem(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string; id?: string; input: unknown },
): Promise<ItemOutput> {
  const actor = requireOrg(options.actor, options.orgId, "administer");
  const parsed = parseInput(itemInput, options.input);
  const errors = new FieldErrors();
  const item = checkItem(parsed, errors);
  errors.throwIfAny();
  if (!item) throw new Error("unreachable: checkItem reported no issue");
  const { db } = ctx.database;
  if (options.id && !(await findItem(db, options.orgId, options.id)))
    throw new AppError("NOT_FOUND", "开票项不存在");
  const id = options.id ?? newId("itm");
  await db
    .transaction(async (tx) => {
      if (options.id) await updateItemRow(tx, id, item);
      else await insertItems(tx, [{ id, orgId: options.orgId, ...item }]);
      await recordAudit(tx, {
        actor,
        orgId: options.orgId,
        action: options.id ? "item.update" : "item.create",
        entityType: "item",
        entityId: id,
        details: { code: item.code, name: item.name, taxRate: item.taxRate },
      });
    })
    .catch((e) => {
      throw isUniqueViolation(e, "items_org_code_key") ? codeTaken() : e;
    });
  const saved = await findItem(db, options.orgId, id);
  if (!saved) throw new Error("item vanished after save");
  return toItemOutput(saved);
}

/** One problem of one row of an import, for the error report. */
export interface ImportRowError {
  /** The row in the file (a CSV's line, the worksheet's row), counting from 1 with the header. */
  row: number;
  /** The column as the file titles it. */
  column: string;
  field: string;
  message: string;
}

const COLUMN_LABELS: Record<string, string> = {
  code: "编码",
  name: "项目名称",
  shortName: "税收分类简称",
  taxCode: "税收分类编码",
  taxRate: "税率",
  zeroRateKind: "零税率类型",
  spec: "规格型号",
  unit: "单位",
  unitPrice: "单价",
};

/**
 * Values that pass every rule, put in place of the fields that failed their shape so the rules of the
 * other fields can still be checked: a row's every problem is reported, not only its first.
 */
const NEUTRAL: Record<string, unknown> = {
  code: "X",
  name: "项目",
  shortName: "分类",
  taxCode: "3070401000000000000",
  taxRate: "0.06",
  zeroRateKind: null,
  spec: "",
  unit: "",
  unitPrice: null,
};

/** Every problem of one row (field, message), and the checked item when there is none. */
function checkImportRow(record: Record<string, string>): {
  problems: Array<{ field: string; message: string }>;
  item: CheckedItem | null;
} {
  const candidate: Record<string, unknown> = {
    ...record,
    unitPrice: record.unitPrice || null,
    zeroRateKind: record.zeroRateKind || null,
  };
  const problems: Array<{ field: string; message: string }> = [];
  const parsed = itemInput.safeParse(candidate);
  const failed = new Set<string>();
  let checkable = parsed.success ? parsed.data : null;
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path.map(String).join(".") || "code";
      failed.add(field);
      problems.push({ field, message: issue.message });
    }
    const patched = { ...candidate };
    for (const field of failed) patched[field] = NEUTRAL[field];
    const reparsed = itemInput.safeParse(patched);
    checkable = reparsed.success ? reparsed.data : null;
  }
  if (!checkable) return { problems, item: null };
  const errors = new FieldErrors();
  const item = checkItem(checkable, errors);
  // A rate that failed its shape makes the zero-rate kind's check meaningless.
  if (failed.has("taxRate")) failed.add("zeroRateKind");
  for (const [field, message] of errors.entries()) if (!failed.has(field)) problems.push({ field, message });
  return { problems, item: problems.length === 0 ? item : null };
}

/**
 * Imports a CSV or Excel sheet: every row is checked (every problem of every row is found). With a
 * problem anywhere the whole file is refused (422, at `rows[i].field`, i counting data rows from 0,
 * with the full list as `details.rowErrors`), unless `skipBadRows`: then the good rows are imported
 * and the bad ones reported in the answer. Rows are created, or update the item with the same code.
 */
export async function importItems(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string; fileName: string; data: Buffer; skipBadRows?: boolean },
): Promise<{ created: number; updated: number; skipped: number; errors: ImportRowError[] }> {
  const actor = requireOrg(options.actor, options.orgId, "administer");
  const sheet = await readItemSheetRows(options.fileName, options.data);
  const { records } = sheet;
  if (records.length === 0) throw AppError.validation({ file: "文件中没有数据行" });
  const checked = records.map(checkImportRow);
  // Duplicates are looked for in the raw rows, so a row that is also wrong otherwise is reported too.
  const seen = new Map<string, number>();
  records.forEach((record, i) => {
    const code = record.code ?? "";
    const first = seen.get(code);
    if (code && first !== undefined) {
      checked[i]!.problems.push({ field: "code", message: `编码与第 ${sheet.rowNumbers[first]} 行重复` });
      checked[i]!.item = null;
    } else seen.set(code, i);
  });
  const rowErrors: ImportRowError[] = checked.flatMap(({ problems }, i) =>
    problems.map((p) => ({
      row: sheet.rowNumbers[i]!,
      column: sheet.columns[p.field] ?? COLUMN_LABELS[p.field] ?? p.field,
      field: p.field,
      message: p.message,
    })),
  );
  if (rowErrors.length > 0 && !options.skipBadRows) {
    const fields: Record<string, string> = {};
    checked.forEach(({ problems }, i) => {
      for (const p of problems) fields[`rows[${i}].${p.field}`] ??= p.message;
    });
    throw new AppError("VALIDATION_FAILED", "导入文件有误，未保存任何数据", { fields, rowErrors });
  }
  const valid = checked.flatMap(({ item }) => (item ? [item] : []));
  const skipped = records.length - valid.length;
  const { db } = ctx.database;
  let created = 0;
  let updated = 0;
  await db.transaction(async (tx) => {
    const existing = new Map(
      (
        await findItemsByCodes(
          tx,
          options.orgId,
          valid.map((v) => v.code),
        )
      ).map((r) => [r.code, r]),
    );
    const fresh = [];
    for (const item of valid) {
      const old = existing.get(item.code);
      if (old) {
        await updateItemRow(tx, old.id, item);
        updated++;
      } else fresh.push({ id: newId("itm"), orgId: options.orgId, ...item });
    }
    await insertItems(tx, fresh);
    created = fresh.length;
    await recordAudit(tx, {
      actor,
      orgId: options.orgId,
      action: "item.import",
      entityType: "item",
      details: { fileName: options.fileName, created, updated, ...(skipped > 0 ? { skipped } : {}) },
    });
  });
  return { created, updated, skipped, errors: rowErrors };
}
