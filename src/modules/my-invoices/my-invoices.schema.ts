import { z } from "zod";
import { integerText, oneLine, recordId } from "../../platform/input";
import { invoiceFileName } from "../invoices/invoice-file";
import { invoiceView } from "../scan/scan.schema";

/** Shapes of 我的发票 (`/api/my`, issue 22): the consumer's invoices across organizations. */
const text = (max: number) => oneLine().max(max, `不能超过 ${max} 个字符`);

const contactFields = { email: text(254).optional(), mobile: text(20).optional() };
const oneContact = (b: { email?: string; mobile?: string }) => Boolean(b.email) !== Boolean(b.mobile);
const oneContactError = { message: "请填写一个手机号或一个邮箱", path: ["mobile"] };

export const codeBody = z.object(contactFields).refine(oneContact, oneContactError);
export const codeResponse = z.object({
  /** Where the code went, masked. */
  sentTo: z.string(),
  expiresInSeconds: z.number(),
  /** When the page may offer to send another. */
  resendAfterSeconds: z.number(),
});

export const loginBody = z
  .object({ ...contactFields, code: text(12).min(1, "请填写验证码") })
  .refine(oneContact, oneContactError);

export const sessionView = z.object({
  channel: z.enum(["email", "sms"]),
  /** The session's mobile number or e-mail address, masked. */
  contact: z.string(),
});

export const MY_PAGE_SIZE = 20;

export const listQuery = z.object({
  /** An organization (its id, from `sellers`). */
  seller: recordId().optional(),
  /** A China month, `YYYY-MM`. */
  month: oneLine()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "月份格式应为 YYYY-MM")
    .optional(),
  page: integerText(1, 10_000).optional(),
});

/**
 * What a consumer reads: issued, reversed, partly reversed, failed (by the channel or the merchant's
 * review), issuing (开具中, also a red invoice on its way) and awaiting_review (待商家审核, 审核开票).
 */
export const myInvoiceStatus = z.enum([
  "issued",
  "reversed",
  "partially_reversed",
  "failed",
  "issuing",
  "awaiting_review",
]);

export const listItem = z.object({
  id: z.string(),
  seller: z.object({ id: z.string(), name: z.string() }),
  number: z.string().nullable(),
  invoiceType: z.enum(["digital_normal", "digital_special"]),
  color: z.enum(["blue", "red"]),
  status: myInvoiceStatus,
  issuedAt: z.string().nullable(),
  totalAmount: z.string(),
  /** For a red invoice: the blue invoice it reverses (listed right before it). */
  redOf: z.string().nullable(),
  /** For a failed invoice: the plain sentence the re-scan page shows; null otherwise. */
  failureMessage: z.string().nullable(),
});
export type MyListItem = z.infer<typeof listItem>;

export const listResponse = z.object({
  items: z.array(listItem),
  total: z.number(),
  page: z.number(),
  pageSize: z.number(),
  /** Every organization with an invoice in the list, for the seller filter. */
  sellers: z.array(z.object({ id: z.string(), name: z.string() })),
});
export type MyList = z.infer<typeof listResponse>;

export const invoiceParams = z.object({ id: recordId() });
export const fileParams = z.object({ file: invoiceFileName() });

/** One invoice as a re-scan shows it: its blue invoice and red invoices together, the seller above. */
export const detailResponse = z.object({
  seller: z.object({ name: z.string(), phone: z.string() }),
  invoices: z.array(invoiceView),
  /** The receipt's page (`/s/{token}`, as the e-mail linked it): 申请重开 and 加入微信卡包 are there. */
  pageUrl: z.string().nullable(),
});
export type MyDetail = z.infer<typeof detailResponse>;

export const resendBody = z
  .object({ email: text(254).optional(), mobile: text(20).optional() })
  .refine(oneContact, { message: "请填写一个邮箱或一个手机号", path: ["email"] });
export const resendResponse = z.object({ status: z.literal("queued") });
