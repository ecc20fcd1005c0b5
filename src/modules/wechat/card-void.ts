import { eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import { wechatInvoiceCards } from "../../platform/db/schema";
import { claimDue, type SweepDefinition } from "../../platform/sweeper";
import { openIntegrations } from "../organizations/organizations.integrations";
import { type CardState, voidInvoiceCard } from "./invoice-card";

/** The sweep that voids the 卡包 cards of reversed invoices (see src/platform/sweeper.ts). */
export const CARD_VOID_SWEEP = "wechat-card-void";

type VoidContext = Pick<AppContext, "database" | "providers" | "log" | "keyring" | "config">;

/**
 * 红冲 → the consumer's 卡包 card is voided (invoice-card.ts markCardsForVoid / voidInvoiceCard): the
 * red invoice's transaction makes the card `voiding` and due now; this sweep claims due cards
 * (leased for jobExpireSeconds, in case the process dies mid-call) and calls WeChat. A failure puts
 * the card's next attempt after a backoff (voidInvoiceCard), so WeChat being down, or refusing, or
 * a crash never loses the void.
 */
export function cardVoidSweep(ctx: VoidContext): SweepDefinition {
  return {
    name: CARD_VOID_SWEEP,
    concurrency: 2,
    intervalSeconds: ctx.config.tuning.jobPollSeconds,
    claim: claimDue(ctx.database, {
      table: "wechat_invoice_cards",
      unfinished: "status = 'voiding'",
      leaseSeconds: () => ctx.config.tuning.jobExpireSeconds,
    }),
    handle: async (id) => {
      await voidCard(ctx, id);
    },
    // Failures are recorded on the card (and logged) by voidInvoiceCard.
    isExpected: () => true,
  };
}

/** One void attempt for a card row, with its organization's 公众号 as now configured. */
export async function voidCard(ctx: VoidContext, cardRowId: string): Promise<CardState> {
  const [row] = await ctx.database.db
    .select({ orgId: wechatInvoiceCards.orgId })
    .from(wechatInvoiceCards)
    .where(eq(wechatInvoiceCards.id, cardRowId));
  const wechat = row ? (await openIntegrations(ctx, row.orgId)).wechat : null;
  return voidInvoiceCard(
    ctx,
    cardRowId,
    // The 公众号 without its 电子发票 setting: a card inserted since 0032 still names its card_id.
    wechat
      ? { appId: wechat.appId, secret: wechat.secret, invoice: wechat.invoice ?? { sPappid: "", cardId: "" } }
      : null,
  );
}
