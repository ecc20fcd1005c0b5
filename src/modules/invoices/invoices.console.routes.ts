import type { FastifyReply } from "fastify";
import { z } from "zod";
import type { AppContext } from "../../context";
import { hidden, orgItemParams, orgParams, pageOf } from "../../platform/console-schemas";
import type { HttpServer } from "../../platform/http";
import { actorOf } from "../auth/console-guard";
import {
  exportQuery,
  fileParams,
  invoiceDetail,
  invoiceListItem,
  invoiceListQuery,
  resendBody,
  reverseBody,
  sandboxConfirmationBody,
} from "./invoices.console.schema";
import {
  decideSandboxConfirmationForConsole,
  findInvoicesForConsole,
  getInvoiceFileForConsole,
  getInvoiceForConsole,
  resendInvoiceForConsole,
  retryInvoiceForConsole,
  reverseInvoiceForConsole,
} from "./invoices.console.service";
import { type ExportOptions, exportFileName, exportInvoicesCsv, exportInvoicesXlsx } from "./invoices.export";

const base = "/orgs/:orgId/invoices";
const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const attachment = (name: string) => `attachment; filename*=UTF-8''${encodeURIComponent(name)}`;

/** The first query runs before the headers are sent: a refused filter is an error answer, not a cut-off 200. */
async function sendExport(
  ctx: AppContext,
  reply: FastifyReply,
  format: "xlsx" | "csv",
  options: ExportOptions,
): Promise<FastifyReply> {
  const stream = await (format === "xlsx"
    ? exportInvoicesXlsx(ctx, options)
    : exportInvoicesCsv(ctx, options));
  return reply
    .type(format === "xlsx" ? XLSX_TYPE : "text/csv; charset=utf-8")
    .header("content-disposition", attachment(exportFileName(format, options.withLines)))
    .header("cache-control", "no-store")
    .send(stream);
}

/** 发票管理: list, export, detail, files, 重新发送, 红冲, 重试. */
export function registerInvoiceConsoleRoutes(http: HttpServer, ctx: AppContext): void {
  http.get(
    base,
    {
      schema: {
        ...hidden,
        params: orgParams,
        querystring: invoiceListQuery,
        response: { 200: pageOf(invoiceListItem) },
      },
    },
    async (req) =>
      findInvoicesForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId, query: req.query }),
  );
  // 「全部组织」: every organization the user belongs to (and only those), like /stats without orgId.
  http.get(
    "/invoices",
    { schema: { ...hidden, querystring: invoiceListQuery, response: { 200: pageOf(invoiceListItem) } } },
    async (req) => findInvoicesForConsole(ctx, { actor: actorOf(req), query: req.query }),
  );
  // Two static paths (not one `export.:format`), so they never compete with `/:id`.
  for (const format of ["xlsx", "csv"] as const) {
    http.get(
      `${base}/export.${format}`,
      { schema: { ...hidden, params: orgParams, querystring: exportQuery } },
      async (req, reply) => {
        const { lines, ...filter } = req.query;
        const options = { actor: actorOf(req), orgId: req.params.orgId, filter, withLines: lines === "1" };
        return sendExport(ctx, reply, format, options);
      },
    );
    http.get(
      `/invoices/export.${format}`,
      { schema: { ...hidden, querystring: exportQuery } },
      async (req, reply) => {
        const { lines, ...filter } = req.query;
        return sendExport(ctx, reply, format, { actor: actorOf(req), filter, withLines: lines === "1" });
      },
    );
  }
  http.get(
    `${base}/:id`,
    { schema: { ...hidden, params: orgItemParams, response: { 200: invoiceDetail } } },
    async (req) =>
      getInvoiceForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId, id: req.params.id }),
  );
  http.get(`${base}/:id/files/:kind`, { schema: { ...hidden, params: fileParams } }, async (req, reply) => {
    const { bytes, fileName } = await getInvoiceFileForConsole(ctx, { actor: actorOf(req), ...req.params });
    return reply
      .type(
        req.params.kind.endsWith("pdf")
          ? "application/pdf"
          : req.params.kind === "ofd"
            ? "application/ofd"
            : "application/xml; charset=utf-8",
      )
      .header("content-disposition", attachment(fileName))
      .header("cache-control", "no-store")
      .send(bytes);
  });
  http.post(
    `${base}/:id/resend`,
    {
      schema: {
        ...hidden,
        params: orgItemParams,
        body: resendBody,
        response: { 200: z.object({ deliveryIds: z.array(z.string()) }) },
      },
    },
    async (req) =>
      resendInvoiceForConsole(ctx, {
        actor: actorOf(req),
        orgId: req.params.orgId,
        id: req.params.id,
        email: req.body.email,
        mobile: req.body.mobile,
      }),
  );
  http.post(
    `${base}/:id/reverse`,
    {
      schema: {
        ...hidden,
        params: orgItemParams,
        body: reverseBody,
        // 201 when this request made the red invoice, 200 when it already existed.
        response: { 200: invoiceDetail, 201: invoiceDetail },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const { orgId, id } = req.params;
      const { created, redInvoiceId } = await reverseInvoiceForConsole(ctx, {
        actor,
        orgId,
        id,
        reason: req.body.reason,
        lines: req.body.lines,
        amount: req.body.amount,
      });
      return reply
        .status(created ? 201 : 200)
        .send(await getInvoiceForConsole(ctx, { actor, orgId, id: redInvoiceId }));
    },
  );
  http.post(
    `${base}/:id/sandbox-confirmation`,
    {
      schema: {
        ...hidden,
        params: orgItemParams,
        body: sandboxConfirmationBody,
        response: { 200: invoiceDetail },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      const { orgId, id } = req.params;
      await decideSandboxConfirmationForConsole(ctx, { actor, orgId, id, decision: req.body.decision });
      return getInvoiceForConsole(ctx, { actor, orgId, id });
    },
  );
  http.post(
    `${base}/:id/retry`,
    { schema: { ...hidden, params: orgItemParams, response: { 200: invoiceDetail } } },
    async (req) => {
      const actor = actorOf(req);
      const { orgId, id } = req.params;
      await retryInvoiceForConsole(ctx, { actor, orgId, id });
      return getInvoiceForConsole(ctx, { actor, orgId, id });
    },
  );
}
