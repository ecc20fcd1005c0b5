import { z } from "zod";
import type { AppContext } from "../../platform/context";
import { AppError } from "../../platform/errors";
import { FailureLimiter } from "../../platform/failure-limiter";
import type { HttpServer } from "../../platform/http";
import { oneLine } from "../../platform/input";
import { findInvoice } from "../invoices/invoices.repository";
import {
  resendBody,
  scanView,
  submitBody,
  submitResponse,
  titlesQuery,
  titlesResponse,
  tokenParams,
} from "./scan.schema";
import { findTitles, getScanView, getViewableCode, resendByToken, toInvoiceView } from "./scan.service";
import { submitByToken } from "./scan.submit";

const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
const errors = { 404: errorBody, 409: errorBody, 410: errorBody, 422: errorBody, 429: errorBody };

/** The consumer interface behind the QR (API.md §2). */
export function registerScanRoutes(app: HttpServer, ctx: AppContext): void {
  const tags = ["scan"];
  // Someone trying tokens gets a few dozen misses per 10 minutes, then 429s.
  const guesses = new FailureLimiter(30, 10 * 60_000);
  app.addHook("onRequest", async (req) => {
    if (req.url.startsWith("/api/scan/")) guesses.check(req.ip);
  });
  app.addHook("onError", async (req, _reply, error) => {
    if (req.url.startsWith("/api/scan/") && (error as AppError).code === "RECEIPT_CODE_NOT_FOUND")
      guesses.record(req.ip);
  });

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
    async (req) => getScanView(ctx, req.params.token, { countScan: req.headers["x-piaoma-poll"] !== "1" }),
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

  app.get(
    "/api/scan/:token/titles",
    {
      schema: {
        tags,
        summary: "抬头联想 Title suggestions",
        params: tokenParams,
        querystring: titlesQuery,
        response: { 200: titlesResponse, ...errors },
      },
    },
    async (req) => findTitles(ctx, req.params.token, req.query.q),
  );

  app.post(
    "/api/scan/:token/resend",
    {
      schema: {
        tags,
        summary: "重新发送 Resend by e-mail or SMS",
        params: tokenParams,
        body: resendBody,
        response: { 202: z.object({ status: z.literal("queued") }), ...errors },
      },
    },
    async (req, reply) => {
      await resendByToken(ctx, req.params.token, req.body);
      return reply.status(202).send({ status: "queued" as const });
    },
  );

  app.get(
    "/api/scan/:token/invoices/:file",
    {
      schema: {
        tags,
        summary: "下载发票 PDF / XML",
        params: tokenParams.extend({ file: oneLine().regex(/^[a-z0-9_]+\.(pdf|xml)$/) }),
      },
    },
    async (req, reply) => {
      const code = await getViewableCode(ctx, req.params.token);
      const [invoiceId, kind] = req.params.file.split(".") as [string, "pdf" | "xml"];
      const invoice = await findInvoice(ctx.database.db, invoiceId);
      if (!invoice || invoice.receiptCodeId !== code.id || !invoice.number) {
        throw new AppError("INVOICE_NOT_FOUND", "发票不存在或尚未开具");
      }
      const bytes = await ctx.providers.files.get(invoice.id, kind);
      if (!bytes) throw new AppError("INVOICE_NOT_FOUND", "发票文件尚未生成，请稍后再试");
      return reply
        .type(kind === "pdf" ? "application/pdf" : "application/xml; charset=utf-8")
        .header("content-disposition", `attachment; filename="${invoice.number}.${kind}"`)
        .header("cache-control", "private, max-age=3600")
        .send(bytes);
    },
  );
}
