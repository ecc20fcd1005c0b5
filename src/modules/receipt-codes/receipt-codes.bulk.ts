import { and, asc, eq, gt, inArray, or } from "drizzle-orm";
import type { Actor, AppContext } from "../../context";
import type { BulkOutcome } from "../../platform/console-schemas";
import type { DbOrTx } from "../../platform/db/client";
import {
  invoices,
  receiptCodeLines,
  receiptCodes,
  submissionCodes,
  submissions,
} from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { auditTrailOf } from "../audit/audit.console";
import { recordAudits } from "../audit/audit.service";
import { requireOrg } from "../auth/access";
import { renderReceiptSlipSheetPdf } from "../documents";
import { getOrganizationByIdOrTaxId } from "../organizations/organizations.service";
import { DISABLEABLE, effectiveStatus, REFUSED_DISABLE } from "./receipt-code-status";
import { findReceiptCodeOfOrg } from "./receipt-codes.console.repository";
import type { ReceiptCodeHistory } from "./receipt-codes.console.schema";
import { slipOf } from "./receipt-codes.print.service";
import type { ReceiptCodeRow } from "./receipt-codes.repository";

/**
 * The code list's bulk actions (批量禁用, 批量打印) and a code's history for its 详情 drawer. A bulk
 * action names every code it takes: one that is not the organization's refuses the whole request
 * (404, the ids in `details.ids`) before anything changes.
 */

async function codesOfOrg(db: DbOrTx, orgId: string, ids: readonly string[]): Promise<ReceiptCodeRow[]> {
  const rows = await db
    .select()
    .from(receiptCodes)
    .where(and(eq(receiptCodes.orgId, orgId), inArray(receiptCodes.id, [...ids])));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const missing = ids.filter((id) => !byId.has(id));
  if (missing.length > 0)
    throw new AppError("NOT_FOUND", `有 ${missing.length} 个小票码不存在`, { ids: missing });
  return ids.map((id) => byId.get(id) as ReceiptCodeRow);
}

/**
 * 批量禁用: every code of the list that may be disabled is, in one conditional statement (a submit
 * racing with it either finds the code disabled or the update skips it), each with its audit entry;
 * the others are answered with the reason they were left.
 */
export async function disableReceiptCodesForConsole(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string; ids: readonly string[]; now?: Date },
): Promise<BulkOutcome> {
  const actor = requireOrg(options.actor, options.orgId, "operate");
  const now = options.now ?? new Date();
  const { db } = ctx.database;
  const codes = await codesOfOrg(db, options.orgId, options.ids);
  const done = await db.transaction(async (tx) => {
    const updated = await tx
      .update(receiptCodes)
      .set({ status: "disabled", disabledAt: now, updatedAt: now })
      .where(
        and(
          eq(receiptCodes.orgId, options.orgId),
          inArray(receiptCodes.id, [...options.ids]),
          inArray(receiptCodes.status, DISABLEABLE),
        ),
      )
      .returning({ id: receiptCodes.id });
    const ids = new Set(updated.map((u) => u.id));
    await recordAudits(
      tx,
      codes
        .filter((c) => ids.has(c.id))
        .map((c) => ({
          actor,
          orgId: options.orgId,
          action: "receipt_code.disable",
          entityType: "receipt_code",
          entityId: c.id,
          details: { serialNo: c.serialNo, bulk: true },
        })),
    );
    return ids;
  });
  // The reason for one left as it was is read after the update: a submit may have moved it meanwhile.
  const after = new Map(
    (
      await codesOfOrg(
        db,
        options.orgId,
        codes.filter((c) => !done.has(c.id)).map((c) => c.id),
      )
    ).map((c) => [c.id, c]),
  );
  return {
    done: codes.filter((c) => done.has(c.id)).map((c) => ({ id: c.id, label: c.serialNo })),
    skipped: codes
      .filter((c) => !done.has(c.id))
      .map((c) => {
        const status = after.get(c.id)?.status ?? c.status;
        return { id: c.id, label: c.serialNo, reason: REFUSED_DISABLE[status] ?? "不能禁用" };
      }),
  };
}

/**
 * 批量打印: the slips of the codes, in the order given, on A4 sheets (several to a page). A disabled
 * code is refused (409, its serial numbers named) as a single print refuses it: its QR leads nowhere.
 */
