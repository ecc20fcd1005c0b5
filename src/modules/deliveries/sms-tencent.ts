import crypto from "node:crypto";
import { type SmsProvider, SmsSendError, smsHttp } from "./sms";

/**
 * 腾讯云短信 SendSms, API 3.0 (version 2021-01-11) signed with TC3-HMAC-SHA256: a canonical request
 * (`POST`, `/`, empty query, the signed headers `content-type;host;x-tc-action` as lower-case
 * `name:value` lines, the body's SHA-256) hashed into the string to sign (algorithm, timestamp,
 * `date/sms/tc3_request`, that hash), signed with the key derived from `TC3` + SecretKey through the
 * UTC date, the service and `tc3_request`; the action, version, timestamp and region travel in the
 * X-TC-* headers. Per-number outcomes (LimitExceeded.PhoneNumberDailyLimit …) come in SendStatusSet.
 */

export const TENCENT_SMS_VERSION = "2021-01-11";
const CONTENT_TYPE = "application/json; charset=utf-8";

const sha256Hex = (s: string) => crypto.createHash("sha256").update(s, "utf8").digest("hex");
const hmac = (key: crypto.BinaryLike, data: string) =>
  crypto.createHmac("sha256", key).update(data, "utf8").digest();

export function tencentAuthorization(options: {
  secretId: string;
  secretKey: string;
  host: string;
  action: string;
  payload: string;
  timestamp: number;
  service?: string;
}): string {
  const service = options.service ?? "sms";
  const date = new Date(options.timestamp * 1000).toISOString().slice(0, 10);
  const signedHeaders = "content-type;host;x-tc-action";
  const canonicalHeaders = `content-type:${CONTENT_TYPE}\nhost:${options.host}\nx-tc-action:${options.action.toLowerCase()}\n`;
  const canonicalRequest = [
    "POST",
    "/",
    "",
    canonicalHeaders,
    signedHeaders,
    sha256Hex(options.payload),
  ].join("\n");
  const scope = `${date}/${service}/tc3_request`;
  const stringToSign = [
    "TC3-HMAC-SHA256",
    String(options.timestamp),
    scope,
    sha256Hex(canonicalRequest),
  ].join("\n");
  const signingKey = hmac(hmac(hmac(`TC3${options.secretKey}`, date), service), "tc3_request");
  const signature = crypto.createHmac("sha256", signingKey).update(stringToSign, "utf8").digest("hex");
  return `TC3-HMAC-SHA256 Credential=${options.secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

export function createTencentSmsProvider(
  settings: { secretId: string; secretKey: string; sdkAppId: string; region: string; apiUrl: string },
  now: () => Date = () => new Date(),
): SmsProvider {
  const host = new URL(settings.apiUrl).host;
  return {
    id: "tencent",
    needsTemplate: true,
    async send(message) {
      const payload = JSON.stringify({
        PhoneNumberSet: [`+86${message.mobile}`],
        SmsSdkAppId: settings.sdkAppId,
        SignName: message.signName,
        TemplateId: message.templateCode,
        TemplateParamSet: message.params.map((p) => p.value),
        SessionContext: message.outId,
      });
      const timestamp = Math.floor(now().getTime() / 1000);
      const { status, json } = await smsHttp(`${settings.apiUrl}/`, {
        headers: {
          authorization: tencentAuthorization({
            secretId: settings.secretId,
            secretKey: settings.secretKey,
            host,
            action: "SendSms",
            payload,
            timestamp,
          }),
          "content-type": CONTENT_TYPE,
          "x-tc-action": "SendSms",
          "x-tc-version": TENCENT_SMS_VERSION,
          "x-tc-timestamp": String(timestamp),
          "x-tc-region": settings.region,
        },
        body: payload,
      });
      const response = (json as { Response?: TencentResponse } | null)?.Response;
      if (!response) throw new SmsSendError(`http_${status}`, "腾讯云短信应答无 Response");
      if (response.Error) throw new SmsSendError(response.Error.Code, response.Error.Message);
      const sent = response.SendStatusSet?.[0];
      if (sent?.Code === "Ok" && sent.SerialNo) return { messageId: sent.SerialNo };
      throw new SmsSendError(sent?.Code ?? "unknown", sent?.Message ?? "腾讯云短信未受理");
    },
  };
}

interface TencentResponse {
  Error?: { Code: string; Message: string };
  SendStatusSet?: Array<{ SerialNo?: string; PhoneNumber?: string; Code: string; Message: string }>;
  RequestId?: string;
}
