import { z } from "zod";
import { RED_CONFIRMATION_STATUSES } from "../../domain";
import { buyerView, invoiceLineView, totalsView } from "./invoices.schema";

/**
 * An invoice as merchants see it: the open API's answers (API.md §1 Invoices) and the data of the
 * `invoice.*` webhook events are this one shape.
 */

/** A 红字确认单 as merchants and the console see it. */
export const redConfirmationOut = z
  .object({
    number: z.string().nullable(),
    status: z.enum(RED_CONFIRMATION_STATUSES),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    decidedAt: z.string().nullable(),
  })
  .meta({
    description:
      "红字确认单. status: requested 申请中 · no_confirmation_needed 无需确认 · pending 待确认 (72 h) · confirmed 已确认 · refused 已拒绝 · expired 已过期 · failed 申请失败",
  });

export const openInvoice = z.object({
  id: z.string(),
  orderNo: z.string(),
  type: z.enum(["digital_normal", "digital_special"]),
  color: z.enum(["blue", "red"]),
  status: z.enum(["issuing", "issued", "failed", "reversed"]),
  number: z.string().nullable(),
  issuedAt: z.string().nullable(),
  /** 1..seqCount when an order above the limit was split into several invoices. */
  seq: z.number(),
  seqCount: z.number(),
  buyer: buyerView,
  email: z.string().nullable(),
  mobile: z.string().nullable(),
  remark: z.string(),
  lines: z.array(invoiceLineView),
  totals: totalsView,
  failure: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** Signed download links, valid for one hour. */
  pdfUrl: z.string().nullable(),
  xmlUrl: z.string().nullable(),
  /** The red invoice reversing this one (on a blue invoice), once there is one. */
  red: z
    .object({
      id: z.string(),
      number: z.string().nullable(),
      status: z.string(),
      issuedAt: z.string().nullable(),
      reason: z.string(),
    })
    .nullable(),
  /** On a red invoice: the blue invoice it reverses. */
  blueInvoiceId: z.string().nullable(),
  /**
   * On a red invoice: its 红字发票信息确认单 (DOMAIN.md §8) — number (null until the channel gives
   * one), state, when it was applied for, its deadline while pending, when it was decided.
   */
  redConfirmation: redConfirmationOut.nullable(),
});
export type OpenInvoice = z.infer<typeof openInvoice>;

/**
 * The `invoice.*` webhook events (API.md §1 Webhooks), for the generated API document: each is
 * `POST {webhookUrl}` with `{ id, type, createdAt, data }`, `data` the invoice in the shape above.
 */
export const INVOICE_WEBHOOK_EVENTS = {
  "invoice.issued": "发票开具成功 An invoice was issued; data: the invoice",
  "invoice.failed":
    "发票开具失败 An invoice failed (a red one too: 确认单 refused or expired); data: the invoice",
  "invoice.reversed": "发票已红冲 A blue invoice was reversed; data: the blue invoice, its red one in `red`",
  "invoice.red_confirmation":
    "红字确认单状态变化 A red invoice's 红字确认单 changed state (pending 待确认, confirmed 已确认, refused 已拒绝, expired 已过期 after 72 h, no_confirmation_needed 无需确认, failed 申请失败); data: the red invoice, the 确认单 in `redConfirmation`",
} as const;

/** The events above as OpenAPI `webhooks` entries: the signed POST each one is. */
export function invoiceWebhookDocs(): Record<string, unknown> {
  const invoice = z.toJSONSchema(openInvoice, { target: "openapi-3.0", io: "output" });
  const docs: Record<string, unknown> = {};
  for (const [type, summary] of Object.entries(INVOICE_WEBHOOK_EVENTS)) {
    docs[type] = {
      post: {
        summary,
        description:
          "POST {webhookUrl}，带四个签名请求头（X-App-Key、X-Timestamp、X-Nonce、X-Signature，另有 X-Signatures）。" +
          "非 2xx 或 5 秒超时后于 1 分钟、5 分钟、30 分钟、2 小时、6 小时、24 小时重试。",
        requestBody: {
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["id", "type", "createdAt", "data"],
                properties: {
                  id: { type: "string", example: "evt_…" },
                  type: { type: "string", enum: [type] },
                  createdAt: { type: "string", format: "date-time" },
                  data: invoice,
                },
              },
            },
          },
        },
        responses: { "200": { description: "已收到 Received (any 2xx)" } },
      },
    };
  }
  return docs;
}
