import type { FastifyReply } from "fastify";
import { z } from "zod";
import type { AppContext } from "../../context";
import {
  bulkIdsBody,
  bulkOutcome,
  hidden,
  orgItemParams,
  orgParams,
  pageOf,
} from "../../platform/console-schemas";
import type { HttpServer } from "../../platform/http";
import { actorOf } from "../auth/console-guard";
import { sendInvoiceFile } from "./invoice-file";
import {
  invoicePdfZipForConsole,
  requireInvoicesOfOrg,
  resendInvoicesForConsole,
  summarizeInvoicesForConsole,
} from "./invoices.bulk";
import {
  exportQuery,
  exportSelectedBody,
  fileParams,
  invoiceDetail,
  invoiceFilterQuery,
  invoiceListItem,
  invoiceListQuery,
  invoiceSummary,
  resendBody,
  reverseBody,
  sandboxConfirmationBody,
} from "./invoices.console.schema";
import {
  decideSandboxConfirmationForConsole,
  findInvoiceFileForConsole,
  findInvoicesForConsole,
  getInvoiceForConsole,
  resendInvoiceForConsole,
  retryInvoiceForConsole,
  reverseInvoiceForConsole,
} from "./invoices.console.service";
import { type ExportOptions, exportFileName, exportInvoicesCsv, exportInvoicesXlsx } from "./invoices.export";
import { ensurePreviewFile } from "./issuing.preview";

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
  // 合计 of the filtered list (the whole filter, not the page), for one organization or all of the user's.
  http.get(
    `${base}/summary`,
    {
      schema: {
        ...hidden,
        params: orgParams,
        querystring: invoiceFilterQuery,
        response: { 200: invoiceSummary },
      },
    },
    async (req) =>
      summarizeInvoicesForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId, filter: req.query }),
  );
  http.get(
    "/invoices/summary",
    { schema: { ...hidden, querystring: invoiceFilterQuery, response: { 200: invoiceSummary } } },
    async (req) => summarizeInvoicesForConsole(ctx, { actor: actorOf(req), filter: req.query }),
  );
  // The list's checkboxes: 导出所选, 批量重新发送, 批量下载 PDF (static paths under /bulk).
  http.post(
    `${base}/bulk/export`,
    { schema: { ...hidden, params: orgParams, body: exportSelectedBody } },
    async (req, reply) => {
      const actor = actorOf(req);
      const { orgId } = req.params;
      const { ids, format, lines } = req.body;
      await requireInvoicesOfOrg(ctx, { actor, orgId, ids });
      return sendExport(ctx, reply, format, { actor, orgId, filter: { ids }, withLines: lines });
    },
  );
  http.post(
    `${base}/bulk/resend`,
    { schema: { ...hidden, params: orgParams, body: bulkIdsBody, response: { 200: bulkOutcome } } },
    async (req) =>
      resendInvoicesForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId, ids: req.body.ids }),
  );
  http.post(
    `${base}/bulk/pdf.zip`,
    { schema: { ...hidden, params: orgParams, body: bulkIdsBody } },
    async (req, reply) => {
      const { zip, count } = await invoicePdfZipForConsole(ctx, {
        actor: actorOf(req),
        orgId: req.params.orgId,
        ids: req.body.ids,
      });
      return reply
        .type("application/zip")
        .header("content-disposition", attachment(`发票PDF-${count}张.zip`))
        .header("cache-control", "no-store")
        .send(zip);
    },
  );
  http.get(
    `${base}/:id`,
    { schema: { ...hidden, params: orgItemParams, response: { 200: invoiceDetail } } },
    async (req) =>
      getInvoiceForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId, id: req.params.id }),
  );
  http.get(`${base}/:id/files/:kind`, { schema: { ...hidden, params: fileParams } }, async (req, reply) => {
    const invoice = await findInvoiceFileForConsole(ctx, { actor: actorOf(req), ...req.params });
    // Piaoma's preview beside a channel's legal file is rendered when first asked for.
    const { kind } = req.params;
    if (invoice && (kind === "preview_pdf" || kind === "preview_xml"))
      await ensurePreviewFile(ctx, invoice, kind);
    return sendInvoiceFile(ctx, reply, {
      invoice,
      kind: req.params.kind,
      disposition: "attachment",
      cacheControl: "no-store",
      notFound: "发票文件不存在",
    });
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
