import { z } from "zod";
import type { AppContext } from "../../context";
import { AppError, isAppError } from "../../platform/errors";
import { FailureLimiter } from "../../platform/failure-limiter";
import { errorBody, type HttpServer, registerScope } from "../../platform/http";
import { oneLine } from "../../platform/input";
import { openForDownload } from "../files/file-store";
import { findInvoice } from "../invoices/invoices.repository";
import { RESENDS_PER_ADDRESS_PER_HOUR } from "./resend-limits";
import { withDeliveries } from "./scan.deliveries";
import { scanPageData, withMerchant } from "./scan.page";
import {
  resendBody,
  resendResponse,
  scanView,
  submitBody,
  submitResponse,
  titlesQuery,
  titlesResponse,
  tokenParams,
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
import { submitByToken } from "./scan.submit";

const errors = { 404: errorBody, 409: errorBody, 410: errorBody, 422: errorBody, 429: errorBody };

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
  const guesses = new FailureLimiter(30, 10 * 60_000);
  app.addHook("onRequest", async (req) => {
    guesses.check(req.ip);
  });
  app.addHook("onError", async (req, _reply, error) => {
    if ((error as AppError).code === "RECEIPT_CODE_NOT_FOUND") guesses.record(req.ip);
  });
  // One client address cannot fan resends out over many codes; the ceilings per code and per
  // recipient hold across processes, in the database (resend-limits.ts).
  const resends = new FailureLimiter(RESENDS_PER_ADDRESS_PER_HOUR, 3600_000);

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
      const result = await submitByToken(ctx, { token: req.params.token, body: req.body });
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
        params: tokenParams.extend({ file: oneLine().regex(/^[a-z0-9_]+\.(pdf|ofd|xml)$/) }),
        querystring: z.object({ inline: z.enum(["0", "1"]).optional() }),
      },
    },
    async (req, reply) => {
      const code = await getViewableCode(ctx, req.params.token);
      const [invoiceId, kind] = req.params.file.split(".") as [string, "pdf" | "ofd" | "xml"];
      const invoice = await findInvoice(ctx.database.db, invoiceId);
      if (!invoice || invoice.receiptCodeId !== code.id || !invoice.number) {
        throw new AppError("INVOICE_NOT_FOUND", "发票不存在或尚未开具");
      }
      const bytes = await openForDownload(ctx.providers.files, invoice.id, kind);
      if (!bytes) throw new AppError("INVOICE_NOT_FOUND", "发票文件尚未生成，请稍后再试");
      return reply
        .type(
          kind === "pdf"
            ? "application/pdf"
            : kind === "ofd"
              ? "application/ofd"
              : "application/xml; charset=utf-8",
        )
        .header(
          "content-disposition",
          `${opensInline(req.query.inline, req.headers["user-agent"]) ? "inline" : "attachment"}; filename="${invoice.number}.${kind}"`,
        )
        .header("cache-control", "private, max-age=3600")
        .send(bytes);
    },
  );
  return scanPageData(ctx, guesses);
}
