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
