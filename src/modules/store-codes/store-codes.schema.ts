import { z } from "zod";
import { pageOf, pageQuery } from "../../platform/console-schemas";
import { oneLine, recordId } from "../../platform/input";
import { invoiceType, submitBody, tokenParams } from "../scan/scan.schema";

export { tokenParams };

export const storeCodeBody = z.object({
  name: oneLine().min(1, "请填写门店或桌号名称").max(60, "名称不能超过 60 个字符"),
});

export const storeCodeView = z.object({
  id: z.string(),
  name: z.string(),
  token: z.string(),
  active: z.boolean(),
  url: z.string(),
  createdAt: z.string(),
});
export const storeCodeList = z.object({ items: z.array(storeCodeView) });

/** The 门店码 form: the normal buyer, and optionally the amount and the receipt number. */
export const pendingBody = submitBody.omit({ mergeCodes: true }).extend({
  amount: z
    .string()
    .regex(/^\d{1,12}(\.\d{1,2})?$/, "金额格式不正确")
    .optional()
    .nullable()
    .or(z.literal("")),
  receiptNo: oneLine().max(64, "小票号不能超过 64 个字符").optional().nullable(),
});

/** The store and what its form offers: the organization's allowed invoice types and defaults. */
export const storePageView = z.object({
  storeName: z.string(),
  sellerName: z.string(),
  invoiceTypes: z.array(invoiceType),
  defaultInvoiceType: invoiceType,
  defaultBuyerType: z.enum(["individual", "enterprise"]),
});

export const pendingConsumerView = z.object({
  token: z.string(),
  status: z.enum(["waiting", "matched", "dismissed", "expired"]),
  message: z.string(),
  buyerName: z.string(),
  expiresAt: z.string(),
  receiptToken: z.string().nullable(),
});

export const pendingItem = z.object({
  id: z.string(),
  status: z.enum(["waiting", "matched", "dismissed", "expired"]),
  buyerName: z.string(),
  buyerTaxId: z.string().nullable(),
  invoiceType: z.string(),
  amount: z.string().nullable(),
  receiptNo: z.string().nullable(),
  storeCodeId: z.string(),
  receiptCodeId: z.string().nullable(),
  expiresAt: z.string(),
  createdAt: z.string(),
});
export const pendingPage = pageOf(pendingItem);

export const pendingListQuery = z.object({
  ...pageQuery,
  status: z.enum(["waiting", "matched", "dismissed", "expired"]).default("waiting"),
});

export const matchBody = z.object({
  orderNo: oneLine().min(1, "请填写订单号或小票流水号").max(64, "订单号不能超过 64 个字符"),
});

export const matchResult = z.object({
  pending: pendingItem,
  status: z.enum(["issuing", "issued", "failed"]),
});

export const pendingIdParams = z.object({ id: recordId() });
