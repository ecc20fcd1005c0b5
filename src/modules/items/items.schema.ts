import { z } from "zod";
import { optionalText, pageQuery } from "../../platform/console-schemas";
import { oneLine } from "../../platform/input";

/**
 * 开票项 as the console sends it. Shapes only: the tax rules (19-digit code, offered rates, zero-rate
 * kinds, GBK lengths) are checked by the rules engine in items.rules.ts.
 */
export const itemInput = z.object({
  code: oneLine()
    .min(1, "请填写开票项编码")
    .max(64, "编码不能超过 64 个字符")
    .regex(/^[\x21-\x7E]+$/, "编码只能包含字母、数字和符号"),
  name: oneLine().min(1, "请填写项目名称").max(100, "项目名称过长"),
  shortName: oneLine().min(1, "请填写税收分类简称").max(50, "税收分类简称过长"),
  taxCode: oneLine().min(1, "请填写税收分类编码").max(40, "税收分类编码过长"),
  taxRate: oneLine().min(1, "请选择税率").max(40, "税率过长"),
  zeroRateKind: z
    .enum(["exempt", "not_taxable", "ordinary_zero", "export"], { error: "零税率类型不正确" })
    .nullish(),
  spec: optionalText(40, "规格型号过长"),
  unit: optionalText(20, "单位过长"),
  unitPrice: oneLine().max(40, "单价过长").nullish(),
  priceIncludesTax: z.boolean().default(true),
  isActive: z.boolean().default(true),
});
export type ItemInput = z.input<typeof itemInput>;

export const itemQuery = z.object({
  q: oneLine().max(100).optional(),
  includeInactive: z.enum(["true", "false"]).optional(),
  ...pageQuery,
});

export const itemOutput = z.object({
  id: z.string(),
  orgId: z.string(),
  code: z.string(),
  name: z.string(),
  shortName: z.string(),
  taxCode: z.string(),
  taxRate: z.string(),
  taxRateLabel: z.string(),
  zeroRateKind: z.string().nullable(),
  spec: z.string(),
  unit: z.string(),
  unitPrice: z.string().nullable(),
  priceIncludesTax: z.boolean(),
  isActive: z.boolean(),
  updatedAt: z.string(),
});
export type ItemOutput = z.infer<typeof itemOutput>;

export const importQuery = z.object({
  /** Import the good rows and report the bad ones, instead of refusing the whole file. */
  skipBadRows: z.enum(["true", "false"], { error: "skipBadRows 应为 true 或 false" }).optional(),
});

export const importRowError = z.object({
  row: z.number(),
  column: z.string(),
  field: z.string(),
  message: z.string(),
});

export const importOutput = z.object({
  created: z.number(),
  updated: z.number(),
  /** Rows left out for their problems (skipBadRows). */
  skipped: z.number(),
  /** Every problem of every skipped row. */
  errors: z.array(importRowError),
});

export const taxCodeQuery = z.object({ q: oneLine().max(50, "搜索内容过长").optional() });

export const taxCodeOutput = z.object({
  code: z.string(),
  name: z.string(),
  shortName: z.string(),
  rate: z.string(),
  rateLabel: z.string(),
});
