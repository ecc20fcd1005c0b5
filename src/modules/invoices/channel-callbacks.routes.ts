import { z } from "zod";
import type { AppContext } from "../../context";
import { AppError } from "../../platform/errors";
import { decodeUtf8, errorBody, type HttpServer, registerScope } from "../../platform/http";
import { oneLine } from "../../platform/input";
import {
  answerKingdeeCallback,
  answerNuonuoCallback,
  KINGDEE_CALLBACK_REPLY,
  NUONUO_CALLBACK_REPLY,
} from "./channel-callbacks";

const errors = { 404: errorBody, 422: errorBody };

const nuonuoBody = z.object({
  operater: oneLine().max(40),
  orderno: oneLine().max(40).optional(),
  content: oneLine().max(200_000).optional(),
  billId: oneLine().max(60).optional(),
});

const kingdeeBody = z.object({
  returnMsg: oneLine().max(2000).optional(),
  returnCode: oneLine().max(20).optional(),
  interfaceCode: oneLine().max(40),
  data: oneLine().max(500_000),
});

/** A form body (`a=1&b=2`), decoded strictly: bytes that are not UTF-8 are refused, not replaced. */
function parseForm(bytes: Buffer): Record<string, string> {
  const text = decodeUtf8(bytes);
  if (text === null) throw AppError.validation({ body: "表单含有无效的 UTF-8 字节" });
  const out: Record<string, string> = {};
  for (const pair of text.split("&")) {
    if (!pair) continue;
    const at = pair.indexOf("=");
    const [k, v] = at < 0 ? [pair, ""] : [pair.slice(0, at), pair.slice(at + 1)];
    try {
      out[decodeURIComponent(k.replaceAll("+", " "))] = decodeURIComponent(v.replaceAll("+", " "));
    } catch {
      throw AppError.validation({ body: "表单的百分号编码无效" });
    }
  }
  return out;
}

/**
 * Where the channels report results (CHANNELS.md §1.10, §2.6): `POST /channels/nuonuo/callback` (a
 * form, or JSON) and `POST /channels/kingdee/callback` (JSON). Unsigned, so each only triggers a
 * query of the invoice it names (channel-callbacks.ts); the answer is the channel's acknowledgement.
 */
export async function registerChannelCallbackRoutes(http: HttpServer, ctx: AppContext): Promise<void> {
  await registerScope(http, {}, (app) => {
    app.addContentTypeParser(
      "application/x-www-form-urlencoded",
      { parseAs: "buffer" },
      (_req, body, done) => {
        try {
          done(null, parseForm(body as Buffer));
        } catch (e) {
          done(e as Error, undefined);
        }
      },
    );
    const tags = ["channels"];
    app.post(
      "/channels/nuonuo/callback",
      {
        schema: {
          tags,
          summary: "诺诺 回传开票结果 (triggers a query of the named order; answers 0000)",
          body: nuonuoBody,
          response: {
            200: z.object({ status: z.literal(NUONUO_CALLBACK_REPLY.status), message: z.string() }),
            ...errors,
          },
        },
      },
      async (req) => answerNuonuoCallback(ctx, req.body),
    );
    app.post(
      "/channels/kingdee/callback",
      {
        schema: {
          tags,
          summary: "金蝶 2.1.02 数电票回调 (triggers a query of the named serial; answers errorCode 0)",
          body: kingdeeBody,
          response: {
            200: z.object({
              message: z.literal(KINGDEE_CALLBACK_REPLY.message),
              errorCode: z.literal(KINGDEE_CALLBACK_REPLY.errorCode),
              success: z.literal(true),
            }),
            ...errors,
          },
        },
      },
      async (req) => answerKingdeeCallback(ctx, req.body),
    );
  });
}
