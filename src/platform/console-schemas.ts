import { z } from "zod";
import { integerText, oneLine, recordId } from "./input";

/** Shapes shared by the console routes. The console API is not public: hidden from /docs. */
export const hidden = { hide: true } as const;

export const orgParams = z.object({ orgId: recordId() });
export const orgItemParams = z.object({ orgId: recordId(), id: recordId() });
export const idParams = z.object({ id: recordId() });

export const pageQuery = {
  page: integerText(1, 100_000, "页码应为 1–100000 的整数").default(1),
  pageSize: integerText(1, 200, "每页条数应为 1–200 的整数").default(20),
};

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), total: z.number(), page: z.number(), pageSize: z.number() });
}

/** Optional one-line text as a form sends it: "" and absent are the same. */
export const optionalText = (max: number, message = `不能超过 ${max} 个字符`) =>
  oneLine().max(max, message).optional().default("");

/** The most a bulk action of the console (its checkboxes) takes at once. */
export const MAX_BULK_IDS = 500;

/** A bulk action's body: 1–500 record ids of the organization, repeats dropped (the first kept). */
export const bulkIdsBody = z.object({
  ids: z
    .array(recordId())
    .min(1, "请至少选择一项")
    .max(MAX_BULK_IDS, `一次最多选择 ${MAX_BULK_IDS} 项`)
    .transform((ids) => [...new Set(ids)]),
});

/** What a bulk action did: the records done, and each one left as it was with the reason. */
export const bulkOutcome = z.object({
  done: z.array(z.object({ id: z.string(), label: z.string() })),
  skipped: z.array(z.object({ id: z.string(), label: z.string(), reason: z.string() })),
});
export type BulkOutcome = z.infer<typeof bulkOutcome>;
