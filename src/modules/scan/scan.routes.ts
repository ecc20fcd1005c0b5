import { z } from "zod";
import type { AppContext } from "../../context";
import { isAppError } from "../../platform/errors";
import {
  FailureLimiter,
  limitTokenGuesses,
  TOKEN_MISS_WINDOW_MS,
  TOKEN_MISSES_PER_WINDOW,
} from "../../platform/failure-limiter";
import { errorBody, type HttpServer, registerScope } from "../../platform/http";
import { invoiceFileName, invoiceFileOf, sendInvoiceFile } from "../invoices/invoice-file";
import { findInvoice } from "../invoices/invoices.repository";
import { RESENDS_PER_ADDRESS_PER_HOUR } from "./resend-limits";
import { withDeliveries } from "./scan.deliveries";
import { invoicingCodeId, previewMerge } from "./scan.merge";
import { scanPageData, withMerchant } from "./scan.page";
import {
  invoiceParams,
  lookupBody,
  lookupResponse,
  mergeBody,
  mergeView,
  resendBody,
  resendResponse,
  scanView,
  submitBody,
  submitResponse,
  titlesQuery,
  titlesResponse,
  tokenParams,
  wechatCardResponse,
  wechatConfigBody,
  wechatConfigResponse,
} from "./scan.schema";
import {
  findTitles,
  getScanView,
  getViewableCode,
  resendByToken,
  toInvoiceView,
  wechatConfigForToken,
} from "./scan.service";
import { lookupShortCode } from "./scan.short-code";
import { submitByToken } from "./scan.submit";
import { checkCardForToken, startCardForToken } from "./scan.wechat-card";
import { checkTypedMisses, recordTypedMiss } from "./typed-code-misses";

const errors = { 404: errorBody, 409: errorBody, 410: errorBody, 422: errorBody, 429: errorBody };

/**
 * 开票码 guesses: each client address may miss this many typed codes per day (on `/s` and in
 * 合并开票), then gets 429 until the oldest miss is a day old. README "开票码" has the arithmetic.
 */
export const SHORT_CODE_MISSES_PER_DAY = 10;

export const TITLE_LOOKUPS_PER_WINDOW = 120;
/** A lookup may cost the merchant (a paid registry): one receipt's page gets this many per 10 minutes. */
export const TITLE_LOOKUPS_PER_CODE = 60;

/** WeChat's and Alipay's in-app browsers block downloads but show a PDF opened in place. */
export function opensInline(inline: string | undefined, userAgent: string | undefined): boolean {
  if (inline === "1") return true;
  if (inline === "0") return false;
  return /MicroMessenger|AlipayClient/i.test(userAgent ?? "");
}

type ScanPageData = ReturnType<typeof scanPageData>;

/**
 * The consumer interface behind the QR (API.md §2), in its own scope: its hooks (token guessing)
 * see its requests only. Returns what the consumer page's HTML embeds (scan.page.ts), which shares
 * this interface's budget for unknown tokens.
 */
export async function registerScanRoutes(
  http: HttpServer,
  ctx: AppContext,
): Promise<{ pageData: ScanPageData }> {
  let pageData: ScanPageData | undefined;
  await registerScope(http, {}, (app) => {
    pageData = scanRoutes(app, ctx);
  });
  if (!pageData) throw new Error("the consumer API's scope was not registered");
  return { pageData };
}

