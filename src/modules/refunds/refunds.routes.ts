import { and, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import type { AppContext } from "../../context";
import { hidden, orgItemParams } from "../../platform/console-schemas";
import { invoices, receiptCodes } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import type { HttpServer } from "../../platform/http";
import { requireOrg } from "../auth/access";
import { actorOf } from "../auth/console-guard";
import { consoleRefund, REFUND_STATUS_LABELS, type RefundStatus } from "./refunds.schema";
import { findRefunds, refundViewOf } from "./refunds.service";

/** The console's refund lists: on a receipt code's page and on an invoice's. */
export function registerRefundConsoleRoutes(http: HttpServer, ctx: AppContext): void {
  const { db } = ctx.database;
  http.get(
    "/orgs/:orgId/receipt-codes/:id/refunds",
    {
      schema: {
        ...hidden,
        params: orgItemParams,
        response: { 200: z.object({ items: z.array(consoleRefund) }) },
      },
    },
    async (req) => {
      requireOrg(actorOf(req), req.params.orgId, "read");
      const [code] = await db
        .select()
        .from(receiptCodes)
        .where(and(eq(receiptCodes.id, req.params.id), eq(receiptCodes.orgId, req.params.orgId)));
      if (!code) throw new AppError("RECEIPT_CODE_NOT_FOUND");
      const rows = await findRefunds(db, { receiptCodeId: code.id });
      return {
        items: rows.map((r) => ({ ...refundViewOf(r, code), id: r.id, statusLabel: labelOf(r.status) })),
      };
    },
  );
  http.get(
    "/orgs/:orgId/invoices/:id/refunds",
    {
      schema: {
        ...hidden,
        params: orgItemParams,
        response: { 200: z.object({ items: z.array(consoleRefund) }) },
      },
    },
    async (req) => {
      requireOrg(actorOf(req), req.params.orgId, "read");
      const [invoice] = await db
        .select({ receiptCodeId: invoices.receiptCodeId })
        .from(invoices)
        .where(and(eq(invoices.id, req.params.id), eq(invoices.orgId, req.params.orgId)));
      if (!invoice) throw new AppError("INVOICE_NOT_FOUND");
      const rows = await findRefunds(db, { invoiceId: req.params.id });
      // Each under its own code: a merged invoice (合并开票) carries the refunds of several receipts.
      const ids = [...new Set([invoice.receiptCodeId, ...rows.map((r) => r.receiptCodeId)])];
      const codes = new Map(
        (await db.select().from(receiptCodes).where(inArray(receiptCodes.id, ids))).map((c) => [c.id, c]),
      );
      return {
        items: rows.map((r) => ({
          ...refundViewOf(r, codes.get(r.receiptCodeId)!),
          id: r.id,
          statusLabel: labelOf(r.status),
        })),
      };
    },
  );
}

function labelOf(status: string): string {
  return REFUND_STATUS_LABELS[status as RefundStatus] ?? status;
}
