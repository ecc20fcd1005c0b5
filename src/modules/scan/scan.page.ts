import { eq } from "drizzle-orm";
import type { FastifyRequest } from "fastify";
import type { AppContext } from "../../context";
import { organizations, receiptCodes } from "../../platform/db/schema";
import { AppError, isAppError } from "../../platform/errors";
import type { FailureLimiter } from "../../platform/failure-limiter";
import type { ScanPageData } from "../../platform/web";
import { withDeliveries } from "./scan.deliveries";
import { getScanView } from "./scan.service";

type ScanContext = Pick<AppContext, "database" | "config" | "log" | "scans" | "orgViews">;

/**
 * A dead end names who can help: an expired or disabled code's error carries its merchant's name
 * and phone (and, when expired, since when), so the page says whom to call instead of "联系商家".
 * Other errors are returned as they are.
 */
export async function withMerchant(ctx: ScanContext, token: string, error: AppError): Promise<AppError> {
  const dead = ["RECEIPT_CODE_EXPIRED", "RECEIPT_CODE_DISABLED", "RECEIPT_CODE_REFUNDED"];
  if (!dead.includes(error.code)) return error;
  const [row] = await ctx.database.db
    .select({ name: organizations.name, phone: organizations.phone, expiresAt: receiptCodes.expiresAt })
    .from(receiptCodes)
    .innerJoin(organizations, eq(organizations.id, receiptCodes.orgId))
    .where(eq(receiptCodes.token, token))
    .limit(1);
  if (!row) return error;
  return new AppError(error.code, error.message, {
    ...error.details,
    seller: { name: row.name, phone: row.phone },
    ...(error.code === "RECEIPT_CODE_EXPIRED" ? { expiresAt: row.expiresAt.toISOString() } : {}),
  });
}

/**
 * What the consumer page's HTML carries for `/s/{token}` (platform/web.ts): the receipt as
 * `GET /api/scan/{token}` answers it, counted as a scan, or the error that answer would be. Unknown
 * tokens count against the same per-address budget as the API's, so the page is no way around it.
 */
export function scanPageData(ctx: ScanContext, guesses: FailureLimiter) {
  return async (token: string, req: FastifyRequest): Promise<{ status: number; data: ScanPageData }> => {
    try {
      guesses.check(req.ip);
      const receipt = await withDeliveries(ctx, await getScanView(ctx, token, { countScan: true }));
      return { status: 200, data: { receipt } };
    } catch (e) {
      if (!isAppError(e)) {
        // The page still opens and offers a retry (through the API) instead of a bare 500.
        ctx.log.error({ err: e }, "consumer page data failed");
        return {
          status: 500,
          data: { error: { code: "SERVER", status: 500, message: "服务暂时不可用，请稍后重试" } },
        };
      }
      if (e.code === "RECEIPT_CODE_NOT_FOUND") guesses.record(req.ip);
      const error = await withMerchant(ctx, token, e);
      return {
        status: error.status,
        data: {
          error: { code: error.code, status: error.status, message: error.message, details: error.details },
        },
      };
    }
  };
}
