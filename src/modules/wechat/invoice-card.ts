import { eq, inArray } from "drizzle-orm";
import type { AppContext } from "../../context";
import { amountInFen } from "../../domain";
import { wechatInvoiceCards } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { newNonceStr } from "./jssdk";
import type { WechatAnswer, WechatCredentials } from "./wechat.client";

/**
 * 加入微信卡包 (CHANNELS.md §5, 自建平台模式: the merchant's verified 公众号 with its 电子发票 plugin):
 * getauthurl for an order of ours → the user authorises in WeChat → (the event, or the page coming
 * back) → getauthdata says "auth success" → setpdf uploads the PDF (field `pdf`) → insert puts the
 * card in the user's 卡包. One row per invoice in `wechat_invoice_cards`; the consumer and the
 * operator read its state. Nothing here believes an event: completing always asks getauthdata.
 */

export type CardStatus = "none" | "authorizing" | "inserted" | "failed";

export interface CardState {
  status: CardStatus;
  /** Why the last step failed (WeChat's code and words), for the operator. */
  error: string | null;
  at: string | null;
}

/** A 公众号 with the 电子发票 plugin configured. */
export interface CardAccount extends WechatCredentials {
  invoice: { sPappid: string; cardId: string };
}

/** What a card shows: the issued invoice's facts (数电: no code, no check code). */
export interface CardInvoice {
  id: string;
  orgId: string;
  number: string;
  issuedAt: Date;
  buyerName: string;
  totalAmount: string;
  amountExcludingTax: string;
  taxAmount: string;
  lines: Array<{ name: string; quantity: string | null; unit: string; unitPrice: string | null }>;
}

type CardContext = Pick<AppContext, "database" | "providers" | "log">;
type CardRow = typeof wechatInvoiceCards.$inferSelect;

const CARD_USER_MESSAGE: Record<CardStatus, string> = {
  none: "未加入",
  authorizing: "授权中",
  inserted: "已加入",
  failed: "失败",
};

export { CARD_USER_MESSAGE };

function toState(row: CardRow | undefined): CardState {
  if (!row) return { status: "none", error: null, at: null };
  return {
    status: row.status as CardStatus,
    error: row.error,
    at: (row.insertedAt ?? row.updatedAt).toISOString(),
  };
}

/** The 卡包 state of each invoice (none when never asked). */
export async function cardStates(
  ctx: Pick<AppContext, "database">,
  invoiceIds: string[],
): Promise<Map<string, CardState>> {
  const out = new Map<string, CardState>();
  if (invoiceIds.length === 0) return out;
  const rows = await ctx.database.db
    .select()
    .from(wechatInvoiceCards)
    .where(inArray(wechatInvoiceCards.invoiceId, invoiceIds));
  for (const id of invoiceIds) out.set(id, toState(rows.find((r) => r.invoiceId === id)));
  return out;
}

async function rowOf(ctx: Pick<AppContext, "database">, invoiceId: string): Promise<CardRow | undefined> {
  const [row] = await ctx.database.db
    .select()
    .from(wechatInvoiceCards)
    .where(eq(wechatInvoiceCards.invoiceId, invoiceId));
  return row;
}

const describe = (answer: WechatAnswer) => `${answer.errcode ?? "?"} ${answer.errmsg ?? ""}`.trim();

/**
 * Starts (or resumes) adding an invoice to the user's 卡包: the authorisation page's address for
 * the consumer's browser. An invoice already added is a CONFLICT; one that failed gets a new order.
 */
export async function startInvoiceCard(
  ctx: CardContext,
  options: { account: CardAccount; invoice: CardInvoice; redirectUrl: string; now?: Date },
): Promise<{ authUrl: string; state: CardState }> {
  const { account, invoice } = options;
  const existing = await rowOf(ctx, invoice.id);
  if (existing?.status === "inserted") throw new AppError("CONFLICT", "这张发票已加入微信卡包");
  if (existing?.status === "authorizing" && existing.authUrl)
    return { authUrl: existing.authUrl, state: toState(existing) };
  const orderId = newId("wxo");
  const ticket = await ctx.providers.wechat.cardTicket(account);
  const answer = await ctx.providers.wechat.postJson(account, "/card/invoice/getauthurl", {
    s_pappid: account.invoice.sPappid,
    order_id: orderId,
    money: amountInFen(invoice.totalAmount),
    timestamp: Math.floor((options.now ?? new Date()).getTime() / 1000),
    source: "web",
    redirect_url: options.redirectUrl,
    ticket,
    type: 2,
  });
  if (answer.errcode || typeof answer.auth_url !== "string") {
    await saveRow(ctx, invoice, { orderId, status: "failed", error: `获取授权页失败：${describe(answer)}` });
    throw new AppError("SERVICE_UNAVAILABLE", "微信卡包暂时无法使用，请稍后再试", {
      wechatErrcode: answer.errcode ?? null,
    });
  }
  const row = await saveRow(ctx, invoice, {
    orderId,
    status: "authorizing",
    authUrl: answer.auth_url,
    error: null,
    sMediaId: null,
  });
  return { authUrl: answer.auth_url, state: toState(row) };
}

