import { z } from "zod";
import type { AppContext } from "../../context";
import { hidden, orgItemParams, orgParams } from "../../platform/console-schemas";
import { AppError, isAppError } from "../../platform/errors";
import { FailureLimiter } from "../../platform/failure-limiter";
import { errorBody, type HttpServer, registerScope } from "../../platform/http";
import { oneLine } from "../../platform/input";
import { actorOf } from "../auth/console-guard";
import { findInvoice } from "../invoices/invoices.repository";
import { reverseAndReissue } from "../invoices/reissue";
import {
  consoleCorrection,
  correctionBody,
  correctionListQuery,
  correctionView,
  refuseBody,
  reissueBody,
} from "./corrections.schema";
import {
  applyForCorrection,
  correctionsForConsole,
  correctionsOfToken,
  decideCorrection,
} from "./corrections.service";

const tokenParams = z.object({
  token: oneLine()
    .min(8)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/),
});

/** 申请重开 on the re-scan page (the consumer interface, its own budget for unknown tokens). */
export async function registerCorrectionScanRoutes(http: HttpServer, ctx: AppContext): Promise<void> {
  await registerScope(http, {}, (app) => {
    const guesses = new FailureLimiter(30, 10 * 60_000);
    app.addHook("onRequest", async (req) => {
      guesses.check(req.ip);
    });
    app.addHook("onError", async (req, _reply, error) => {
      if (isAppError(error) && error.code === "RECEIPT_CODE_NOT_FOUND") guesses.record(req.ip);
    });
    const errors = { 404: errorBody, 409: errorBody, 422: errorBody, 429: errorBody };
    app.post(
      "/api/scan/:token/corrections",
      {
        schema: {
          tags: ["scan"],
          summary: "申请重开 Ask for an invoice to be issued again to a corrected buyer (换开)",
          params: tokenParams,
          body: correctionBody,
          response: { 201: correctionView, ...errors },
        },
      },
      async (req, reply) =>
        reply.status(201).send(await applyForCorrection(ctx, { token: req.params.token, body: req.body })),
    );
    app.get(
      "/api/scan/:token/corrections",
      {
        schema: {
          tags: ["scan"],
          summary: "重开申请 The code's correction requests and their outcome",
          params: tokenParams,
          response: { 200: z.object({ items: z.array(correctionView) }), ...errors },
        },
      },
      async (req) => ({ items: await correctionsOfToken(ctx, req.params.token) }),
    );
  });
}

/** The console's 换开申请 (list, 同意, 拒绝) and 红冲并重开 on an invoice. */
export function registerCorrectionConsoleRoutes(http: HttpServer, ctx: AppContext): void {
  http.get(
    "/orgs/:orgId/corrections",
    {
      schema: {
        ...hidden,
        params: orgParams,
        querystring: correctionListQuery,
        response: { 200: z.object({ items: z.array(consoleCorrection) }) },
      },
    },
    async (req) => ({
      items: await correctionsForConsole(ctx, {
        actor: actorOf(req),
        orgId: req.params.orgId,
        status: req.query.status,
      }),
    }),
  );
  http.post(
    "/orgs/:orgId/corrections/:id/approve",
    { schema: { ...hidden, params: orgItemParams, response: { 200: correctionView } } },
    async (req) =>
      decideCorrection(ctx, {
        actor: actorOf(req),
        orgId: req.params.orgId,
        id: req.params.id,
        approve: true,
      }),
  );
  http.post(
    "/orgs/:orgId/corrections/:id/refuse",
    { schema: { ...hidden, params: orgItemParams, body: refuseBody, response: { 200: correctionView } } },
    async (req) =>
      decideCorrection(ctx, {
        actor: actorOf(req),
        orgId: req.params.orgId,
        id: req.params.id,
        approve: false,
        refusalReason: req.body.reason,
      }),
  );
  http.post(
    "/orgs/:orgId/invoices/:id/reissue",
    {
      schema: {
        ...hidden,
        params: orgItemParams,
        body: reissueBody,
        response: { 201: z.object({ redInvoiceId: z.string(), newInvoiceId: z.string() }) },
      },
    },
    async (req, reply) => {
      const invoice = await findInvoice(ctx.database.db, req.params.id);
      if (!invoice || invoice.orgId !== req.params.orgId) {
        throw new AppError("INVOICE_NOT_FOUND");
      }
      const { red, reissued } = await reverseAndReissue(ctx, {
        actor: actorOf(req),
        invoiceId: invoice.id,
        correction: req.body,
      });
      return reply.status(201).send({ redInvoiceId: red.id, newInvoiceId: reissued.id });
    },
  );
}
