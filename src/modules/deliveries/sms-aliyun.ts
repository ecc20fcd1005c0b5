import crypto from "node:crypto";
import { type SmsProvider, SmsSendError, smsHttp } from "./sms";

/**
 * 阿里云短信 (Dysmsapi 2017-05-25) SendSms, RPC style with the signature method 1.0 (HMAC-SHA1):
 * every parameter except Signature, names and values percent-encoded per RFC 3986 (only
 * A–Z a–z 0–9 - _ . ~ left as they are; space as %20), sorted by name, joined `k=v&…`; the string
 * to sign is `POST&%2F&` + the encoded canonical query; the key is the AccessKey secret plus `&`; the
 * signature is the HMAC's base64, sent as the `Signature` form field. Answers `Code: "OK"` with a
 * BizId (its delivery report names it), or an error code (isv.BUSINESS_LIMIT_CONTROL …).
 */

export const ALIYUN_SMS_VERSION = "2017-05-25";

export function aliyunPercentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The canonical query: sorted by name (code units), each pair encoded. */
export function aliyunCanonicalQuery(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((k) => k !== "Signature")
    .sort()
    .map((k) => `${aliyunPercentEncode(k)}=${aliyunPercentEncode(params[k] ?? "")}`)
    .join("&");
}

export function aliyunSignature(
  method: "GET" | "POST",
  params: Record<string, string>,
  secret: string,
): string {
  const stringToSign = `${method}&${aliyunPercentEncode("/")}&${aliyunPercentEncode(aliyunCanonicalQuery(params))}`;
  return crypto.createHmac("sha1", `${secret}&`).update(stringToSign, "utf8").digest("base64");
}

/** `yyyy-MM-ddTHH:mm:ssZ`, UTC, as the API wants its Timestamp. */
export function aliyunTimestamp(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

export function createAliyunSmsProvider(
  settings: { accessKeyId: string; accessKeySecret: string; apiUrl: string },
  now: () => Date = () => new Date(),
): SmsProvider {
  return {
    id: "aliyun",
    needsTemplate: true,
    async send(message) {
      const params: Record<string, string> = {
        AccessKeyId: settings.accessKeyId,
        Action: "SendSms",
        Format: "JSON",
        RegionId: "cn-hangzhou",
        SignatureMethod: "HMAC-SHA1",
        SignatureNonce: crypto.randomUUID(),
        SignatureVersion: "1.0",
        Timestamp: aliyunTimestamp(now()),
        Version: ALIYUN_SMS_VERSION,
        PhoneNumbers: message.mobile,
        SignName: message.signName,
        TemplateCode: message.templateCode,
        TemplateParam: JSON.stringify(Object.fromEntries(message.params.map((p) => [p.name, p.value]))),
        OutId: message.outId,
      };
      const signature = aliyunSignature("POST", params, settings.accessKeySecret);
      const body = `${aliyunCanonicalQuery(params)}&Signature=${aliyunPercentEncode(signature)}`;
      const { status, json } = await smsHttp(`${settings.apiUrl}/`, {
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body,
      });
      const answer = (json ?? {}) as { Code?: string; Message?: string; BizId?: string };
      if (answer.Code === "OK" && answer.BizId) return { messageId: answer.BizId };
      throw new SmsSendError(answer.Code ?? `http_${status}`, answer.Message ?? "阿里云短信未受理");
    },
  };
}
