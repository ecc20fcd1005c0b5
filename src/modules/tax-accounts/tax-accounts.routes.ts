import { z } from "zod";
import type { AppContext } from "../../context";
import { hidden, orgItemParams, orgParams } from "../../platform/console-schemas";
import type { HttpServer } from "../../platform/http";
import { actorOf } from "../auth/console-guard";
import {
  accountStatusOutput,
  channelOutput,
  reauthOutput,
  taxAccountInput,
  taxAccountOutput,
  taxAccountReauthInput,
} from "./tax-accounts.schema";
import {
  channelsForConsole,
  findTaxAccountsForConsole,
  reauthTaxAccountForConsole,
  saveTaxAccount,
  testTaxAccountForConsole,
} from "./tax-accounts.service";

/** 基础资料 · 电子税局账号. */
export function registerTaxAccountRoutes(http: HttpServer, ctx: AppContext): void {
  http.get(
    "/orgs/:orgId/tax-accounts",
    { schema: { ...hidden, params: orgParams, response: { 200: z.array(taxAccountOutput) } } },
    async (req) => findTaxAccountsForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId }),
  );
  http.post(
    "/orgs/:orgId/tax-accounts",
    { schema: { ...hidden, params: orgParams, body: taxAccountInput, response: { 201: taxAccountOutput } } },
    async (req, reply) =>
      reply
        .status(201)
        .send(await saveTaxAccount(ctx, { actor: actorOf(req), orgId: req.params.orgId, input: req.body })),
  );
  http.put(
    "/orgs/:orgId/tax-accounts/:id",
    {
      schema: {
        ...hidden,
        params: orgItemParams,
        body: taxAccountInput,
        response: { 200: taxAccountOutput },
      },
    },
    async (req) =>
      saveTaxAccount(ctx, {
        actor: actorOf(req),
        orgId: req.params.orgId,
        id: req.params.id,
        input: req.body,
      }),
  );
  http.get(
    "/orgs/:orgId/tax-account-channels",
    { schema: { ...hidden, params: orgParams, response: { 200: z.array(channelOutput) } } },
    async (req) => channelsForConsole({ actor: actorOf(req), orgId: req.params.orgId }),
  );
  http.post(
    "/orgs/:orgId/tax-accounts/:id/test",
    { schema: { ...hidden, params: orgItemParams, response: { 200: accountStatusOutput } } },
    async (req) =>
      testTaxAccountForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId, id: req.params.id }),
  );
  // 扫码认证: a new QR (刷新二维码), or where the scan stands (polled while the dialog is open).
  http.post(
    "/orgs/:orgId/tax-accounts/:id/reauth",
    {
      schema: {
        ...hidden,
        params: orgItemParams,
        body: taxAccountReauthInput,
        response: { 200: reauthOutput },
      },
    },
    async (req) =>
      reauthTaxAccountForConsole(ctx, {
        actor: actorOf(req),
        orgId: req.params.orgId,
        id: req.params.id,
        input: req.body,
      }),
  );
}