async function saveRow(
  ctx: Pick<AppContext, "database">,
  invoice: Pick<CardInvoice, "id" | "orgId">,
  values: Partial<CardRow> & { orderId: string; status: string },
): Promise<CardRow> {
  const now = new Date();
  const [row] = await ctx.database.db
    .insert(wechatInvoiceCards)
    .values({ id: newId("wxc"), invoiceId: invoice.id, orgId: invoice.orgId, ...values, updatedAt: now })
    .onConflictDoUpdate({ target: wechatInvoiceCards.invoiceId, set: { ...values, updatedAt: now } })
    .returning();
  return row!;
}

async function update(
  ctx: Pick<AppContext, "database">,
  id: string,
  values: Partial<CardRow>,
): Promise<CardRow> {
  const [row] = await ctx.database.db
    .update(wechatInvoiceCards)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(wechatInvoiceCards.id, id))
    .returning();
  return row!;
}

/** WeChat's codes for an insert that already happened (a repeat, or a crash after inserting). */
const ALREADY_INSERTED = 72042;

/**
 * Finishes an invoice's 卡包 request when the user has authorised it: asks getauthdata (never an
 * event's word), uploads the PDF once, inserts the card. Still waiting for the user: stays
 * authorizing. The user refused, or WeChat refused the card: failed, with WeChat's words. A
 * network failure leaves the state as it was and is SERVICE_UNAVAILABLE.
 */
export async function completeInvoiceCard(
  ctx: CardContext,
  options: { account: CardAccount; invoice: CardInvoice; pdf: () => Promise<Buffer> },
): Promise<CardState> {
  const { account, invoice } = options;
  let row = await rowOf(ctx, invoice.id);
  if (!row) return toState(undefined);
  if (row.status !== "authorizing") return toState(row);
  const wechat = ctx.providers.wechat;
  const auth = await wechat.postJson(account, "/card/invoice/getauthdata", {
    s_pappid: account.invoice.sPappid,
    order_id: row.orderId,
  });
  if (auth.errcode === 72038 || auth.invoice_status === "never auth") return toState(row);
  if (auth.errcode) throw new AppError("SERVICE_UNAVAILABLE", `微信授权查询失败：${describe(auth)}`);
  if (auth.invoice_status !== "auth success")
    return toState(
      await update(ctx, row.id, { status: "failed", error: `用户未授权（${auth.invoice_status}）` }),
    );
  if (!row.sMediaId) {
    const uploaded = await wechat.upload(account, "/card/invoice/platform/setpdf", {
      field: "pdf",
      filename: `${invoice.number}.pdf`,
      bytes: await options.pdf(),
    });
    if (uploaded.errcode || typeof uploaded.s_media_id !== "string")
      return toState(
        await update(ctx, row.id, { status: "failed", error: `上传 PDF 失败：${describe(uploaded)}` }),
      );
    row = await update(ctx, row.id, { sMediaId: uploaded.s_media_id });
  }
  const fee = amountInFen(invoice.totalAmount);
  const tax = amountInFen(invoice.taxAmount);
  const inserted = await wechat.postJson(account, "/card/invoice/insert", {
    order_id: row.orderId,
    card_id: account.invoice.cardId,
    appid: account.appId,
    card_ext: {
      nonce_str: newNonceStr(),
      user_card: {
        invoice_user_data: {
          fee,
          title: invoice.buyerName,
          billing_time: Math.floor(invoice.issuedAt.getTime() / 1000),
          // 数电: the 20-digit number; no invoice code, no check code (CHANNELS.md §5.3).
          billing_no: invoice.number,
          billing_code: "",
          check_code: "",
          fee_without_tax: fee - tax,
          tax,
          s_pdf_media_id: row.sMediaId,
          info: invoice.lines.map((l) => ({
            name: l.name,
            num: l.quantity ? Number(l.quantity) : undefined,
            unit: l.unit || undefined,
            price: l.unitPrice ? amountInFen(l.unitPrice) : undefined,
          })),
        },
      },
    },
  });
  if (!inserted.errcode || inserted.errcode === ALREADY_INSERTED) {
    return toState(
      await update(ctx, row.id, {
        status: "inserted",
        error: null,
        cardCode: typeof inserted.code === "string" ? inserted.code : row.cardCode,
        openid: typeof inserted.openid === "string" ? inserted.openid : row.openid,
        insertedAt: new Date(),
      }),
    );
  }
  ctx.log.warn({ invoiceId: invoice.id, answer: inserted }, "wechat card insert refused");
  return toState(await update(ctx, row.id, { status: "failed", error: `插卡失败：${describe(inserted)}` }));
}

/** The invoice an authorisation event's order names (SuccOrderId / FailOrderId), if it is ours. */
export async function invoiceOfOrder(
  ctx: Pick<AppContext, "database">,
  orderId: string,
): Promise<{ invoiceId: string; orgId: string } | undefined> {
  const [row] = await ctx.database.db
    .select({ invoiceId: wechatInvoiceCards.invoiceId, orgId: wechatInvoiceCards.orgId })
    .from(wechatInvoiceCards)
    .where(eq(wechatInvoiceCards.orderId, orderId));
  return row;
}
