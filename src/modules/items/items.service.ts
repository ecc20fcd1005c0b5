import type { Actor, AppContext } from "../../context";
import { taxRateLabel, trimDecimal, type ZeroRateKind } from "../../domain";
import { isUniqueViolation } from "../../platform/db/errors";
import { AppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { FieldErrors, parseInput } from "../../platform/validation";
import { recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";
import { readItemSheet } from "./items.import";
import {
  findItem,
  findItemsByCodes,
  findItemsPage,
  type ItemRow,
  insertItems,
  updateItemRow,
} from "./items.repository";
import { checkItem } from "./items.rules";
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

/**
 * Imports a CSV or Excel sheet: every row is checked first and any problem (at `rows[i].field`,
 * i counting data rows from 0) refuses the whole file; otherwise rows are created, or update the
 * item with the same code.
 */
export async function importItems(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string; fileName: string; data: Buffer },
): Promise<{ created: number; updated: number }> {
  const actor = requireOrg(options.actor, options.orgId, "administer");
  const records = await readItemSheet(options.fileName, options.data);
  if (records.length === 0) throw AppError.validation({ file: "文件中没有数据行" });
  const errors = new FieldErrors();
  const checked = records.map((record, i) => {
    const parsed = itemInput.safeParse({
      ...record,
      unitPrice: record.unitPrice || null,
      zeroRateKind: record.zeroRateKind || null,
    });
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        errors.add(`rows[${i}].${issue.path.join(".")}`, issue.message);
      return null;
    }
    return checkItem(parsed.data, errors, `rows[${i}].`);
  });
  // Duplicates are looked for in the raw rows, so a row that is also wrong otherwise is reported too.
  const seen = new Map<string, number>();
  records.forEach((record, i) => {
    const code = record.code ?? "";
    const first = seen.get(code);
    if (code && first !== undefined) errors.add(`rows[${i}].code`, `编码与第 ${first + 2} 行重复`);
    else seen.set(code, i);
  });
  errors.throwIfAny();
  const valid = checked.filter((x): x is NonNullable<typeof x> => x !== null);
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
      details: { fileName: options.fileName, created, updated },
    });
  });
  return { created, updated };
}
