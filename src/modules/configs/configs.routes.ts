import type { AppContext } from "../../context";
import { hidden, orgParams } from "../../platform/console-schemas";
import type { HttpServer } from "../../platform/http";
import { actorOf } from "../auth/console-guard";
import { configInput, configOutput } from "./configs.schema";
import { getConfig, updateConfig } from "./configs.service";

/** 小票码配置 (F17025). */
export function registerConfigRoutes(http: HttpServer, ctx: AppContext): void {
  http.get(
    "/orgs/:orgId/config",
    { schema: { ...hidden, params: orgParams, response: { 200: configOutput } } },
    async (req) => getConfig(ctx, { actor: actorOf(req), orgId: req.params.orgId }),
  );
  http.put(
    "/orgs/:orgId/config",
    { schema: { ...hidden, params: orgParams, body: configInput, response: { 200: configOutput } } },
    async (req) => updateConfig(ctx, { actor: actorOf(req), orgId: req.params.orgId, input: req.body }),
  );
}
