import { and, eq, type SQL, sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import { invoices, taxBureauAccounts } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { findOrganizationByIdOrTaxId } from "../organizations/organizations.repository";
import { ChannelAccountError, ChannelUnavailableError } from "./channels/channel";
import { openSettings } from "./channels/channel-registry";
import { createKingdeeCodec } from "./channels/kingdee/codec";
import { parseKingdeeCallback } from "./channels/kingdee/kingdee";
import { KINGDEE_SECRET_KEYS } from "./channels/kingdee/kingdee.channel";
import { KINGDEE_CALLBACK_REPLY } from "./channels/kingdee/mapping";
import { findInvoice, findInvoiceLines } from "./invoices.repository";
import { attemptIssue, type IssuingContext } from "./issuing.attempt";

/**
 * Callbacks from the channels (诺诺 回传开票结果 §1.10, 金蝶 2.1.02 §2.6). Neither is signed, so a
 * callback is never believed: it only names an invoice, which is then asked about through its
 * channel — the same query the sweep would make, saved the same way. A forged callback, a repeated
 * one or one for an invoice already finished changes nothing by itself; the answer is the
 * acknowledgement the channel expects. A callback naming no invoice of ours is NOT_FOUND, one that
 * cannot be read VALIDATION_FAILED.
 */

export const NUONUO_CALLBACK_REPLY = { status: "0000", message: "同步成功" } as const;
export { KINGDEE_CALLBACK_REPLY };

type CallbackContext = IssuingContext & Pick<AppContext, "keyring">;

/** What 诺诺 posts (form fields; `content` is a JSON text). */
export interface NuonuoCallback {
  operater: string;
  orderno?: string | undefined;
  content?: string | undefined;
  /** 红字确认单 callbacks name the bill by `billId` (our red serial). */
  billId?: string | undefined;
}

const ORDER_NO = /^[A-Za-z0-9]{1,20}$/;
const SERIAL = /^[A-Za-z0-9_-]{1,50}$/;

export async function answerNuonuoCallback(
  ctx: CallbackContext,
  body: NuonuoCallback,
): Promise<typeof NUONUO_CALLBACK_REPLY> {
  let content: Record<string, unknown> = {};
  if (body.content !== undefined && body.content !== "") {
    try {
      const parsed = JSON.parse(body.content) as unknown;
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error();
      content = parsed as Record<string, unknown>;
    } catch {
      throw AppError.validation({ content: "content 应为 JSON 对象文本" });
    }
  }
  let ids: string[];
  if (body.billId) {
    // A 红字确认单 is filed under our red invoice's serial.
    if (!SERIAL.test(body.billId)) throw AppError.validation({ billId: "billId 不合规" });
    ids = await invoicesOnChannel(ctx, "nuonuo", eq(invoices.serial, body.billId));
  } else {
    const orderNo = body.orderno || String(content.c_orderno ?? "");
    if (!orderNo) throw AppError.validation({ orderno: "缺少 orderno" });
    if (!ORDER_NO.test(orderNo)) throw AppError.validation({ orderno: "orderno 应为 1–20 位字母或数字" });
    // By the order number stored with the invoice before its first call (channel_data.orderNo,
    // indexed): whatever rule derived it, the callback finds the invoice it was sent for.
    ids = await invoicesOnChannel(ctx, "nuonuo", sql`${invoices.channelData} ->> 'orderNo' = ${orderNo}`);
  }
  if (ids.length === 0) throw new AppError("NOT_FOUND", "回调所指的发票不存在");
  for (const id of ids) await queryThroughChannel(ctx, id);
  return NUONUO_CALLBACK_REPLY;
}

/** What 金蝶 posts: `data` is encoded with the tenant's codec (BASE64 or AES). */
export interface KingdeeCallback {
  returnMsg?: string | undefined;
  returnCode?: string | undefined;
  interfaceCode: string;
  data: string;
}

export async function answerKingdeeCallback(
  ctx: CallbackContext,
  body: KingdeeCallback,
): Promise<typeof KINGDEE_CALLBACK_REPLY> {
  // Which tenant's codec reads it: BASE64 first, then the AES password of each 金蝶 account.
  const decoders: Array<(data: string) => string> = [createKingdeeCodec({ encryption: "base64" }).decode];
  const accounts = await ctx.database.db
    .select({ settings: taxBureauAccounts.settings })
    .from(taxBureauAccounts)
    .where(eq(taxBureauAccounts.channel, "kingdee"));
  const passwords = new Set<string>();
  for (const a of accounts) {
    const s = openSettings((a.settings ?? {}) as Record<string, unknown>, ctx.keyring, KINGDEE_SECRET_KEYS);
    if (s.encryption === "aes" && typeof s.aesPassword === "string" && s.aesPassword)
      passwords.add(s.aesPassword);
  }
  for (const password of passwords) decoders.push(createKingdeeCodec({ encryption: "aes", password }).decode);
  let parsed: ReturnType<typeof parseKingdeeCallback> = { error: "回调缺少 data" };
  for (const decode of decoders) {
    parsed = parseKingdeeCallback(body, decode);
    if (!("error" in parsed)) break;
  }
  if ("error" in parsed) throw AppError.validation({ data: parsed.error });
  const ids = await invoicesOnChannel(ctx, "kingdee", eq(invoices.serial, parsed.serialNo));
  const ours: string[] = [];
  for (const id of ids) {
    const invoice = await findInvoice(ctx.database.db, id);
    const org = invoice && (await findOrganizationByIdOrTaxId(ctx.database.db, invoice.orgId));
    if (org && (!parsed.sellerTaxId || parsed.sellerTaxId === org.taxId)) ours.push(id);
  }
  if (ours.length === 0) throw new AppError("NOT_FOUND", "回调所指的发票不存在");
  for (const id of ours) await queryThroughChannel(ctx, id);
  return KINGDEE_CALLBACK_REPLY;
}

async function invoicesOnChannel(ctx: CallbackContext, channel: string, which: SQL): Promise<string[]> {
  const rows = await ctx.database.db
    .select({ id: invoices.id })
    .from(invoices)
    .innerJoin(taxBureauAccounts, eq(taxBureauAccounts.id, invoices.taxAccountId))
    .where(and(which, eq(taxBureauAccounts.channel, channel)))
    .limit(5);
  return rows.map((r) => r.id);
}

/**
 * Asks the channel about an unfinished invoice and saves a final answer the way an issuing attempt
 * does — but never sends anything new: the channel is given to the attempt with its `issue` (and
 * `retry`) refused, so an answer of "never seen" or 开票中 leaves the invoice as it was for the sweep.
 */
export async function queryThroughChannel(ctx: CallbackContext, invoiceId: string): Promise<void> {
  const { db } = ctx.database;
  const invoice = await findInvoice(db, invoiceId);
  if (!invoice || (invoice.status !== "pending" && invoice.status !== "issuing")) return;
  const [account] = await db
    .select()
    .from(taxBureauAccounts)
    .where(eq(taxBureauAccounts.id, invoice.taxAccountId ?? ""));
  const channel = account && ctx.providers.channels.get(account.channel);
  const org = await findOrganizationByIdOrTaxId(db, invoice.orgId);
  // An account waiting for attention: its invoices wait with it, whatever a callback says.
  if (!account || !channel || !org || account.statusProblem) return;
  const refuse = async (): Promise<never> => {
    throw new ChannelUnavailableError("回调只触发查询，不重新开票");
  };
  const queryOnly = { ...channel, issue: refuse, ...("retry" in channel ? { retry: refuse } : {}) };
  const scoped: CallbackContext = {
    ...ctx,
    providers: { ...ctx.providers, channels: new Map([[account.channel, queryOnly]]) },
  };
  const lines = await findInvoiceLines(db, invoiceId);
  try {
    // attempts ≥ 2: the attempt asks for the serial first (an earlier attempt reached the channel).
    await attemptIssue(scoped, {
      invoice: { ...invoice, status: "issuing", attempts: Math.max(2, invoice.attempts) },
      lines,
      org,
      account,
    });
  } catch (e) {
    if (e instanceof ChannelUnavailableError || e instanceof ChannelAccountError) {
      ctx.log.info({ invoiceId, reason: (e as Error).message }, "channel callback: nothing new");
      return;
    }
    throw e;
  }
}
