import type { FastifyReply } from "fastify";
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
import {
  disableReceiptCodesForConsole,
  printReceiptSlipSheet,
  receiptCodeHistoryForConsole,
} from "./receipt-codes.bulk";
import {
  consoleReceiptCodeBody,
  nextSerialOutput,
  nextSerialQuery,
  receiptCodeCreated,
  receiptCodeDetail,
  receiptCodeHistory,
  receiptCodeListItem,
  receiptCodeListQuery,
  slipQuery,
} from "./receipt-codes.console.schema";
import {
  createReceiptCodeForConsole,
  disableReceiptCodeForConsole,
  findReceiptCodesForConsole,
  getReceiptCodeForConsole,
  suggestSerialNo,
  updateReceiptCodeForConsole,
} from "./receipt-codes.console.service";
import { previewReceiptCodePdf, printReceiptSlip } from "./receipt-codes.print.service";

const base = "/orgs/:orgId/receipt-codes";

/** A slip PDF opened in the browser's viewer to print, never cached (each print is audited). */
function sendSlips(reply: FastifyReply, fileName: string, pdf: Buffer): FastifyReply {
  return reply
    .type("application/pdf")
    .header("content-disposition", `inline; filename*=UTF-8''${encodeURIComponent(fileName)}`)
    .header("cache-control", "no-store")
    .send(pdf);
}

/** 动态小票码 (F17010): list, 新增/复制, edit, 禁用, 预览打印, 打印. */
export function registerReceiptCodeConsoleRoutes(http: HttpServer, ctx: AppContext): void {
  http.get(
    base,
    {
      schema: {
        ...hidden,
        params: orgParams,
        querystring: receiptCodeListQuery,
        response: { 200: pageOf(receiptCodeListItem) },
      },
    },
    async (req) =>
      findReceiptCodesForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId, query: req.query }),
  );
  http.post(
    base,
    {
      schema: {
        ...hidden,
        params: orgParams,
        body: consoleReceiptCodeBody,
        response: { 201: receiptCodeCreated },
      },
    },
    async (req, reply) =>
      reply.status(201).send(
        await createReceiptCodeForConsole(ctx, {
          actor: actorOf(req),
          orgId: req.params.orgId,
          input: req.body,
        }),
      ),
  );
  http.get(
    `${base}/next-serial`,
    {
      schema: {
        ...hidden,
        params: orgParams,
        querystring: nextSerialQuery,
        response: { 200: nextSerialOutput },
      },
    },
    async (req) =>
      suggestSerialNo(ctx, { actor: actorOf(req), orgId: req.params.orgId, deviceNo: req.query.deviceNo }),
  );
  http.post(
    `${base}/preview`,
    { schema: { ...hidden, params: orgParams, body: consoleReceiptCodeBody } },
    async (req, reply) => {
      const pdf = await previewReceiptCodePdf(ctx, {
        actor: actorOf(req),
        orgId: req.params.orgId,
        input: req.body,
      });
      return reply
        .type("application/pdf")
        .header("content-disposition", 'inline; filename="preview.pdf"')
        .send(pdf);
    },
  );
  // 批量禁用 / 批量打印 (the list's checkboxes): static paths under /bulk, never taken for an id.
  http.post(
    `${base}/bulk/disable`,
    { schema: { ...hidden, params: orgParams, body: bulkIdsBody, response: { 200: bulkOutcome } } },
    async (req) =>
      disableReceiptCodesForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId, ids: req.body.ids }),
  );
  http.post(
    `${base}/bulk/slips.pdf`,
    { schema: { ...hidden, params: orgParams, body: bulkIdsBody } },
    async (req, reply) => {
      const pdf = await printReceiptSlipSheet(ctx, {
        actor: actorOf(req),
        orgId: req.params.orgId,
        ids: req.body.ids,
      });
      return sendSlips(reply, `小票-${req.body.ids.length}张-A4.pdf`, pdf);
    },
  );
  http.get(
    `${base}/:id/history`,
    { schema: { ...hidden, params: orgItemParams, response: { 200: receiptCodeHistory } } },
    async (req) =>
      receiptCodeHistoryForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId, id: req.params.id }),
  );
  http.get(
    `${base}/:id`,
    { schema: { ...hidden, params: orgItemParams, response: { 200: receiptCodeDetail } } },
    async (req) =>
      getReceiptCodeForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId, id: req.params.id }),
  );
  http.put(
    `${base}/:id`,
    {
      schema: {
        ...hidden,
        params: orgItemParams,
        body: consoleReceiptCodeBody,
        response: { 200: receiptCodeDetail },
      },
    },
    async (req) =>
      updateReceiptCodeForConsole(ctx, {
        actor: actorOf(req),
        orgId: req.params.orgId,
        id: req.params.id,
        input: req.body,
      }),
  );
  http.post(
    `${base}/:id/disable`,
    { schema: { ...hidden, params: orgItemParams, response: { 200: receiptCodeDetail } } },
    async (req) =>
      disableReceiptCodeForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId, id: req.params.id }),
  );
  http.get(
    `${base}/:id/slip.pdf`,
    { schema: { ...hidden, params: orgItemParams, querystring: slipQuery } },
    async (req, reply) => {
      const { pdf, serialNo } = await printReceiptSlip(ctx, {
        actor: actorOf(req),
        orgId: req.params.orgId,
        id: req.params.id,
        format: req.query.format,
      });
      return sendSlips(reply, `小票-${serialNo}-${req.query.format}.pdf`, pdf);
    },
  );
}
