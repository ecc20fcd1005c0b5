import type { AppContext } from "../../context";
import { hidden, orgItemParams, orgParams } from "../../platform/console-schemas";
import {
  FailureLimiter,
  limitTokenGuesses,
  TOKEN_MISS_WINDOW_MS,
  TOKEN_MISSES_PER_WINDOW,
} from "../../platform/failure-limiter";
import { errorBody, type HttpServer, registerScope } from "../../platform/http";
import { requireOrg } from "../auth/access";
import { actorOf } from "../auth/console-guard";
import {
  matchBody,
  matchResult,
  pendingBody,
  pendingConsumerView,
  pendingItem,
  pendingListQuery,
  pendingPage,
  storeCodeBody,
  storeCodeList,
  storeCodeView,
  storePageView,
  tokenParams,
} from "./store-codes.schema";
import {
  createStoreCode,
  dismissPending,
  getPendingForConsumer,
  listPending,
  listStoreCodes,
  matchPending,
  printStoreCard,
  setStoreCodeActive,
  storePage,
  submitPending,
} from "./store-codes.service";

const errors = { 404: errorBody, 409: errorBody, 410: errorBody, 422: errorBody, 429: errorBody };

/** The consumer side of a 门店码 (`/m/{token}`): the store, the buyer submitted, then its state. */
export async function registerStoreCodeScanRoutes(http: HttpServer, ctx: AppContext): Promise<void> {
  await registerScope(http, {}, (app) => {
    const tags = ["scan"];
    // Unknown store-code and submission tokens spend a per-address budget, as on /api/scan.
    limitTokenGuesses(app, new FailureLimiter(TOKEN_MISSES_PER_WINDOW, TOKEN_MISS_WINDOW_MS), ["NOT_FOUND"]);
    app.get(
      "/api/store/:token",
      {
        schema: {
          tags,
          summary: "门店码 The store of a store code",
          params: tokenParams,
          response: { 200: storePageView, ...errors },
        },
      },
      async (req) => storePage(ctx, req.params.token),
    );
    app.post(
      "/api/store/:token/submissions",
      {
        schema: {
          tags,
          summary: "门店码提交 Submit the buyer, waiting for the merchant to match a sale",
          description:
            "The buyer as in `submit`, with the optional `amount` and `receiptNo` to help the merchant find the sale. Answers the submission's own token: `GET /api/pending/{token}` tells its state (waiting, matched → `receiptToken`, the receipt's page with the invoice; dismissed; expired).",
          params: tokenParams,
          body: pendingBody,
          response: { 201: pendingConsumerView, ...errors },
        },
      },
      async (req, reply) =>
        reply.status(201).send(await submitPending(ctx, { storeToken: req.params.token, body: req.body })),
    );
    app.get(
      "/api/pending/:token",
      {
        schema: {
          tags,
          summary: "门店码提交的状态 The state of a store-code submission",
          params: tokenParams,
          response: { 200: pendingConsumerView, ...errors },
        },
      },
      async (req) => getPendingForConsumer(ctx, req.params.token),
    );
  });
}

/** 门店码 in the console: the codes (create, disable, enable) and 待匹配 (match or dismiss). */
export function registerStoreCodeConsoleRoutes(http: HttpServer, ctx: AppContext): void {
  const base = "/orgs/:orgId/store-codes";
  http.get(
    base,
    { schema: { ...hidden, params: orgParams, response: { 200: storeCodeList } } },
    async (req) => listStoreCodes(ctx, { actor: actorOf(req), orgId: req.params.orgId }),
  );
  http.post(
    base,
    { schema: { ...hidden, params: orgParams, body: storeCodeBody, response: { 201: storeCodeView } } },
    async (req, reply) =>
      reply
        .status(201)
        .send(
          await createStoreCode(ctx, { actor: actorOf(req), orgId: req.params.orgId, name: req.body.name }),
        ),
  );
  for (const [action, active] of [
    ["disable", false],
    ["enable", true],
  ] as const)
    http.post(
      `${base}/:id/${action}`,
      { schema: { ...hidden, params: orgItemParams, response: { 200: storeCodeView } } },
      async (req) =>
        setStoreCodeActive(ctx, { actor: actorOf(req), orgId: req.params.orgId, id: req.params.id, active }),
    );

  http.get(`${base}/:id/card.pdf`, { schema: { ...hidden, params: orgItemParams } }, async (req, reply) => {
    const { pdf, name } = await printStoreCard(ctx, {
      actor: actorOf(req),
      orgId: req.params.orgId,
      id: req.params.id,
    });
    return reply
      .type("application/pdf")
      .header("content-disposition", `inline; filename*=UTF-8''${encodeURIComponent(`门店码-${name}.pdf`)}`)
      .header("cache-control", "no-store")
      .send(pdf);
  });

  const pending = "/orgs/:orgId/pending-submissions";
  http.get(
    pending,
    {
      schema: { ...hidden, params: orgParams, querystring: pendingListQuery, response: { 200: pendingPage } },
    },
    async (req) => {
      requireOrg(actorOf(req), req.params.orgId);
      return listPending(ctx, { orgId: req.params.orgId, ...req.query });
    },
  );
  http.post(
    `${pending}/:id/match`,
    { schema: { ...hidden, params: orgItemParams, body: matchBody, response: { 200: matchResult } } },
    async (req) => {
      requireOrg(actorOf(req), req.params.orgId, "operate");
      return matchPending(ctx, { orgId: req.params.orgId, id: req.params.id, orderNo: req.body.orderNo });
    },
  );
  http.post(
    `${pending}/:id/dismiss`,
    { schema: { ...hidden, params: orgItemParams, response: { 200: pendingItem } } },
    async (req) => {
      requireOrg(actorOf(req), req.params.orgId, "operate");
      return dismissPending(ctx, { orgId: req.params.orgId, id: req.params.id });
    },
  );
}
