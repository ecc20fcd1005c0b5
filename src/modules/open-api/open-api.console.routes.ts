import { z } from "zod";
import type { AppContext } from "../../context";
import { hidden, orgParams } from "../../platform/console-schemas";
import type { HttpServer } from "../../platform/http";
import { gated, oneLine } from "../../platform/input";
import { actorOf } from "../auth/console-guard";
import {
  credentialOutput,
  issuedCredentialOutput,
  openApiSettingsOutput,
  webhookEventOutput,
  webhookRedeliverOutput,
  webhookTestOutput,
} from "./open-api.console.schema";
import {
  createCredentialsForConsole,
  findCredentialsForConsole,
  findWebhookEventsForConsole,
  getOpenApiSettings,
  redeliverWebhookEventForConsole,
  revokeCredentialsForConsole,
  rotateCredentialsForConsole,
  sendTestWebhookForConsole,
  updateOpenApiSettings,
} from "./open-api.console.service";

const keyParams = orgParams.extend({
  appKey: oneLine()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_-]+$/, "App Key 格式不正确"),
});
const eventParams = orgParams.extend({
  eventId: oneLine()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_-]+$/, "事件编号格式不正确"),
});
const url = gated(z.url({ protocol: /^https?$/, error: "请填写 http(s) 地址" }).max(500, "地址过长"))
  .nullable()
  .or(z.literal("").transform(() => null));

/** 开放接口 in the console (inside the guarded /api/console scope; admins only, checked by the service). */
export function registerOpenApiConsoleRoutes(http: HttpServer, ctx: AppContext): void {
  const base = "/orgs/:orgId";
  http.get(
    `${base}/credentials`,
    { schema: { ...hidden, params: orgParams, response: { 200: z.array(credentialOutput) } } },
    async (req) => findCredentialsForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId }),
  );
  http.post(
    `${base}/credentials`,
    {
      schema: {
        ...hidden,
        params: orgParams,
        body: z.object({ label: oneLine().max(50).optional() }).optional(),
        response: { 201: issuedCredentialOutput },
      },
    },
    async (req, reply) =>
      reply.status(201).send(
        await createCredentialsForConsole(ctx, {
          actor: actorOf(req),
          orgId: req.params.orgId,
          label: req.body?.label,
        }),
      ),
  );
  http.post(
    `${base}/credentials/:appKey/revoke`,
    { schema: { ...hidden, params: keyParams } },
    async (req, reply) => {
      await revokeCredentialsForConsole(ctx, { actor: actorOf(req), ...req.params });
      return reply.status(204).send();
    },
  );
  http.post(
    `${base}/credentials/:appKey/rotate`,
    {
      schema: {
        ...hidden,
        params: keyParams,
        body: z.object({ revokeOld: z.boolean().optional() }).optional(),
        response: { 201: issuedCredentialOutput },
      },
    },
    async (req, reply) =>
      reply.status(201).send(
        await rotateCredentialsForConsole(ctx, {
          actor: actorOf(req),
          ...req.params,
          revokeOld: req.body?.revokeOld,
        }),
      ),
  );
  http.get(
    `${base}/open-api`,
    { schema: { ...hidden, params: orgParams, response: { 200: openApiSettingsOutput } } },
    async (req) => getOpenApiSettings(ctx, { actor: actorOf(req), orgId: req.params.orgId }),
  );
  http.put(
    `${base}/open-api`,
    {
      schema: {
        ...hidden,
        params: orgParams,
        body: z.object({ orderQueryUrl: url, webhookUrl: url }),
        response: { 200: openApiSettingsOutput },
      },
    },
    async (req) =>
      updateOpenApiSettings(ctx, { actor: actorOf(req), orgId: req.params.orgId, input: req.body }),
  );
  http.post(
    `${base}/open-api/webhook-test`,
    { schema: { ...hidden, params: orgParams, response: { 202: webhookTestOutput } } },
    async (req, reply) =>
      reply
        .status(202)
        .send(await sendTestWebhookForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId })),
  );
  http.get(
    `${base}/webhook-events`,
    { schema: { ...hidden, params: orgParams, response: { 200: z.array(webhookEventOutput) } } },
    async (req) => findWebhookEventsForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId }),
  );
  http.post(
    `${base}/webhook-events/:eventId/redeliver`,
    { schema: { ...hidden, params: eventParams, response: { 202: webhookRedeliverOutput } } },
    async (req, reply) =>
      reply
        .status(202)
        .send(await redeliverWebhookEventForConsole(ctx, { actor: actorOf(req), ...req.params })),
  );
}
