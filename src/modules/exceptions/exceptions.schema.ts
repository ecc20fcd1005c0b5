import { z } from "zod";
import { recordId } from "../../platform/input";

/** A kind's key (exceptions.kinds.ts): lower-case words joined by `_`. */
const kindKey = () => z.string().regex(/^[a-z][a-z_]{0,59}$/, "未知的异常类型");

export const exceptionQuery = z.object({
  orgId: recordId().optional(),
  kind: kindKey().optional(),
});

export const exceptionItem = z.object({
  kind: z.string(),
  kindLabel: z.string(),
  /** What the action acts on: an invoice, a delivery, a receipt code or a tax-bureau account. */
  id: z.string(),
  orgId: z.string(),
  at: z.string().nullable(),
  subject: z.string(),
  detail: z.string(),
  /** The invoice the page opens (for a 红冲 again: the blue one). */
  invoiceId: z.string().nullable(),
  accountId: z.string().nullable(),
  action: z.object({ key: z.string(), label: z.string() }),
});
export type ExceptionItem = z.infer<typeof exceptionItem>;

export const exceptionList = z.object({
  items: z.array(exceptionItem),
  kinds: z.array(z.object({ kind: z.string(), label: z.string(), count: z.number() })),
});

export const exceptionCounts = z.object({ exceptions: z.number(), awaitingReview: z.number() });

export const actionParams = z.object({
  orgId: recordId(),
  kind: kindKey(),
  id: recordId(),
});

export const exceptionSettingsInput = z.object({
  stuckMinutes: z
    .number({ error: "请填写分钟数" })
    .int("应为整数")
    .min(1, "至少 1 分钟")
    .max(10_080, "不超过 7 天"),
  expiringDays: z
    .number({ error: "请填写天数" })
    .int("应为整数")
    .min(1, "至少 1 天")
    .max(365, "不超过 365 天"),
  /** null: 授信额度 is not watched. */
  creditThreshold: z
    .string()
    .trim()
    .regex(/^\d{1,15}(\.\d{1,2})?$/, "金额应为不超过两位小数的非负数")
    .nullable(),
});
export type ExceptionSettingsInput = z.infer<typeof exceptionSettingsInput>;
export const exceptionSettingsOutput = z.object({
  stuckMinutes: z.number(),
  expiringDays: z.number(),
  creditThreshold: z.string().nullable(),
});
