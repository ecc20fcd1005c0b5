import { z } from "zod";
import { oneLine } from "../../platform/input";

/**
 * Shapes of the consumer interface (API.md §2). Rules (tax IDs, e-mail…) are the domain's; every
 * text passes the text gate here already (platform/input.ts), and again in the domain's readText.
 */
const text = (max: number) => oneLine().max(max, `不能超过 ${max} 个字符`);

export const tokenParams = z.object({
  token: oneLine()
    .min(8)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/),
});

export const submitBody = z.object({
  invoiceType: text(40),
  buyer: z.object({
    type: text(40),
    name: text(200),
    taxId: text(40).optional().nullable(),
    address: text(200).optional().nullable(),
    phone: text(60).optional().nullable(),
    bankName: text(200).optional().nullable(),
    bankAccount: text(60).optional().nullable(),
  }),
  email: text(254).optional().nullable(),
  mobile: text(20).optional().nullable(),
});
export type SubmitBody = z.infer<typeof submitBody>;

export const resendBody = z
  .object({ email: text(254).optional(), mobile: text(20).optional() })
  .refine((b) => Boolean(b.email) !== Boolean(b.mobile), {
    message: "请填写一个邮箱或一个手机号",
    path: ["email"],
  });

const money = z.string();
// The answers name these as the domain does (src/domain/types.ts), so the page reads them typed.
const invoiceType = z.enum(["digital_normal", "digital_special"]);
const buyerType = z.enum(["individual", "enterprise", "non_enterprise"]);
const totals = z.object({ amountExcludingTax: money, taxAmount: money, totalAmount: money });

export const invoiceView = z.object({
  id: z.string(),
  number: z.string().nullable(),
  invoiceType,
  color: z.enum(["blue", "red"]),
  status: z.string(),
  seq: z.number(),
  issuedAt: z.string().nullable(),
  totals,
  buyer: z.object({ type: buyerType, name: z.string(), taxId: z.string() }),
  email: z.string().nullable(),
  mobile: z.string().nullable(),
  pdfUrl: z.string().nullable(),
  xmlUrl: z.string().nullable(),
  redOf: z.string().nullable(),
  /**
   * For a failed invoice: a plain sentence for the consumer (the channel's own code and words are
   * for the merchant's operator, in the console); null otherwise.
   */
  failureMessage: z.string().nullable().optional(),
  /** Where the invoice was sent and how that went, recipients masked (on the scan view only). */
  deliveries: z
    .array(
      z.object({
        channel: z.enum(["email", "sms"]),
        to: z.string(),
        status: z.enum(["pending", "sent", "failed"]),
        at: z.string(),
      }),
    )
    .optional(),
});

export const scanView = z.object({
  seller: z.object({ name: z.string(), phone: z.string() }),
  serialNo: z.string(),
  status: z.enum(["active", "disabled", "expired", "issuing", "invoiced", "failed"]),
  expiresAt: z.string(),
  receiptFooter: z.string(),
  lines: z.array(
    z.object({
      kind: z.enum(["normal", "discount", "discounted"]),
      itemName: z.string(),
      name: z.string(),
      spec: z.string(),
      unit: z.string(),
      quantity: z.string().nullable(),
      unitPrice: z.string().nullable(),
      amount: money,
      taxRateLabel: z.string(),
    }),
  ),
  totals,
  invoiceTypes: z.array(invoiceType),
  defaultInvoiceType: invoiceType,
  limit: z.object({ amount: money, policy: z.enum(["reject", "split"]), invoiceCount: z.number() }),
  /** The buyer type the form starts with, as the organization chose (个人 or 企业). */
  defaultBuyerType: z.enum(["individual", "enterprise"]),
  /**
   * Which of the organization's 抬头 services the form offers: WeChat's saved titles (inside WeChat,
   * through `wechat-config`) and the company lookup by name (`titles`).
   */
  titleSources: z.object({ wechat: z.boolean(), lookup: z.boolean() }),
  /** E-mail and mobile the merchant gave with a pushed order (`notify`), to fill the form; null once submitted. */
  prefill: z.object({ email: z.string(), mobile: z.string() }).nullable(),
  submission: z
    .object({
      invoiceType: z.string(),
      buyerType: z.string(),
      buyerName: z.string(),
      email: z.string().nullable(),
      mobile: z.string().nullable(),
    })
    .nullable(),
  invoices: z.array(invoiceView),
});
export type ScanView = z.infer<typeof scanView>;
export type InvoiceView = z.infer<typeof invoiceView>;

export const submitResponse = z.object({
  status: z.enum(["issuing", "issued", "failed"]),
  invoices: z.array(invoiceView),
});
export const resendResponse = z.object({ status: z.literal("queued") });
export const wechatConfigBody = z.object({
  /** The page's own address (`location.href` without `#…`): what the JS-SDK signature covers. */
  url: oneLine().min(1).max(2000),
});
export const wechatConfigResponse = z.object({
  appId: z.string(),
  timestamp: z.number(),
  nonceStr: z.string(),
  signature: z.string(),
  jsApiList: z.array(z.string()),
});
export const titlesQuery = z.object({ q: oneLine().max(100).default("") });
export const titlesResponse = z.object({
  titles: z.array(
    z.object({
      name: z.string(),
      taxId: z.string(),
      type: z.string(),
      address: z.string().optional(),
      phone: z.string().optional(),
      bankName: z.string().optional(),
      bankAccount: z.string().optional(),
    }),
  ),
});
