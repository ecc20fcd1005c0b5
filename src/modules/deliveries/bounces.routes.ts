import { z } from "zod";
import type { AppContext } from "../../context";
import { safeEqual } from "../../platform/crypto";
import { AppError } from "../../platform/errors";
import { errorBody, type HttpServer, registerScope } from "../../platform/http";
import { MAX_BOUNCE_BYTES, recordBounce } from "./bounces";

/**
 * `POST /mail/bounces`: for a mail provider's bounce webhook (or an MTA's pipe) — the returned
 * e-mail as it arrived (`message/rfc822` or `text/plain`), with `Authorization: Bearer
 * MAIL_BOUNCE_WEBHOOK_TOKEN`; `?to=` may name the address it was returned to (the VERP address),
 * when the provider does not keep it in the headers. Not registered while the token is unset.
 * Answers how many deliveries it marked bounced; a report that matches none changes nothing.
 */
export async function registerBounceRoutes(http: HttpServer, ctx: AppContext): Promise<void> {
  const token = ctx.config.mailBounce.webhookToken;
  if (!token) return;
  await registerScope(http, {}, (app) => {
    for (const type of ["message/rfc822", "text/plain", "application/octet-stream"]) {
      app.addContentTypeParser(type, { parseAs: "buffer", bodyLimit: MAX_BOUNCE_BYTES }, (_req, body, done) =>
        done(null, body),
      );
    }
    app.post(
      "/mail/bounces",
      {
        schema: {
          tags: ["mail"],
          summary: "A returned e-mail (DSN) from a mail provider's bounce webhook",
          querystring: z.object({ to: z.string().max(320).optional() }),
          response: {
            200: z.object({ bounced: z.number(), ignored: z.string().optional() }),
            401: errorBody,
            415: errorBody,
          },
        },
      },
      async (req) => {
        const given = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";
        if (!safeEqual(given, token)) throw new AppError("UNAUTHENTICATED", "退信回调的令牌不正确");
        if (!Buffer.isBuffer(req.body))
          throw new AppError("UNSUPPORTED_MEDIA_TYPE", "请以 message/rfc822 或 text/plain 发送退信原文");
        return recordBounce(ctx, {
          raw: req.body,
          envelopeRecipients: req.query.to ? [req.query.to] : [],
        });
      },
    );
  });
}
