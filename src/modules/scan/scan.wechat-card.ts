import { eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import { invoices, orgIntegrations } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { consumerUrl } from "../../platform/web";
import { isIssued } from "../invoices/invoice-status";
import { findInvoiceLines, findInvoicesOfCode, type InvoiceRow } from "../invoices/invoices.repository";
import { openIntegrations } from "../organizations/organizations.integrations";
import {
  type CardAccount,
  type CardInvoice,
  type CardState,
  cardStates,
  completeInvoiceCard,
  invoiceOfOrder,
  startInvoiceCard,
} from "../wechat/invoice-card";
import type { ScanView } from "./scan.schema";
import { getViewableCode } from "./scan.service";

type CardContext = Pick<AppContext, "database" | "config" | "keyring" | "providers" | "log">;

/**
 * 加入微信卡包 on the consumer's result page (CHANNELS.md §5): offered for an issued invoice of an
 * organization whose 公众号 has the 电子发票 plugin configured, inside WeChat only (the page checks
 * the user agent). The flow itself is modules/wechat/invoice-card.ts; here the code, its invoice
 * and its PDF are found for it. Only a blue invoice not reversed can be added: a red invoice is no
 * card, and a reversed one (in full or in part) has its card voided (invoice-card.ts), never added.
 */

/** A card on the page: shown for a blue invoice still whole, or whose card is (being) voided. */
function shownCard(invoice: ScanView["invoices"][number], status: CardState["status"]): boolean {
  if (invoice.color !== "blue" || !invoice.number || !invoice.pdfUrl) return false;
  return invoice.status === "issued" || status === "voiding" || status === "voided";
}

/** Each issued invoice of a re-scan with its 卡包 state, when the organization offers 卡包. */
export async function withCards(ctx: Pick<AppContext, "database">, view: ScanView): Promise<ScanView> {
  const first = view.invoices[0];
  if (!first) return view;
  const [org] = await ctx.database.db
    .select({ sPappid: orgIntegrations.wechatInvoiceSPappid, cardId: orgIntegrations.wechatInvoiceCardId })
    .from(invoices)
    .innerJoin(orgIntegrations, eq(orgIntegrations.orgId, invoices.orgId))
    .where(eq(invoices.id, first.id));
  if (!org?.sPappid || !org.cardId) return view;
  const states = await cardStates(
    ctx,
    view.invoices.map((i) => i.id),
  );
  return {
    ...view,
    invoices: view.invoices.map((i) => {
      const status = states.get(i.id)?.status ?? "none";
      return shownCard(i, status) ? { ...i, wechatCard: { status } } : i;
    }),
  };
}

async function cardTarget(
  ctx: CardContext,
  token: string,
  invoiceId: string,
  options: { start?: boolean } = {},
): Promise<{ account: CardAccount; invoice: CardInvoice }> {
  const code = await getViewableCode(ctx, token);
  const row = (await findInvoicesOfCode(ctx.database.db, code.id)).find((i) => i.id === invoiceId);
  if (!row) throw new AppError("INVOICE_NOT_FOUND");
  if (!isIssued(row.status) || !row.number || !row.issuedAt)
    throw new AppError("CONFLICT", "发票尚未开具，不能加入微信卡包");
  if (row.color !== "blue") throw new AppError("CONFLICT", "红字发票不能加入微信卡包");
  if (options.start && row.status !== "issued")
    throw new AppError("CONFLICT", "这张发票已红冲，不能加入微信卡包");
  const { wechat } = await openIntegrations(ctx, code.orgId);
  if (!wechat?.invoice) throw new AppError("NOT_FOUND", "该商户未开通微信卡包");
  return { account: { ...wechat, invoice: wechat.invoice }, invoice: await cardInvoice(ctx, row) };
}

async function cardInvoice(ctx: Pick<AppContext, "database">, row: InvoiceRow): Promise<CardInvoice> {
  const lines = await findInvoiceLines(ctx.database.db, row.id);
  return {
    id: row.id,
    orgId: row.orgId,
    number: row.number ?? "",
    issuedAt: row.issuedAt ?? row.createdAt,
    buyerName: row.buyerName,
    totalAmount: row.totalAmount,
    amountExcludingTax: row.amountExcludingTax,
    taxAmount: row.taxAmount,
    lines: lines
      .filter((l) => l.kind !== "discount")
      .map((l) => ({ name: l.name, quantity: l.quantity, unit: l.unit, unitPrice: l.unitPrice })),
  };
}

const pdfOf = (ctx: CardContext, invoiceId: string) => async () => {
  const pdf = await ctx.providers.files.get(invoiceId, "pdf");
  if (!pdf) throw new AppError("SERVICE_UNAVAILABLE", "发票文件暂不可用，请稍后再试");
  return pdf;
};

/** The authorisation page to open; WeChat brings the user back to the result page afterwards. */
export async function startCardForToken(
  ctx: CardContext,
  token: string,
  invoiceId: string,
): Promise<{ authUrl: string; state: CardState }> {
  const { account, invoice } = await cardTarget(ctx, token, invoiceId, { start: true });
  return startInvoiceCard(ctx, {
    account,
    invoice,
    redirectUrl: `${consumerUrl(ctx, token)}?wxcard=${encodeURIComponent(invoiceId)}`,
  });
}

/** Back from WeChat (or asked again): finishes the card when the user authorised it. */
export async function checkCardForToken(
  ctx: CardContext,
  token: string,
  invoiceId: string,
): Promise<CardState> {
  const { account, invoice } = await cardTarget(ctx, token, invoiceId);
  return completeInvoiceCard(ctx, { account, invoice, pdf: pdfOf(ctx, invoice.id) });
}

/**
 * WeChat's `user_authorize_invoice` event for the 公众号 (SuccOrderId / FailOrderId), posted to
 * `/wechat/card-events/{orgId}`. Not believed: it only makes us ask getauthdata about an order of
 * ours of that organization, as the page's check would. Unknown orders change nothing.
 */
export async function answerCardEvent(
  ctx: CardContext,
  orgId: string,
  xml: string,
): Promise<CardState | null> {
  const orderId = /<(?:SuccOrderId|FailOrderId)>\s*(?:<!\[CDATA\[)?([\w-]{1,64})(?:\]\]>)?\s*<\//.exec(
    xml,
  )?.[1];
  if (!orderId) return null;
  const order = await invoiceOfOrder(ctx, orderId);
  if (!order || order.orgId !== orgId) return null;
  const [row] = await ctx.database.db.select().from(invoices).where(eq(invoices.id, order.invoiceId));
  if (!row?.number) return null;
  const { wechat } = await openIntegrations(ctx, orgId);
  if (!wechat?.invoice) return null;
  return completeInvoiceCard(ctx, {
    account: { ...wechat, invoice: wechat.invoice },
    invoice: await cardInvoice(ctx, row),
    pdf: pdfOf(ctx, row.id),
  });
}
