import { z } from "zod";
import { RED_CONFIRMATION_STATUSES } from "../../domain";

/**
 * An invoice as merchants see it: the open API's answers (API.md §1 Invoices) and the data of the
 * `invoice.*` webhook events are this one shape.
 */

const money = z.string();
export const totals = z.object({ amountExcludingTax: money, taxAmount: money, totalAmount: money });

export const invoiceLineOut = z.object({
  kind: z.enum(["normal", "discounted", "discount"]),
  itemName: z.string(),
  taxCode: z.string(),
  spec: z.string(),
  unit: z.string(),
  quantity: z.string().nullable(),
  unitPrice: z.string().nullable(),
  amountExcludingTax: money,
  taxRate: z.string(),
  taxRateLabel: z.string(),
  tax: money,
  amountIncludingTax: money,
});

/**
 * What remains reversible of an issued blue invoice, in total and per line (lineNo as printed; a
 * discounted line with its discount as one line, net); amounts tax-inclusive and positive.
 */
export const reversibleView = z.object({
  remaining: totals,
  lines: z.array(
    z.object({
      lineNo: z.number(),
      itemName: z.string(),
      unit: z.string(),
      taxRateLabel: z.string(),
      quantity: z.string().nullable(),
      amountIncludingTax: money,
      reversedQuantity: z.string().nullable(),
      reversedAmount: money,
      remainingQuantity: z.string().nullable(),
      remainingAmount: money,
    }),
  ),
});
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
  /** `partially_reversed`: red invoices (部分红冲) took part of it; `reversible` says what remains. */
  status: z.enum(["issuing", "issued", "failed", "reversed", "partially_reversed"]),
  number: z.string().nullable(),
  issuedAt: z.string().nullable(),
  /** 1..seqCount when an order above the limit was split into several invoices. */
  seq: z.number(),
  seqCount: z.number(),
  buyer: z.object({
    type: z.string(),
    name: z.string(),
    taxId: z.string(),
    address: z.string(),
    phone: z.string(),
    bankName: z.string(),
    bankAccount: z.string(),
  }),
  email: z.string().nullable(),
  mobile: z.string().nullable(),
  remark: z.string(),
  lines: z.array(invoiceLineOut),
  totals,
  failure: z.object({ code: z.string(), message: z.string() }).nullable(),
  /** Signed download links, valid for one hour. */
  pdfUrl: z.string().nullable(),
  xmlUrl: z.string().nullable(),
  /** The (latest) red invoice reversing this one (on a blue invoice), once there is one. */
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
  /** On a blue invoice: all its red invoices (部分红冲 makes several), oldest first. */
  reds: z.array(
    z.object({
      id: z.string(),
      number: z.string().nullable(),
      status: z.string(),
      issuedAt: z.string().nullable(),
      reason: z.string(),
      totals,
    }),
  ),
  /**
   * On an issued blue invoice: what remains reversible, in total and per line (lineNo as printed;
   * a discounted line with its discount as one line, net), amounts tax-inclusive and positive.
   */
  reversible: reversibleView.nullable(),
  /**
   * Only in an `invoice.reversed` event: what the red invoice just issued took from this one
   * (positive amounts; `reversible.remaining` is what is left).
   */
  reversal: z
    .object({
      redInvoiceId: z.string(),
      number: z.string().nullable(),
      reason: z.string(),
      lines: z.array(
        z.object({
          lineNo: z.number(),
          quantity: z.string().nullable(),
          amountExcludingTax: money,
          tax: money,
          amountIncludingTax: money,
        }),
      ),
      totals,
    })
    .optional(),
  /**
   * On a red invoice: its 红字发票信息确认单 (DOMAIN.md §8) — number (null until the channel gives
   * one), state, when it was applied for, its deadline while pending, when it was decided.
   */
  redConfirmation: redConfirmationOut.nullable(),
});
export type OpenInvoice = z.infer<typeof openInvoice>;

/**
 * 部分红冲 in a reverse request (open API and console): `lines` — the blue lines by lineNo (as
 * printed, 1-based), each with a `quantity`, or an `amount` (价税合计, for 销售折让), or neither
 * (what remains of the line); or a top-level `amount` (销售折让, shared by the lines). Neither: the
 * whole invoice (what remains of it). The rules (what remains, signs, decimals) are the domain's.
 */
export const reverseParts = {
  lines: z
    .array(
      z.object({
        lineNo: z.number({ error: "lineNo 应为行号（整数）" }).int("lineNo 应为行号（整数）"),
        quantity: z.string({ error: 'quantity 应为字符串形式的数字，如 "1"' }).max(40).optional(),
        amount: z.string({ error: 'amount 应为字符串形式的金额，如 "10.00"' }).max(40).optional(),
      }),
    )
    .max(2000, "最多选择 2000 行")
    .optional(),
  amount: z.string({ error: 'amount 应为字符串形式的金额，如 "10.00"' }).max(40).optional(),
};

/**
 * The `invoice.*` webhook events (API.md §1 Webhooks), for the generated API document: each is
 * `POST {webhookUrl}` with `{ id, type, createdAt, data }`, `data` the invoice in the shape above.
 */
export const INVOICE_WEBHOOK_EVENTS = {
  "invoice.issued": "发票开具成功 An invoice was issued; data: the invoice",
  "invoice.failed":
    "发票开具失败 An invoice failed (a red one too: 确认单 refused or expired); data: the invoice",
  "invoice.reversed":
    "发票已红冲 A blue invoice was reversed (in full or in part); data: the blue invoice, its latest red one in `red`, what this red invoice took in `reversal`, what remains in `reversible`",
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
