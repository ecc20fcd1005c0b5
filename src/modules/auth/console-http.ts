import { z } from "zod";

/** Shapes shared by the console routes. The console API is not public: hidden from /docs. */
export const hidden = { hide: true } as const;

export const orgParams = z.object({ orgId: z.string().min(1).max(64) });
export const orgItemParams = z.object({ orgId: z.string().min(1).max(64), id: z.string().min(1).max(64) });
export const idParams = z.object({ id: z.string().min(1).max(64) });

export const pageQuery = {
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(20),
};

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), total: z.number(), page: z.number(), pageSize: z.number() });
}

/** Optional text as a form sends it: "" and absent are the same. */
export const optionalText = (max: number, message = `不能超过 ${max} 个字符`) =>
  z.string().trim().max(max, message).optional().default("");
