import type { AppContext } from "../../context";
import { errorBody, type HttpServer, registerScope } from "../../platform/http";
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
          body: pushOrderBody,
          response: { 200: openReceiptCode, 201: openReceiptCode, ...errors },
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

    registerOpenInvoiceRoutes(api, ctx);
  });
}
