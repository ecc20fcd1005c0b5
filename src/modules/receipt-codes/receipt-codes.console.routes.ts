import type { AppContext } from "../../context";
import { hidden, orgItemParams, orgParams, pageOf } from "../../platform/console-schemas";
import type { HttpServer } from "../../platform/http";
import { actorOf } from "../auth/console-guard";
import {
  consoleReceiptCodeInput,
  receiptCodeCreated,
  receiptCodeDetail,
  receiptCodeListItem,
  receiptCodeListQuery,
  slipQuery,
} from "./receipt-codes.console.schema";
import {
  createReceiptCodeForConsole,
  disableReceiptCodeForConsole,
  findReceiptCodesForConsole,
  getReceiptCodeForConsole,
  updateReceiptCodeForConsole,
} from "./receipt-codes.console.service";
import { previewReceiptCodePdf, printReceiptSlip } from "./receipt-codes.print.service";

const base = "/orgs/:orgId/receipt-codes";

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
        body: consoleReceiptCodeInput,
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
  http.post(
    `${base}/preview`,
    { schema: { ...hidden, params: orgParams, body: consoleReceiptCodeInput } },
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
        body: consoleReceiptCodeInput,
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
      const name = encodeURIComponent(`小票-${serialNo}-${req.query.format}.pdf`);
      return reply
        .type("application/pdf")
        .header("content-disposition", `inline; filename*=UTF-8''${name}`)
        .header("cache-control", "no-store")
        .send(pdf);
    },
  );
}
