import { z } from "zod";
import type { AppContext } from "../../context";
import { hidden, orgParams } from "../../platform/console-schemas";
import type { HttpServer } from "../../platform/http";
import { actorOf } from "../auth/console-guard";
import {
  actionParams,
  exceptionCounts,
  exceptionList,
  exceptionQuery,
  exceptionSettingsInput,
  exceptionSettingsOutput,
} from "./exceptions.schema";
import {
  actOnException,
  countExceptions,
  findExceptions,
  getExceptionSettings,
  saveExceptionSettings,
} from "./exceptions.service";

/** 异常中心: the list (all organizations the user reads, or `?orgId=`), the menu's counts, actions, thresholds. */
export function registerExceptionRoutes(http: HttpServer, ctx: AppContext): void {
  http.get(
    "/exceptions",
    { schema: { ...hidden, querystring: exceptionQuery, response: { 200: exceptionList } } },
    async (req) => findExceptions(ctx, { actor: actorOf(req), orgId: req.query.orgId, kind: req.query.kind }),
  );
  http.get(
    "/exceptions/counts",
    { schema: { ...hidden, querystring: exceptionQuery, response: { 200: exceptionCounts } } },
    async (req) => countExceptions(ctx, { actor: actorOf(req), orgId: req.query.orgId }),
  );
  http.post(
    "/orgs/:orgId/exceptions/:kind/:id/action",
    { schema: { ...hidden, params: actionParams, response: { 204: z.null() } } },
    async (req, reply) => {
      await actOnException(ctx, { actor: actorOf(req), ...req.params });
      return reply.status(204).send(null);
    },
  );
  http.get(
    "/orgs/:orgId/exception-settings",
    { schema: { ...hidden, params: orgParams, response: { 200: exceptionSettingsOutput } } },
    async (req) => getExceptionSettings(ctx, { actor: actorOf(req), orgId: req.params.orgId }),
  );
  http.put(
    "/orgs/:orgId/exception-settings",
    {
      schema: {
        ...hidden,
        params: orgParams,
        body: exceptionSettingsInput,
        response: { 200: exceptionSettingsOutput },
      },
    },
    async (req) =>
      saveExceptionSettings(ctx, { actor: actorOf(req), orgId: req.params.orgId, input: req.body }),
  );
}
