import type { AppContext } from "../../context";
import { normalizeShortCode, SHORT_CODE_LENGTH } from "../../domain";
import { AppError } from "../../platform/errors";
import { consumerUrl } from "../../platform/web";
import { findLiveReceiptCodeByShortCode } from "../receipt-codes/receipt-codes.repository";

/**
 * 输入开票码: the 开票码 a consumer typed on `/s` → the token of its page, for a code within its
 * validity. A miss is RECEIPT_CODE_NOT_FOUND, which the routes count per client address.
 */
export async function lookupShortCode(
  ctx: Pick<AppContext, "database" | "config">,
  typed: string,
): Promise<{ token: string; url: string }> {
  const shortCode = normalizeShortCode(typed);
  if (!shortCode) {
    const message = `开票码是小票二维码下方的 ${SHORT_CODE_LENGTH} 位字母和数字`;
    throw AppError.validation({ code: message }, message);
  }
  const code = await findLiveReceiptCodeByShortCode(ctx.database.db, shortCode);
  if (!code)
    throw new AppError(
      "RECEIPT_CODE_NOT_FOUND",
      "没有找到该开票码，请核对小票上的开票码（已过期的小票无法开票）",
    );
  return { token: code.token, url: consumerUrl(ctx, code.token) };
}
