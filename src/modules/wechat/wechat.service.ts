import { AppError } from "../../platform/errors";
import { type JssdkConfig, jsapiSignature, newNonceStr, withoutFragment } from "./jssdk";
import type { WechatClient, WechatCredentials } from "./wechat.client";

/** The JS-SDK calls the consumer page uses. */
export const JS_API_LIST = ["chooseInvoiceTitle"];

/**
 * `wx.config` for a page of this deployment: signed with the 公众号's kept jsapi_ticket. Only pages
 * under `allowedPrefix` (PUBLIC_URL + `/s/`) are signed: the signature is worth something only on
 * the 公众号's JS安全域名, and nothing else of ours needs one.
 */
export async function signJssdkConfig(
  client: WechatClient,
  credentials: WechatCredentials,
  options: { url: string; allowedPrefix: string; now?: Date },
): Promise<JssdkConfig> {
  const url = withoutFragment(options.url);
  if (!url.startsWith(options.allowedPrefix) || /[\s<>"]/.test(url))
    throw AppError.validation({ url: "只能为本站的扫码开票页签名" });
  const ticket = await client.jsapiTicket(credentials);
  const timestamp = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const nonceStr = newNonceStr();
  return {
    appId: credentials.appId,
    timestamp,
    nonceStr,
    signature: jsapiSignature({ ticket, nonceStr, timestamp, url }),
    jsApiList: JS_API_LIST,
  };
}
