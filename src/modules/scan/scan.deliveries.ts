import { asc, inArray } from "drizzle-orm";
import type { AppContext } from "../../context";
import { deliveries } from "../../platform/db/schema";
import { maskEmail, maskMobile } from "./masking";
import type { ScanView } from "./scan.schema";

type DeliveryView = NonNullable<ScanView["invoices"][number]["deliveries"]>[number];

/**
 * Each invoice of a re-scan with where it was sent and how that went (sent, failed, on its way),
 * recipients masked like the rest of the view: the consumer sees a failed e-mail and can resend
 * instead of waiting for one that never comes. Read only when the code has invoices.
 */
export async function withDeliveries(ctx: Pick<AppContext, "database">, view: ScanView): Promise<ScanView> {
  if (view.invoices.length === 0) return view;
  const rows = await ctx.database.db
    .select({
      invoiceId: deliveries.invoiceId,
      channel: deliveries.channel,
      recipient: deliveries.recipient,
      status: deliveries.status,
      sentAt: deliveries.sentAt,
      createdAt: deliveries.createdAt,
    })
    .from(deliveries)
    .where(
      inArray(
        deliveries.invoiceId,
        view.invoices.map((i) => i.id),
      ),
    )
    .orderBy(asc(deliveries.createdAt));
  const byInvoice = new Map<string, DeliveryView[]>();
  for (const r of rows) {
    const channel = r.channel === "sms" ? "sms" : "email";
    const list = byInvoice.get(r.invoiceId) ?? [];
    list.push({
      channel,
      to: (channel === "sms" ? maskMobile(r.recipient) : maskEmail(r.recipient)) ?? "",
      status: r.status === "sent" ? "sent" : r.status === "failed" ? "failed" : "pending",
      at: (r.sentAt ?? r.createdAt).toISOString(),
    });
    byInvoice.set(r.invoiceId, list);
  }
  return { ...view, invoices: view.invoices.map((i) => ({ ...i, deliveries: byInvoice.get(i.id) ?? [] })) };
}