function scanRoutes(app: HttpServer, ctx: AppContext): ScanPageData {
  const tags = ["scan"];
  // Someone trying tokens gets a few dozen misses per 10 minutes, then 429s.
  const guesses = new FailureLimiter(TOKEN_MISSES_PER_WINDOW, TOKEN_MISS_WINDOW_MS);
  limitTokenGuesses(app, guesses, ["RECEIPT_CODE_NOT_FOUND"]);
  // One client address cannot fan resends out over many codes; the ceilings per code and per
  // recipient hold across processes, in the database (resend-limits.ts).
  const resends = new FailureLimiter(RESENDS_PER_ADDRESS_PER_HOUR, 3600_000);
  // Typed 开票码 are far fewer than tokens (29⁶), so their misses have a budget of their own, per
  // client and China day, kept in the database for all processes (typed-code-misses.ts).
  const countingTypedMisses = async <T>(ip: string, run: () => Promise<T>): Promise<T> => {
    await checkTypedMisses(ctx, ip, SHORT_CODE_MISSES_PER_DAY);
    try {
      return await run();
    } catch (e) {
      if (isAppError(e) && e.code === "RECEIPT_CODE_NOT_FOUND") await recordTypedMiss(ctx, ip);
      throw e;
    }
  };

  app.post(
    "/api/scan/lookup",
    {
      schema: {
        tags,
        summary: "输入开票码 A typed 开票码 → its page",
        description: `The 6-character 开票码 printed under a receipt's QR (case, spaces and dashes do not matter) → the token of its page (\`/s/{token}\`, the same page as scanning). Only codes within their validity are found. Each client (an IPv4 address, or an IPv6 /64) may miss ${SHORT_CODE_MISSES_PER_DAY} codes per China day (here, in \`merge\` and a merged submit, counted across all server processes), then \`429 RATE_LIMITED\` until the next day.`,
        body: lookupBody,
        response: { 200: lookupResponse, ...errors },
      },
    },
    async (req) => countingTypedMisses(req.ip, () => lookupShortCode(ctx, req.body.code)),
  );

  app.post(
    "/api/scan/:token/merge",
    {
      schema: {
        tags,
        summary: "合并开票 The receipts to invoice together",
        description: `Other receipts of the same organization, each by its 开票码 or a link to its page, with this one: their lines and totals together, the invoice types all of them allow and how many invoices the limit makes. Submitting with \`mergeCodes\` issues them as one. \`422 MERGE_NOT_ALLOWED\` (with the reason) when the organization does not merge, too many receipts, another organization or tax account, or a receipt disabled, expired, refunded or already invoiced; \`404 RECEIPT_CODE_NOT_FOUND\` for an unknown code (a miss of the ${SHORT_CODE_MISSES_PER_DAY}-per-day budget).`,
        params: tokenParams,
        body: mergeBody,
        response: { 200: mergeView, ...errors },
      },
    },
    async (req) => countingTypedMisses(req.ip, () => previewMerge(ctx, req.params.token, req.body.codes)),
  );

  app.get(
    "/api/scan/:token",
    {
      schema: {
        tags,
        summary: "查看小票与发票 The receipt and its invoices",
        description:
          "Each call counts as a scan of the code (statistics), except when the request carries the header `X-Piaoma-Poll: 1`: the consumer page sends it while it polls for an invoice being issued.",
        params: tokenParams,
        response: { 200: scanView, ...errors },
      },
    },
    async (req) => {
      try {
        const view = await getScanView(ctx, req.params.token, {
          countScan: req.headers["x-piaoma-poll"] !== "1",
        });
        return await withDeliveries(ctx, view);
      } catch (e) {
        throw isAppError(e) ? await withMerchant(ctx, req.params.token, e) : e;
      }
    },
  );

  app.post(
    "/api/scan/:token/submit",
    {
      schema: {
        tags,
        summary: "提交开票 Submit the buyer and issue",
        params: tokenParams,
        body: submitBody,
        response: { 200: submitResponse, 202: submitResponse, ...errors },
      },
    },
    async (req, reply) => {
      const submit = () => submitByToken(ctx, { token: req.params.token, body: req.body });
      const result = req.body.mergeCodes?.length ? await countingTypedMisses(req.ip, submit) : await submit();
      const timing = Object.entries(result.timings).map(([step, ms]) => `${step};dur=${ms.toFixed(1)}`);
      if (timing.length > 0) reply.header("server-timing", timing.join(", "));
      return reply.status(result.created ? 202 : 200).send({
        status: result.status,
        invoices: result.invoices.map((i) => toInvoiceView(req.params.token, i)),
      });
    },
  );

  // Title lookups may reach a paid registry later: each client address gets a budget of them.
  const lookups = new FailureLimiter(TITLE_LOOKUPS_PER_WINDOW, 10 * 60_000);
  const lookupsPerCode = new FailureLimiter(TITLE_LOOKUPS_PER_CODE, 10 * 60_000);
  app.get(
    "/api/scan/:token/titles",
    {
      schema: {
        tags,
        summary: "抬头联想 Title suggestions",
        description:
          "Up to 10 titles (`name`, `taxId`, `type`, and `address`, `phone`, `bankName`, `bankAccount` where the service gives them) matching `q` (at least 2 characters) from the company-registry service the organization chose in the console (天眼查); without one the list is empty and nothing is asked (`titleSources.lookup` in the scan view says which). Titles other buyers of the organization invoiced are never returned: the consumer page remembers its own buyer on the phone. A valid token is required; each client address may ask 120 times and each code 60 times per 10 minutes (then 429 `RATE_LIMITED`).",
        params: tokenParams,
        querystring: titlesQuery,
        response: { 200: titlesResponse, ...errors },
      },
    },
    async (req) => {
      lookups.check(req.ip);
      lookupsPerCode.check(req.params.token);
      lookups.record(req.ip);
      lookupsPerCode.record(req.params.token);
      return findTitles(ctx, req.params.token, req.query.q);
    },
  );

  // Each call may reach WeChat when the kept ticket is due: the same per-address budget as lookups.
  app.post(
    "/api/scan/:token/wechat-config",
    {
      schema: {
        tags,
        summary: "微信 JS-SDK 配置 The signed wx.config for 微信抬头",
        description:
          "Inside WeChat, the consumer page asks for `wx.config` to open the user's saved invoice titles (`chooseInvoiceTitle`). Signed with the organization's 公众号 jsapi_ticket (kept until near expiry) for `url`, which must be this deployment's `/s/` page. 404 `NOT_FOUND` when the organization has not configured its 公众号; 503 `SERVICE_UNAVAILABLE` when WeChat refuses or does not answer.",
        params: tokenParams,
        body: wechatConfigBody,
        response: { 200: wechatConfigResponse, ...errors, 503: errorBody },
      },
    },
    async (req) => {
      lookups.check(req.ip);
      lookups.record(req.ip);
      return wechatConfigForToken(ctx, req.params.token, req.body.url);
    },
  );

  app.post(
    "/api/scan/:token/invoices/:invoiceId/wechat-card",
    {
      schema: {
        tags,
        summary: "加入微信卡包 Start adding an invoice to the WeChat 卡包",
        description:
          "For an issued invoice of an organization whose 公众号 has the 电子发票 plugin configured (console: 组织信息 · 微信卡包): asks WeChat for the authorisation page (`getauthurl`) and answers its address (`authUrl`) for the page to open; WeChat brings the user back to `/s/{token}?wxcard={invoiceId}`, where the page asks `…/wechat-card/check`. 404 `NOT_FOUND` when the organization has no 卡包; 409 `CONFLICT` when the invoice is not issued or already added; 503 when WeChat refuses.",
        params: invoiceParams,
        response: { 200: wechatCardResponse, ...errors, 503: errorBody },
      },
    },
    async (req) => {
      lookups.check(req.ip);
      lookups.record(req.ip);
      const started = await startCardForToken(ctx, req.params.token, req.params.invoiceId);
      return { status: started.state.status, authUrl: started.authUrl };
    },
  );

  app.post(
    "/api/scan/:token/invoices/:invoiceId/wechat-card/check",
    {
      schema: {
        tags,
        summary: "微信卡包状态 Finish adding to the 卡包 once the user authorised",
        description:
          "Asks WeChat whether the user authorised the order (`getauthdata`); if so uploads the PDF (`setpdf`) and inserts the card (`insert`). Answers the state: `none`, `authorizing` (still waiting for the user), `inserted`, `failed`.",
        params: invoiceParams,
        response: { 200: wechatCardResponse, ...errors, 503: errorBody },
      },
    },
    async (req) => {
      lookups.check(req.ip);
      lookups.record(req.ip);
      const state = await checkCardForToken(ctx, req.params.token, req.params.invoiceId);
      return { status: state.status };
    },
  );

  app.post(
    "/api/scan/:token/resend",
    {
      schema: {
        tags,
        summary: "重新发送 Resend by e-mail or SMS",
        description:
          "At most 5 resends per hour per code, 10 resent messages per 24 hours to one e-mail address or mobile number (across all codes), and 10 resends per hour from one client address; beyond that `429 RATE_LIMITED` with `Retry-After` (seconds, also in `details.retryAfterSeconds`).",
        params: tokenParams,
        body: resendBody,
        response: { 202: resendResponse, ...errors },
      },
    },
    async (req, reply) => {
      resends.check(req.ip, "发送过于频繁，请稍后再试");
      await resendByToken(ctx, req.params.token, req.body);
      resends.record(req.ip);
      return reply.status(202).send({ status: "queued" as const });
    },
  );

  app.get(
    "/api/scan/:token/invoices/:file",
    {
      schema: {
        tags,
        summary: "下载发票 PDF / OFD / XML",
        description:
          "`?inline=1` (and any request from WeChat's or Alipay's in-app browser, which block downloads) answers with `Content-Disposition: inline`, so the in-app viewer opens the file.",
        params: tokenParams.extend({ file: invoiceFileName() }),
        querystring: z.object({ inline: z.enum(["0", "1"]).optional() }),
      },
    },
    async (req, reply) => {
      const code = await getViewableCode(ctx, req.params.token);
      const { invoiceId, kind } = invoiceFileOf(req.params.file);
      const invoice = await findInvoice(ctx.database.db, invoiceId);
      return sendInvoiceFile(ctx, reply, {
        invoice:
          invoice && invoice.receiptCodeId === (await invoicingCodeId(ctx, code)) ? invoice : undefined,
        kind,
        disposition: opensInline(req.query.inline, req.headers["user-agent"]) ? "inline" : "attachment",
        cacheControl: "private, max-age=3600",
        notFound: "发票不存在或尚未开具",
        notStored: "发票文件尚未生成，请稍后再试",
      });
    },
  );
  return scanPageData(ctx, guesses);
}
