import { and, count, eq, inArray, sql } from "drizzle-orm";
import type { Actor, AppContext } from "../../context";
import { formatAmount } from "../../domain";
import type { BulkOutcome } from "../../platform/console-schemas";
import type { DbOrTx } from "../../platform/db/client";
import { devices, invoices, receiptCodes } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { writeZip } from "../../platform/zip-writer";
import { recordAudits } from "../audit/audit.service";
import { requireOrg, requireOrgScope } from "../auth/access";
import { createDeliveries, deliverNow } from "../deliveries/deliveries.service";
import { isIssued } from "./invoice-status";
import { invoiceConditions } from "./invoices.console.repository";
import type { InvoiceFilter, InvoiceSummary } from "./invoices.console.schema";
import type { InvoiceRow } from "./invoices.repository";

/**
 * 发票管理's bulk work: the 合计 of the filtered list, and the actions on the invoices ticked
 * (导出所选 goes through the export with `ids`, 批量重新发送, 批量下载 PDF). An action names every
 * invoice it takes: one that is not the organization's refuses the whole request (404, the ids in
 * `details.ids`) before anything is done.
 */

/** 合计 of the whole filtered list (not a page): count and the sums, red invoices counted negative. */
export async function summarizeInvoicesForConsole(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId?: string; filter: InvoiceFilter },
): Promise<InvoiceSummary> {
  const orgIds = requireOrgScope(options.actor, options.orgId);
  const [row] = await ctx.database.db
    .select({
      count: count(),
      amountExcludingTax: sql<string>`coalesce(sum(${invoices.amountExcludingTax}), 0)::text`,
      taxAmount: sql<string>`coalesce(sum(${invoices.taxAmount}), 0)::text`,
      totalAmount: sql<string>`coalesce(sum(${invoices.totalAmount}), 0)::text`,
    })
    .from(invoices)
    .innerJoin(receiptCodes, eq(receiptCodes.id, invoices.receiptCodeId))
    .leftJoin(devices, eq(devices.id, receiptCodes.deviceId))
    .where(invoiceConditions(orgIds, options.filter));
  return {
    count: Number(row?.count ?? 0),
    amountExcludingTax: formatAmount(row?.amountExcludingTax ?? "0"),
    taxAmount: formatAmount(row?.taxAmount ?? "0"),
    totalAmount: formatAmount(row?.totalAmount ?? "0"),
  };
}

/** The invoices of the organization with these ids, in the order given; any other id refuses all. */
export async function invoicesOfOrg(
  db: DbOrTx,
  orgId: string,
  ids: readonly string[],
): Promise<InvoiceRow[]> {
  const rows = await db
    .select()
    .from(invoices)
    .where(and(eq(invoices.orgId, orgId), inArray(invoices.id, [...ids])));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const missing = ids.filter((id) => !byId.has(id));
  if (missing.length > 0)
    throw new AppError("INVOICE_NOT_FOUND", `有 ${missing.length} 张发票不存在`, { ids: missing });
  return ids.map((id) => byId.get(id) as InvoiceRow);
}

/** 导出所选: checks that every id is the organization's; the export then reads `{ ids }`. */
export async function requireInvoicesOfOrg(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string; ids: readonly string[] },
): Promise<void> {
  requireOrg(options.actor, options.orgId);
  await invoicesOfOrg(ctx.database.db, options.orgId, options.ids);
}

const label = (i: InvoiceRow) => i.number ?? i.id;

/**
 * 批量重新发送: each issued invoice again to the buyer's own e-mail and mobile (as 重新发送 does
 * with the buyer's address), queued with one audit entry each in one transaction; an invoice not
 * issued, or without an address, is left with the reason.
 */
export async function resendInvoicesForConsole(
  ctx: Pick<AppContext, "database" | "config" | "providers" | "jobs" | "log" | "deliveries" | "metrics">,
  options: { actor: Actor; orgId: string; ids: readonly string[] },
): Promise<BulkOutcome> {
  const actor = requireOrg(options.actor, options.orgId, "operate");
  const rows = await invoicesOfOrg(ctx.database.db, options.orgId, options.ids);
  const skipped: BulkOutcome["skipped"] = [];
  const sendable: InvoiceRow[] = [];
  for (const i of rows) {
    if (!i.number || !isIssued(i.status)) skipped.push({ id: i.id, label: label(i), reason: "尚未开具" });
    else if (!i.email && !i.mobile)
      skipped.push({ id: i.id, label: label(i), reason: "没有收票邮箱或手机号" });
    else sendable.push(i);
  }
  const deliveryIds = await ctx.database.db.transaction(async (tx) => {
    const ids: string[] = [];
    for (const i of sendable)
      ids.push(
        ...(await createDeliveries(ctx, tx, {
          invoiceIds: [i.id],
          email: i.email,
          mobile: i.mobile,
          reason: "operator",
        })),
      );
    await recordAudits(
      tx,
      sendable.map((i) => ({
        actor,
        orgId: options.orgId,
        action: "invoice.resend",
        entityType: "invoice",
        entityId: i.id,
        details: { number: i.number, email: i.email, mobile: i.mobile, bulk: true },
      })),
    );
    return ids;
  });
  deliverNow(ctx, deliveryIds);
  return { done: sendable.map((i) => ({ id: i.id, label: label(i) })), skipped };
}

/**
 * 批量下载 PDF: the issued invoices' PDFs in one zip (stored: PDFs are compressed already), named
 * by number, red ones marked; those without a PDF are listed in 未包含的发票.txt. None at all is 409.
 */
export async function invoicePdfZipForConsole(
  ctx: Pick<AppContext, "database" | "providers">,
  options: { actor: Actor; orgId: string; ids: readonly string[] },
): Promise<{ zip: Buffer; count: number }> {
  requireOrg(options.actor, options.orgId);
  const rows = await invoicesOfOrg(ctx.database.db, options.orgId, options.ids);
  const files: { name: string; data: Buffer; modifiedAt?: Date }[] = [];
  const left: string[] = [];
  for (const i of rows) {
    const pdf = i.number && isIssued(i.status) ? await ctx.providers.files.get(i.id, "pdf") : undefined;
    if (!pdf || !i.number) {
      left.push(`${label(i)}\t${i.number ? "PDF 文件不存在" : "尚未开具"}`);
      continue;
    }
    files.push({
      name: `${i.color === "red" ? "红字-" : ""}${i.number}.pdf`,
      data: pdf,
      modifiedAt: i.issuedAt ?? undefined,
    });
  }
  if (files.length === 0)
    throw new AppError("CONFLICT", "所选发票都没有可下载的 PDF（尚未开具）", { ids: [...options.ids] });
  if (left.length > 0)
    files.push({
      name: "未包含的发票.txt",
      data: Buffer.from(`\uFEFF以下发票没有 PDF，未包含在压缩包中：\r\n${left.join("\r\n")}\r\n`),
    });
  return { zip: writeZip(files), count: files.length - (left.length > 0 ? 1 : 0) };
}
