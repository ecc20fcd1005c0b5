import { z } from "zod";
import { oneLine } from "../../platform/input";
import { totalsView as totals } from "../invoices/invoices.schema";

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
  /**
   * 合并开票: the other receipts of the same organization invoiced with this one, each as its 开票码
   * or a link to its page (`…/s/{token}`); absent or empty for this receipt alone.
   */
  mergeCodes: z.array(text(300)).max(50, "合并的小票过多").optional(),
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
export const invoiceType = z.enum(["digital_normal", "digital_special"]);
const buyerType = z.enum(["individual", "enterprise", "non_enterprise"]);

/** A 微信卡包 card's state (modules/wechat/invoice-card.ts CardStatus). */
const wechatCardStatus = z.enum(["none", "authorizing", "inserted", "failed", "voiding", "voided"]);

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
  /** The OFD, where the channel sent one (我的发票's view; absent elsewhere). */
  ofdUrl: z.string().nullable().optional(),
  redOf: z.string().nullable(),
  /**
   * For a failed invoice: a plain sentence for the consumer (the channel's own code and words are
   * for the merchant's operator, in the console); null otherwise.
   */
  failureMessage: z.string().nullable().optional(),
  /**
   * 加入微信卡包 (on the scan view only, when the organization offers it): 未加入 none, 授权中
   * authorizing, 已加入 inserted, 失败 failed; after 红冲 (in full or in part) 作废中 voiding, 已作废
   * voided — and never offered again. The page offers it inside WeChat only.
   */
  wechatCard: z.object({ status: wechatCardStatus }).optional(),
  /** Where the invoice was sent and how that went, recipients masked (on the scan view only). */
  deliveries: z
    .array(
      z.object({
        channel: z.enum(["email", "sms"]),
        to: z.string(),
        /** bounced: the recipient's mail server returned the e-mail (a wrong address, a full box). */
        status: z.enum(["pending", "sent", "failed", "bounced"]),
        at: z.string(),
      }),
    )
    .optional(),
});

export const invoiceParams = z.object({
  token: oneLine().max(100),
  invoiceId: oneLine().max(64),
});

export const wechatCardResponse = z.object({
  status: wechatCardStatus,
  /** The authorisation page to open in WeChat (after a start). */
  authUrl: z.string().optional(),
});

const scanLine = z.object({
  kind: z.enum(["normal", "discount", "discounted"]),
  itemName: z.string(),
  name: z.string(),
  spec: z.string(),
  unit: z.string(),
  quantity: z.string().nullable(),
  unitPrice: z.string().nullable(),
  amount: money,
  taxRateLabel: z.string(),
});

export const scanView = z.object({
  seller: z.object({ name: z.string(), phone: z.string() }),
  serialNo: z.string(),
  status: z.enum(["active", "disabled", "expired", "issuing", "invoiced", "failed", "refunded"]),
  expiresAt: z.string(),
  receiptFooter: z.string(),
  lines: z.array(scanLine),
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
  /**
   * 合并开票 as the organization set it: whether this page may add other receipts, and how many
   * receipts one submit may take at most (this one included). `receipts` is how many receipts the
   * code's submission invoiced (1 unless merged; a code added to another's submit shows that one's
   * status, submission and invoices).
   */
  merge: z.object({ enabled: z.boolean(), maxReceipts: z.number(), receipts: z.number() }),
});
export type ScanView = z.infer<typeof scanView>;

/** `POST /api/scan/{token}/merge`: the receipts to add, each a 开票码 or a link to its page. */
export const mergeBody = z.object({
  codes: z.array(text(300)).min(1, "请输入要合并的开票码").max(50, "合并的小票过多"),
});

/** The receipts together: each added one (with the 开票码 to send back), and the combined lines and totals. */
export const mergeView = z.object({
  receipts: z.array(z.object({ shortCode: z.string(), serialNo: z.string(), totals })),
  lines: z.array(scanLine),
  totals,
  invoiceTypes: z.array(invoiceType),
  limit: z.object({ amount: money, policy: z.enum(["reject", "split"]), invoiceCount: z.number() }),
});
export type MergeView = z.infer<typeof mergeView>;

/** `POST /api/scan/lookup`: a 开票码 as typed → the token of its page. */
export const lookupBody = z.object({ code: text(40) });
export const lookupResponse = z.object({ token: z.string(), url: z.string() });
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
