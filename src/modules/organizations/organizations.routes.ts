import { z } from "zod";
import type { AppContext } from "../../context";
import { hidden, orgParams } from "../../platform/console-schemas";
import type { HttpServer } from "../../platform/http";
import { actorOf } from "../auth/console-guard";
import { organizationInput, organizationOutput } from "./organizations.console.schema";
import {
  createOrganizationForConsole,
  findOrganizationsForConsole,
  getOrganizationForConsole,
  updateOrganizationForConsole,
} from "./organizations.console.service";
import {
  getIntegrationsForConsole,
  integrationsInput,
  integrationsOutput,
  updateIntegrationsForConsole,
} from "./organizations.integrations";
import { getSmsSettings, smsSettingsInput, smsSettingsOutput, updateSmsSettings } from "./organizations.sms";

/** 基础资料 · 组织 (销售方). */
export function registerOrganizationRoutes(http: HttpServer, ctx: AppContext): void {
  http.get("/orgs", { schema: { ...hidden, response: { 200: z.array(organizationOutput) } } }, async (req) =>
    findOrganizationsForConsole(ctx, { actor: actorOf(req) }),
  );
  http.post(
    "/orgs",
    { schema: { ...hidden, body: organizationInput, response: { 201: organizationOutput } } },
    async (req, reply) => {
      const org = await createOrganizationForConsole(ctx, { actor: actorOf(req), input: req.body });
      return reply.status(201).send(org);
    },
  );
  http.get(
    "/orgs/:orgId",
    { schema: { ...hidden, params: orgParams, response: { 200: organizationOutput } } },
    async (req) => getOrganizationForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId }),
  );
  http.put(
    "/orgs/:orgId",
    {
      schema: {
        ...hidden,
        params: orgParams,
        body: organizationInput,
        response: { 200: organizationOutput },
      },
    },
    async (req) =>
      updateOrganizationForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId, input: req.body }),
  );
  // 扫码页抬头服务: the 公众号 for 微信抬头 and the 抬头 lookup's registry service (secrets masked).
  http.get(
    "/orgs/:orgId/integrations",
    { schema: { ...hidden, params: orgParams, response: { 200: integrationsOutput } } },
    async (req) => getIntegrationsForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId }),
  );
  http.put(
    "/orgs/:orgId/integrations",
    {
      schema: {
        ...hidden,
        params: orgParams,
        body: integrationsInput,
        response: { 200: integrationsOutput },
      },
    },
    async (req) =>
      updateIntegrationsForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId, input: req.body }),
  );
  // 短信通知: the organization's 短信签名 and template at the installation's SMS provider.
  http.get(
    "/orgs/:orgId/sms-settings",
    { schema: { ...hidden, params: orgParams, response: { 200: smsSettingsOutput } } },
    async (req) => getSmsSettings(ctx, { actor: actorOf(req), orgId: req.params.orgId }),
  );
  http.put(
    "/orgs/:orgId/sms-settings",
    {
      schema: { ...hidden, params: orgParams, body: smsSettingsInput, response: { 200: smsSettingsOutput } },
    },
    async (req) => updateSmsSettings(ctx, { actor: actorOf(req), orgId: req.params.orgId, input: req.body }),
  );
}
