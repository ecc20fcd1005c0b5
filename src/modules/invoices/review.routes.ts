import { z } from "zod";
import type { AppContext } from "../../context";
import { hidden, orgItemParams, orgParams } from "../../platform/console-schemas";
import type { HttpServer } from "../../platform/http";
import { actorOf } from "../auth/console-guard";
import { invoiceDetail } from "./invoices.console.schema";
import { getInvoiceForConsole } from "./invoices.console.service";
import { declineBody, reviewRuleInput, reviewRuleOutput } from "./review.schema";
import {
  approveInvoiceForConsole,
  createReviewRule,
  declineInvoiceForConsole,
  deleteReviewRule,
  listReviewRules,
} from "./review.service";

/**
 * 审核开票: the organization's rules (admins) and the decision on a held invoice (operators). The
 * 待审核 list is 发票管理's list filtered by status `awaiting_review`.
 */
export function registerReviewRoutes(http: HttpServer, ctx: AppContext): void {
  const rules = "/orgs/:orgId/review-rules";
  http.get(
    rules,
    { schema: { ...hidden, params: orgParams, response: { 200: z.array(reviewRuleOutput) } } },
    async (req) => listReviewRules(ctx, { actor: actorOf(req), orgId: req.params.orgId }),
  );
  http.post(
    rules,
    { schema: { ...hidden, params: orgParams, body: reviewRuleInput, response: { 201: reviewRuleOutput } } },
    async (req, reply) =>
      reply
        .status(201)
        .send(await createReviewRule(ctx, { actor: actorOf(req), orgId: req.params.orgId, input: req.body })),
  );
  http.delete(
    `${rules}/:id`,
    { schema: { ...hidden, params: orgItemParams, response: { 204: z.null() } } },
    async (req, reply) => {
      await deleteReviewRule(ctx, { actor: actorOf(req), orgId: req.params.orgId, id: req.params.id });
      return reply.status(204).send(null);
    },
  );
  http.post(
    "/orgs/:orgId/invoices/:id/approve",
    { schema: { ...hidden, params: orgItemParams, response: { 200: invoiceDetail } } },
    async (req) => {
      const actor = actorOf(req);
      const { orgId, id } = req.params;
      await approveInvoiceForConsole(ctx, { actor, orgId, id });
      return getInvoiceForConsole(ctx, { actor, orgId, id });
    },
  );
  http.post(
    "/orgs/:orgId/invoices/:id/decline",
    { schema: { ...hidden, params: orgItemParams, body: declineBody, response: { 200: invoiceDetail } } },
    async (req) => {
      const actor = actorOf(req);
      const { orgId, id } = req.params;
      await declineInvoiceForConsole(ctx, { actor, orgId, id, reason: req.body.reason });
      return getInvoiceForConsole(ctx, { actor, orgId, id });
    },
  );
}
