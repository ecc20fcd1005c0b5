import { and, eq, inArray, sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import { amountInFen } from "../../domain";
import type { DbOrTx } from "../../platform/db/client";
import { invoices, wechatInvoiceCards } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { newId } from "../../platform/ids";
import { REIMBURSE_CANCEL, WECHAT_CARD } from "./card.mapping";
import { newNonceStr } from "./jssdk";
import { type WechatAnswer, type WechatCredentials, WechatNoAnswerError } from "./wechat.client";

/**
 * 加入微信卡包 (CHANNELS.md §5, 自建平台模式: the merchant's verified 公众号 with its 电子发票 plugin):
 * getauthurl for an order of ours → the user authorises in WeChat → (the event, or the page coming
 * back) → getauthdata says "auth success" → setpdf uploads the PDF (field `pdf`) → insert puts the
 * card in the user's 卡包. One row per invoice in `wechat_invoice_cards`; the consumer and the
 * operator read its state. Nothing here believes an event: completing always asks getauthdata.
 *
 * 红冲 voids the card (CHANNELS.md §5.3; markCardsForVoid, voidInvoiceCard): the transaction that
 * saves an issued red invoice marks its blue invoice's inserted card `voiding`; the card-void sweep
 * (card-void.ts) calls updatestatus INVOICE_REIMBURSE_CANCEL until WeChat says it is done (`voided`).
 * A PARTIAL red (部分红冲) voids the card too: WeChat's card has no partial state and cannot change
 * its amount, so the card would still offer the consumer's employer the blue invoice's FULL 价税合计
 * for reimbursement, more than the invoice is now worth (the red invoice takes part of it back) —
 * the over-claim the void exists to prevent (updatestatus doc: 避免无效报销、重复报销). The consumer
 * keeps what the tax rules need to claim the rest: the blue invoice's PDF and the red invoice's
 * (both on the result page; the bureau's 查验 shows the blue one as 部分红冲). A reversed invoice, in
 * full or in part, is never added to the 卡包 again.
 */

export type CardStatus = "none" | "authorizing" | "inserted" | "failed" | "voiding" | "voided";

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
  voiding: "作废中",
  voided: "已作废",
};

export { CARD_USER_MESSAGE };