export async function printReceiptSlipSheet(
  ctx: Pick<AppContext, "database" | "config">,
  options: { actor: Actor; orgId: string; ids: readonly string[] },
): Promise<Buffer> {
  const actor = requireOrg(options.actor, options.orgId, "operate");
  const { db } = ctx.database;
  const codes = await codesOfOrg(db, options.orgId, options.ids);
  const disabled = codes.filter((c) => effectiveStatus(c) === "disabled");
  if (disabled.length > 0)
    throw new AppError(
      "CONFLICT",
      `已禁用的小票码不能打印：${disabled
        .slice(0, 5)
        .map((c) => c.serialNo)
        .join("、")}${disabled.length > 5 ? ` 等 ${disabled.length} 个` : ""}`,
      { ids: disabled.map((c) => c.id) },
    );
  const org = await getOrganizationByIdOrTaxId(ctx, options.orgId);
  const lines = await db
    .select()
    .from(receiptCodeLines)
    .where(inArray(receiptCodeLines.receiptCodeId, [...options.ids]))
    .orderBy(asc(receiptCodeLines.receiptCodeId), asc(receiptCodeLines.position));
  const pdf = await renderReceiptSlipSheetPdf(
    codes.map((c) =>
      slipOf(
        ctx,
        org.name,
        c,
        lines.filter((l) => l.receiptCodeId === c.id),
      ),
    ),
  );
  await recordAudits(
    db,
    codes.map((c) => ({
      actor,
      orgId: options.orgId,
      action: "receipt_code.print",
      entityType: "receipt_code",
      entityId: c.id,
      details: { serialNo: c.serialNo, format: "A4", sheet: true },
    })),
  );
  return pdf;
}

/**
 * A code's history for its 详情: the audit entries about it and about its invoices (created,
 * printed, disabled, submitted, issued, refunded, reversed, resent…), its first scan, and — for a
 * code added to another's 合并开票 — the merge; with the invoices that invoice it (its own, or
 * those of the submission it joined).
 */
export async function receiptCodeHistoryForConsole(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string; id: string },
): Promise<ReceiptCodeHistory> {
  requireOrg(options.actor, options.orgId);
  const { db } = ctx.database;
  const found = await findReceiptCodeOfOrg(db, options.orgId, options.id);
  if (!found) throw new AppError("NOT_FOUND", "小票码不存在");
  const { code } = found;
  const joined = db
    .select({ id: submissionCodes.submissionId })
    .from(submissionCodes)
    .where(eq(submissionCodes.receiptCodeId, code.id));
  const [invoiceRows, merged] = await Promise.all([
    db
      .select()
      .from(invoices)
      .where(
        and(
          eq(invoices.orgId, options.orgId),
          or(eq(invoices.receiptCodeId, code.id), inArray(invoices.submissionId, joined)),
        ),
      )
      .orderBy(asc(invoices.createdAt), asc(invoices.id)),
    db
      .select({ at: submissions.createdAt, intoId: receiptCodes.id, intoSerialNo: receiptCodes.serialNo })
      .from(submissionCodes)
      .innerJoin(submissions, eq(submissions.id, submissionCodes.submissionId))
      .innerJoin(receiptCodes, eq(receiptCodes.id, submissions.receiptCodeId))
      .where(and(eq(submissionCodes.receiptCodeId, code.id), gt(submissionCodes.position, 0))),
  ]);
  const trail = await auditTrailOf(ctx, options.orgId, [
    { entityType: "receipt_code", ids: [code.id] },
    { entityType: "invoice", ids: invoiceRows.map((i) => i.id) },
  ]);
  const events: ReceiptCodeHistory["events"] = trail.map((e) => ({
    at: e.createdAt,
    action: e.action,
    actorType: e.actorType,
    actorName: e.actorName,
    details: e.details,
  }));
  if (!events.some((e) => e.action === "receipt_code.create"))
    events.push({
      at: code.createdAt.toISOString(),
      action: "receipt_code.create",
      actorType: "system",
      actorName: "系统",
      details: { serialNo: code.serialNo },
    });
  if (code.firstScannedAt)
    events.push({
      at: code.firstScannedAt.toISOString(),
      action: "receipt_code.first_scan",
      actorType: "consumer",
      actorName: "消费者",
      details: {},
    });
  for (const m of merged)
    events.push({
      at: m.at.toISOString(),
      action: "receipt_code.merged",
      actorType: "consumer",
      actorName: "消费者",
      details: { intoId: m.intoId, intoSerialNo: m.intoSerialNo },
    });
  events.sort((a, b) => a.at.localeCompare(b.at));
  return {
    events,
    invoices: invoiceRows.map((i) => ({
      id: i.id,
      number: i.number,
      color: i.color as "blue" | "red",
      status: i.status,
      invoiceType: i.invoiceType,
      buyerName: i.buyerName,
      totalAmount: i.totalAmount,
      taxAmount: i.taxAmount,
      issuedAt: i.issuedAt?.toISOString() ?? null,
    })),
  };
}
