import type { AppContext } from "../../context";
import { errorBody, type HttpServer, registerScope } from "../../platform/http";
import { refundBody, refundView } from "../refunds/refunds.schema";
import { refundOrder } from "../refunds/refunds.service";
import {
  matchBody,
  matchResult,
  pendingIdParams,
  pendingListQuery,
  pendingPage,
} from "../store-codes/store-codes.schema";
import { listPending, matchPending } from "../store-codes/store-codes.service";
import { appActorOf, installOpenApiSigning } from "./open-api.auth";
import { registerOpenInvoiceRoutes } from "./open-api.invoices.routes";
import { openReceiptCode, orderNoParams, pushOrderBody } from "./open-api.schema";
import { disableOrderCode, getOrderCode, orderQr, pushOrder } from "./open-api.service";

const errors = { 401: errorBody, 404: errorBody, 409: errorBody, 422: errorBody };
const security = [{ AppKey: [], Timestamp: [], Nonce: [], Signature: [] }];

/** The merchant open API under /open/v1 (API.md §1): every route signed (open-api.auth.ts). */
export async function registerOpenApiRoutes(http: HttpServer, ctx: AppContext): Promise<void> {
  await registerScope(http, { prefix: "/open/v1" }, async (api) => {
    installOpenApiSigning(api, ctx);
    const tags = ["open"];

    api.post(
      "/receipt-codes",
      {
        schema: {
          tags,
          security,
          summary: "3.2.01 推送订单，获取开票码 Push an order, get the QR link",
          description:
            "With `pendingSubmissionId` (a 门店码 submission from `GET /pending-submissions`) the code is created and the submission's buyer submitted on it in one transaction, then issued; the submission refused creates nothing: another organization's 404 `PENDING_SUBMISSION_NOT_FOUND`, expired 410 `PENDING_SUBMISSION_EXPIRED`, matched or dismissed 409 `PENDING_SUBMISSION_CLOSED`, a total other than the amount the consumer typed 422 `PENDING_AMOUNT_MISMATCH`.",
          body: pushOrderBody,
          response: { 200: openReceiptCode, 201: openReceiptCode, ...errors, 410: errorBody },
        },
      },
      async (req, reply) => {
        const { created, code } = await pushOrder(ctx, { actor: appActorOf(req), body: req.body });
        return reply.status(created ? 201 : 200).send(code);
      },
    );

    api.get(
      "/receipt-codes/:orderNo",
      {
        schema: {
          tags,
          security,
          summary: "按订单号查询开票码与发票 The code of an order and its invoices",
          params: orderNoParams,
          response: { 200: openReceiptCode, ...errors },
        },
      },
      async (req) => getOrderCode(ctx, { actor: appActorOf(req), orderNo: req.params.orderNo }),
    );

    for (const format of ["png", "svg"] as const) {
      api.get(
        `/receipt-codes/:orderNo/qr.${format}`,
        {
          schema: {
            tags,
            security,
            summary: `开票码二维码 ${format.toUpperCase()} The QR image of the code's URL`,
            params: orderNoParams,
          },
        },
        async (req, reply) => {
          const image = await orderQr(ctx, { actor: appActorOf(req), orderNo: req.params.orderNo, format });
          return reply.type(format === "png" ? "image/png" : "image/svg+xml; charset=utf-8").send(image);
        },
      );
    }

    api.post(
      "/receipt-codes/:orderNo/disable",
      {
        schema: {
          tags,
          security,
          summary: "禁用开票码 Disable the code",
          params: orderNoParams,
          response: { 200: openReceiptCode, ...errors },
        },
      },
      async (req) => disableOrderCode(ctx, { actor: appActorOf(req), orderNo: req.params.orderNo }),
    );

    api.post(
      "/receipt-codes/:orderNo/refunds",
      {
        schema: {
          tags,
          security,
          summary: "退款 Refund (part of) an order",
          description:
            "按 refundNo 幂等（同一单号同一内容返回同一结果，内容不同 409 REFUND_CONFLICT）。未开票的小票按退款扣减明细" +
            "（status reduced），全部退完则关闭（status closed，小票 refunded）；已开票的自动开红字发票（整张或部分），" +
            "拆分或合并开具的在每张载有所退明细的发票上各开一张（reversals）；正在开票的待开具后自动红冲（awaiting_invoice）；" +
            "通道只能整张红冲而只退一部分、或发票上认不出该小票的明细时记为需人工处理（manual，原因见 note）。" +
            "lines 的行号为推送时的明细行号（含折扣行）。",
          params: orderNoParams,
          body: refundBody,
          response: { 200: refundView, 201: refundView, ...errors },
        },
      },
      async (req, reply) => {
        const { created, view } = await refundOrder(ctx, {
          actor: appActorOf(req),
          orderNo: req.params.orderNo,
          body: req.body,
        });
        return reply.status(created ? 201 : 200).send(view);
      },
    );

    api.get(
      "/pending-submissions",
      {
        schema: {
          tags,
          security,
          summary: "门店码待匹配提交 Store-code submissions waiting for a sale",
          description:
            "Buyers submitted on the organization's 门店码 (with the optional amount and receipt number they gave), newest first, paged; `status` defaults to `waiting`. Match one to an order with `POST /pending-submissions/{id}/match`.",
          querystring: pendingListQuery,
          response: { 200: pendingPage, ...errors },
        },
      },
      async (req) => listPending(ctx, { orgId: appActorOf(req).orgId, ...req.query }),
    );

    api.post(
      "/pending-submissions/:id/match",
      {
        schema: {
          tags,
          security,
          summary: "匹配订单 Match a store-code submission to an order",
          description:
            "The submission's buyer is submitted on the order's code (pushed before with `POST /receipt-codes`) and issued as usual. Once only: a submission already matched, dismissed or expired, or a code already submitted or matched, answers 409.",
          params: pendingIdParams,
          body: matchBody,
          response: { 200: matchResult, ...errors, 410: errorBody },
        },
      },
      async (req) =>
        matchPending(ctx, { orgId: appActorOf(req).orgId, id: req.params.id, orderNo: req.body.orderNo }),
    );

    registerOpenInvoiceRoutes(api, ctx);
  });
}
