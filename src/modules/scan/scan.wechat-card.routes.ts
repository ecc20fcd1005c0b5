import { z } from "zod";
import type { AppContext } from "../../context";
import { errorBody, type HttpServer, registerScope } from "../../platform/http";
import { oneLine } from "../../platform/input";
import { answerCardEvent } from "./scan.wechat-card";

/**
 * `POST /wechat/card-events/{orgId}`: the 公众号's server URL for WeChat's `user_authorize_invoice`
 * event (XML). The event only makes Piaoma ask WeChat about the order it names (getauthdata), then
 * insert the card if the user authorised; WeChat expects `success` within 5 seconds, else retries.
 */
export async function registerWechatCardEventRoute(http: HttpServer, ctx: AppContext): Promise<void> {
  await registerScope(http, {}, (app) => {
    for (const type of ["text/xml", "application/xml"]) {
      app.addContentTypeParser(type, { parseAs: "string", bodyLimit: 64 * 1024 }, (_req, body, done) =>
        done(null, body),
      );
    }
    app.post(
      "/wechat/card-events/:orgId",
      {
        schema: {
          tags: ["wechat"],
          summary: "WeChat user_authorize_invoice event (answers success)",
          params: z.object({ orgId: oneLine().max(64) }),
          response: { 200: z.string(), 415: errorBody, 422: errorBody },
        },
      },
      async (req, reply) => {
        const xml = typeof req.body === "string" ? req.body : "";
        try {
          await answerCardEvent(ctx, req.params.orgId, xml);
        } catch (e) {
          // WeChat retries on no answer; the page's own check finishes the card later anyway.
          ctx.log.warn({ err: e, orgId: req.params.orgId }, "wechat card event could not be completed");
        }
        return reply.type("text/plain").send("success");
      },
    );
  });
}
