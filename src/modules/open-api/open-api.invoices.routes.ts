import { z } from "zod";
import type { AppContext } from "../../context";
import { AppError } from "../../platform/errors";
import { errorBody, type HttpServer } from "../../platform/http";
import { oneLine } from "../../platform/input";
import { openForDownload } from "../files/file-store";
import { isFileLinkValid } from "../invoices/invoices.merchant";
import { openInvoice } from "../invoices/invoices.merchant.schema";
import { findInvoice } from "../invoices/invoices.repository";
import { reverseInvoice } from "../invoices/reversal.service";
import { appActorOf } from "./open-api.auth";
import { findInvoicesForApp, getInvoiceForApp } from "./open-api.invoices";
import { invoiceIdParams, invoiceListQuery, reverseBody } from "./open-api.schema";

const errors = { 401: errorBody, 404: errorBody, 409: errorBody, 422: errorBody };
const security = [{ AppKey: [], Timestamp: [], Nonce: [], Signature: [] }];

/** Invoices of the open API (inside the signed /open/v1 scope). */
export function registerOpenInvoiceRoutes(api: HttpServer, ctx: AppContext): void {
  const tags = ["open"];
  api.get(
    "/invoices",
    {
      schema: {
        tags,
        security,
        summary: "按订单号查询发票 Invoices of an order",
        querystring: invoiceListQuery,
        response: { 200: z.object({ invoices: z.array(openInvoice) }), ...errors },
      },
    },
    async (req) => ({
      invoices: await findInvoicesForApp(ctx, { actor: appActorOf(req), orderNo: req.query.orderNo }),
    }),
  );
  api.get(
    "/invoices/:id",
    {
      schema: {
        tags,
        security,
        summary: "查询发票 One invoice",
        params: invoiceIdParams,
        response: { 200: openInvoice, ...errors },
      },
    },
    async (req) => getInvoiceForApp(ctx, { actor: appActorOf(req), id: req.params.id }),
  );
  api.post(
    "/invoices/:id/reverse",
    {
      schema: {
        tags,
        security,
        summary: "红冲 Reverse with a red invoice",
        params: invoiceIdParams,
        body: reverseBody,
        response: { 200: openInvoice, 201: openInvoice, ...errors },
      },
    },
    async (req, reply) => {
      const actor = appActorOf(req);
      const { created, red } = await reverseInvoice(ctx, {
        actor,
        invoiceId: req.params.id,
        reason: req.body.reason,
        lines: req.body.lines,
        amount: req.body.amount,
      });
      return reply.status(created ? 201 : 200).send(await getInvoiceForApp(ctx, { actor, id: red.id }));
    },
  );
}

/** Downloads behind the signed, expiring links of pdfUrl / xmlUrl (no open-API headers needed). */
export function registerInvoiceFileRoute(http: HttpServer, ctx: AppContext): void {
  http.get(
    "/files/invoices/:file",
    {
      schema: {
        tags: ["open"],
        summary: "发票文件（签名链接，1 小时有效）Invoice file behind a signed link",
        params: z.object({ file: oneLine().regex(/^[a-z0-9_]+\.(pdf|xml)$/) }),
        querystring: z.object({ e: oneLine().max(20), s: oneLine().max(100) }),
      },
    },
    async (req, reply) => {
      const [invoiceId, kind] = req.params.file.split(".") as [string, "pdf" | "xml"];
      if (!isFileLinkValid(ctx, { invoiceId, kind, e: req.query.e, s: req.query.s })) {
        throw new AppError("NOT_FOUND", "链接无效或已过期，请重新获取发票链接");
      }
      const invoice = await findInvoice(ctx.database.db, invoiceId);
      const bytes = invoice?.number ? await openForDownload(ctx.providers.files, invoiceId, kind) : undefined;
      if (!invoice || !bytes) throw new AppError("INVOICE_NOT_FOUND", "发票文件不存在");
      return reply
        .type(kind === "pdf" ? "application/pdf" : "application/xml; charset=utf-8")
        .header("content-disposition", `attachment; filename="${invoice.number}.${kind}"`)
        .header("cache-control", "private, max-age=600")
        .send(bytes);
    },
  );
}
