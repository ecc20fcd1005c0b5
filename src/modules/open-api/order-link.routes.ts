import { z } from "zod";
import type { AppContext } from "../../context";
import { type ErrorCode, isAppError } from "../../platform/errors";
import type { HttpServer } from "../../platform/http";
import { errorPage } from "./error-page";
import { openSignedLink } from "./order-link.service";

/**
 * GET /q/{appKey}?o&a&t&d&sig (3.1.01): a phone opens it, so every answer is a page — a redirect to
 * the consumer page, or a clear Chinese error page with the API.md code on it.
 */
export function registerOrderLinkRoute(http: HttpServer, ctx: AppContext): void {
  http.get(
    "/q/:appKey",
    {
      schema: {
        tags: ["open"],
        summary: "3.1.01 商户自行生成的签名链接 The merchant's signed link (redirects to /s/{token})",
        // Checked by the service (the text gate), so that a bad key is an error page too.
        params: z.object({ appKey: z.string().max(100) }),
      },
    },
    async (req, reply) => {
      try {
        const token = await openSignedLink(ctx, {
          appKey: req.params.appKey,
          params: req.query as Record<string, unknown>,
        });
        return reply.header("cache-control", "no-store").redirect(`/s/${token}`, 302);
      } catch (e) {
        const known = isAppError(e);
        if (!known) req.log.error({ err: e }, "signed link failed");
        else req.log.info({ code: e.code }, "signed link refused");
        const code: ErrorCode = known ? e.code : "INTERNAL";
        const page = errorPage(code, known ? e.message : "服务器内部错误");
        return reply
          .status(page.status)
          .header("cache-control", "no-store")
          .type("text/html; charset=utf-8")
          .send(page.html);
      }
    },
  );
}