function toState(row: CardRow | undefined): CardState {
  if (!row) return { status: "none", error: null, at: null };
  return {
    status: row.status as CardStatus,
    error: row.error,
    at: (row.voidedAt ?? row.insertedAt ?? row.updatedAt).toISOString(),
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
  if (existing?.voidRedInvoiceId || existing?.status === "voiding" || existing?.status === "voided")
    throw new AppError("CONFLICT", "这张发票已红冲，不能加入微信卡包");
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

type CardUpdate = { [K in keyof CardRow]?: CardRow[K] | ReturnType<typeof sql> };

async function update(ctx: Pick<AppContext, "database">, id: string, values: CardUpdate): Promise<CardRow> {
  const [row] = await ctx.database.db
    .update(wechatInvoiceCards)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(wechatInvoiceCards.id, id))
    .returning();
  return row!;
}

/** The card's invoice is reversed, in full or in part (SQL on a wechat_invoice_cards row). */
const REVERSED_INVOICE = sql`exists (select 1 from ${invoices} where ${invoices.id} = ${wechatInvoiceCards.invoiceId} and ${invoices.status} in ('reversed', 'partially_reversed'))`;

async function isReversed(ctx: Pick<AppContext, "database">, invoiceId: string): Promise<boolean> {
  const [row] = await ctx.database.db
    .select({ id: invoices.id })
    .from(invoices)
    .where(and(eq(invoices.id, invoiceId), inArray(invoices.status, ["reversed", "partially_reversed"])));
  return Boolean(row);
}

/** WeChat's codes for an insert that already happened (a repeat, or a crash after inserting). */
const ALREADY_INSERTED = WECHAT_CARD.alreadyInserted;

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
  // Reversed while the user was authorising (markCardsForVoid marked the row, or — a start that
  // passed its check just before the red invoice committed — the invoice says so): no card goes in.
  if (row.voidRedInvoiceId || (await isReversed(ctx, invoice.id)))
    return toState(await update(ctx, row.id, { status: "failed", error: "发票已红冲，不再加入微信卡包" }));
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
    // Reversed while this insert was under way: the red invoice's transaction marked the row
    // (void_red_invoice_id, read here as it is when this statement runs, after that commit or with
    // its row lock), so the card just inserted goes straight to the card-void sweep.
    const reversed = sql`(${wechatInvoiceCards.voidRedInvoiceId} is not null or ${REVERSED_INVOICE})`;
    return toState(
      await update(ctx, row.id, {
        status: sql`case when ${reversed} then 'voiding' else 'inserted' end`,
        nextAttemptAt: sql`case when ${reversed} then now() else null end`,
        error: null,
        cardCode: typeof inserted.code === "string" ? inserted.code : row.cardCode,
        openid: typeof inserted.openid === "string" ? inserted.openid : row.openid,
        cardId: account.invoice.cardId,
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

/**
 * In the transaction that saves an issued red invoice (issuing.save.ts, after the blue row is
 * locked): its blue invoice's card is to be voided — one statement, so the need commits with the
 * red invoice or not at all. An inserted card turns `voiding`, due at once for the card-void sweep;
 * one still being authorised only keeps the mark (completeInvoiceCard then inserts nothing, or a
 * card inserted meanwhile goes to `voiding` itself). Any red invoice counts, partial ones too (see
 * the top of this file). The first red invoice is kept; a card voided already stays voided.
 */
export async function markCardsForVoid(
  tx: DbOrTx,
  reversal: { blueInvoiceId: string; redInvoiceId: string },
): Promise<void> {
  const inserted = sql`${wechatInvoiceCards.status} = 'inserted'`;
  await tx
    .update(wechatInvoiceCards)
    .set({
      voidRedInvoiceId: sql`coalesce(${wechatInvoiceCards.voidRedInvoiceId}, ${reversal.redInvoiceId})`,
      status: sql`case when ${inserted} then 'voiding' else ${wechatInvoiceCards.status} end`,
      nextAttemptAt: sql`case when ${inserted} then now() else ${wechatInvoiceCards.nextAttemptAt} end`,
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(wechatInvoiceCards.invoiceId, reversal.blueInvoiceId),
        inArray(wechatInvoiceCards.status, ["inserted", "authorizing"]),
      ),
    );
}

/** Longest wait between two void attempts: WeChat may be down for long, the need never expires. */
export const CARD_VOID_MAX_DELAY_SECONDS = 6 * 3600;

/** The wait after the n-th failed void attempt: `baseSeconds` doubled each time, at most 6 h. */
export function cardVoidDelaySeconds(baseSeconds: number, attempts: number): number {
  return Math.min(baseSeconds * 2 ** Math.max(0, attempts - 1), CARD_VOID_MAX_DELAY_SECONDS);
}

/**
 * Voids a `voiding` card (CHANNELS.md §5.3): `POST /card/invoice/platform/updatestatus` with the
 * 公众号's token (renewed once if stale, as every card call), `{card_id, code, reimburse_status:
 * INVOICE_REIMBURSE_CANCEL}`. errcode 0: `voided`. Anything else — no answer, WeChat down, a
 * refusal — keeps the card `voiding` with WeChat's words in `error` for the operator and the next
 * attempt after a backoff (`cardVoidDelaySeconds`); nothing gives up, the card must not stay
 * reimbursable. The attempt is counted and marked unanswered before the call, so a crash after
 * WeChat voided the card is known: a later "status not changeable" ([G] card.mapping.ts) then means
 * an earlier call of ours did it. `account` null: the organization's 卡包 setting was removed.
 */
export async function voidInvoiceCard(
  ctx: Pick<AppContext, "database" | "providers" | "log"> & { config: Pick<AppContext["config"], "tuning"> },
  cardRowId: string,
  account: CardAccount | null,
): Promise<CardState> {
  const [row] = await ctx.database.db
    .select()
    .from(wechatInvoiceCards)
    .where(eq(wechatInvoiceCards.id, cardRowId));
  if (row?.status !== "voiding") return toState(row);
  const attempts = row.voidAttempts + 1;
  const retryLater = (error: string, unanswered: boolean) =>
    update(ctx, row.id, {
      voidAttempts: attempts,
      error: `作废失败（第 ${attempts} 次，将自动重试）：${error}`.slice(0, 500),
      voidUnanswered: unanswered,
      nextAttemptAt: new Date(
        Date.now() + cardVoidDelaySeconds(ctx.config.tuning.deliveryRetrySeconds, attempts) * 1000,
      ),
    });
  const cardId = row.cardId ?? account?.invoice.cardId;
  if (!account || !cardId || !row.cardCode) {
    return toState(
      await retryLater(
        !account ? "该商户的微信卡包设置已删除，无法调用微信" : "缺少卡券 code，无法作废",
        row.voidUnanswered,
      ),
    );
  }
  const earlierUnanswered = row.voidUnanswered;
  await update(ctx, row.id, { voidAttempts: attempts, voidUnanswered: true });
  let answer: WechatAnswer;
  try {
    answer = await ctx.providers.wechat.postJson(account, "/card/invoice/platform/updatestatus", {
      card_id: cardId,
      code: row.cardCode,
      reimburse_status: REIMBURSE_CANCEL,
    });
  } catch (e) {
    // No answer to the call: it may have reached WeChat. No token: nothing was asked.
    ctx.log.warn({ cardId: row.id, invoiceId: row.invoiceId, err: e }, "wechat card void deferred");
    return toState(
      await retryLater((e as Error).message, e instanceof WechatNoAnswerError || earlierUnanswered),
    );
  }
  const doneBefore = answer.errcode === WECHAT_CARD.statusNotChangeable && earlierUnanswered;
  if (!answer.errcode || doneBefore) {
    return toState(
      await update(ctx, row.id, {
        status: "voided",
        error: null,
        voidUnanswered: false,
        voidedAt: new Date(),
        nextAttemptAt: null,
      }),
    );
  }
  ctx.log.warn({ cardId: row.id, invoiceId: row.invoiceId, answer }, "wechat card void refused");
  return toState(await retryLater(describe(answer), earlierUnanswered));
}
