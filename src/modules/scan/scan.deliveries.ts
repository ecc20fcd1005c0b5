import { asc, inArray } from "drizzle-orm";
import type { AppContext } from "../../context";
import { deliveries } from "../../platform/db/schema";
import { maskEmail, maskMobile } from "./masking";
import type { ScanView } from "./scan.schema";
import { withCards } from "./scan.wechat-card";

type DeliveryView = NonNullable<ScanView["invoices"][number]["deliveries"]>[number];

/** A delivery's stored status as the consumer reads it (the re-scan and 我的发票). */
export const CONSUMER_STATUS: Record<string, DeliveryView["status"]> = {
  sent: "sent",
  failed: "failed",
  bounced: "bounced",
  // An SMS the provider reported delivered to the handset.
  delivered: "sent",
};

/**
 * Each invoice of a re-scan with where it was sent and how that went (sent, failed, returned, on its way),
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
      bouncedAt: deliveries.bouncedAt,
      updatedAt: deliveries.updatedAt,
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
      status: CONSUMER_STATUS[r.status] ?? "pending",
      at: (r.status === "failed" ? r.updatedAt : (r.bouncedAt ?? r.sentAt ?? r.createdAt)).toISOString(),
    });
    byInvoice.set(r.invoiceId, list);
  }
  // And each issued invoice's 微信卡包 state, when the organization offers 卡包.
  return withCards(ctx, {
    ...view,
    invoices: view.invoices.map((i) => ({ ...i, deliveries: byInvoice.get(i.id) ?? [] })),
  });
}
