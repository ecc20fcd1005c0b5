import crypto from "node:crypto";
import { chinaTimeText, StandinClock } from "../clock";
import { type RunningStandin, type StandinDefinition, type StandinResponse, startStandin } from "../server";
import {
  type AcceptedSms,
  billedParts,
  type Misbehaviour,
  NumberLimits,
  nextFailure,
  pushReport,
  resetMisbehaviour,
  smsControl,
} from "./common";

/**
 * A local 腾讯云短信 API 3.0 for SendSms (2021-01-11): `POST /` with a JSON body, checked as the real
 * one checks it — X-TC-Action / X-TC-Version / X-TC-Region / X-TC-Timestamp (within 5 minutes of
 * its clock), the SecretId, and the TC3-HMAC-SHA256 Authorization (credential scope, the signed
 * headers as listed, the body's hash; recomputed here); then the SmsSdkAppId, the 签名 and template
 * (registered here with their content, `{1}` `{2}` …), the number of variables, and per-number flow
 * control (30 s for the same content, 5 an hour, 10 a day: LimitExceeded.PhoneNumber…Limit in
 * SendStatusSet). Request-level errors answer `Response.Error`.
 *
 * Controls: `down {on}`, `slow {ms}`, `fail {code, times?}` (a request-level error code such as
 * LimitExceeded or InternalError, or a per-number one starting with `LimitExceeded.PhoneNumber`),
 * `report {reportUrl?, serialNo?, success?, errmsg?}`, `template {id, content}`, `sign {name}`.
 */
export const DEFAULT_TENCENT_KEY = {
  secretId: "AKIDpiaomaStandinTencent0001",
  secretKey: "piaoma-tencent-standin-key-0001",
};
export const DEFAULT_TENCENT_SDK_APP_ID = "1400900001";
export const DEFAULT_TENCENT_SIGN = "票码";
export const DEFAULT_TENCENT_TEMPLATE = "2260001";

const sha256 = (s: Buffer | string) => crypto.createHash("sha256").update(s).digest("hex");
const hmac = (key: crypto.BinaryLike, data: string) =>
  crypto.createHmac("sha256", key).update(data, "utf8").digest();

export function createTencentSmsStandin(
  options: {
    keys?: Array<{ secretId: string; secretKey: string }>;
    sdkAppId?: string;
    signs?: string[];
    /** Template id → content with {1} {2} … placeholders. */
    templates?: Record<string, string>;
    reportUrl?: string;
    clock?: StandinClock;
    port?: number;
    host?: string;
  } = {},
) {
  const clock = options.clock ?? new StandinClock("real");
  const keys = new Map((options.keys ?? [DEFAULT_TENCENT_KEY]).map((k) => [k.secretId, k.secretKey]));
  const sdkAppId = options.sdkAppId ?? DEFAULT_TENCENT_SDK_APP_ID;
  const signs = new Set(options.signs ?? [DEFAULT_TENCENT_SIGN]);
  const templates = new Map(
    Object.entries(
      options.templates ?? { [DEFAULT_TENCENT_TEMPLATE]: "{1}发票：http://127.0.0.1:3000/s/{2}" },
    ),
  );
  const reportTo: { url: string | null } = { url: options.reportUrl ?? null };
  let accepted: AcceptedSms[] = [];
  let rejected: Array<{ code: string; at: string }> = [];
  const misbehaviour: Misbehaviour = { down: false, slowMs: 0, failures: [] };
  const limits = new NumberLimits(clock, [
    {
      ms: 3_600_000,
      max: 5,
      code: "LimitExceeded.PhoneNumberOneHourLimit",
      message: "单个手机号1小时内下发短信条数超过设定的上限",
    },
    {
      ms: 86_400_000,
      max: 10,
      code: "LimitExceeded.PhoneNumberDailyLimit",
      message: "单个手机号日下发短信条数超过设定的上限",
    },
  ]);
  const recentContent = new Map<string, number>();
  let seq = 0;

  const error = (code: string, message: string): StandinResponse => {
    rejected.push({ code, at: clock.now().toISOString() });
    return {
      json: { Response: { Error: { Code: code, Message: message }, RequestId: crypto.randomUUID() } },
    };
  };

  function authorize(req: {
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
  }): StandinResponse | null {
    const h = (name: string) => String(req.headers[name] ?? "");
    if (h("x-tc-action") !== "SendSms") return error("InvalidAction", "接口不存在");
    if (h("x-tc-version") !== "2021-01-11") return error("NoSuchVersion", "接口版本不存在");
    if (!h("x-tc-region")) return error("MissingParameter", "缺少参数 X-TC-Region");
    const timestamp = Number(h("x-tc-timestamp"));
    if (!Number.isInteger(timestamp)) return error("InvalidParameter", "X-TC-Timestamp 不是整数秒");
    if (Math.abs(timestamp * 1000 - clock.ms()) > 300_000)
      return error("AuthFailure.SignatureExpire", "签名过期");
    const auth =
      /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d\d-\d\d)\/([a-z]+)\/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
        h("authorization"),
      );
    if (!auth) return error("AuthFailure.InvalidAuthorization", "Authorization 格式不正确");
    const [, secretId, date, service, signedHeaders, signature] = auth as unknown as string[];
    const secretKey = keys.get(secretId as string);
    if (!secretKey) return error("AuthFailure.SecretIdNotFound", "密钥不存在");
    if (service !== "sms") return error("AuthFailure.InvalidAuthorization", "凭证范围的服务不是 sms");
    if (date !== new Date(timestamp * 1000).toISOString().slice(0, 10))
      return error("AuthFailure.SignatureFailure", "凭证日期与时间戳不符");
    const names = (signedHeaders as string).split(";");
    if (!names.includes("content-type") || !names.includes("host"))
      return error("AuthFailure.SignatureFailure", "签名须包含 content-type 与 host");
    const canonicalHeaders = names.map((n) => `${n}:${h(n).trim().toLowerCase()}\n`).join("");
    const canonicalRequest = ["POST", "/", "", canonicalHeaders, signedHeaders, sha256(req.body)].join("\n");
    const scope = `${date}/sms/tc3_request`;
    const toSign = ["TC3-HMAC-SHA256", String(timestamp), scope, sha256(canonicalRequest)].join("\n");
    const key = hmac(hmac(hmac(`TC3${secretKey}`, date as string), "sms"), "tc3_request");
    const expected = crypto.createHmac("sha256", key).update(toSign, "utf8").digest("hex");
    if (expected !== signature) return error("AuthFailure.SignatureFailure", "请求签名验证失败");
    return null;
  }

  function sendSms(body: Record<string, unknown>): StandinResponse {
    const scripted = nextFailure(misbehaviour);
    if (scripted && !scripted.startsWith("LimitExceeded.PhoneNumber"))
      return error(scripted, "stand-in: scripted failure");
    if (body.SmsSdkAppId !== sdkAppId)
      return error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId 不存在");
    if (typeof body.SignName !== "string" || !signs.has(body.SignName))
      return error("FailedOperation.SignatureIncorrectOrUnapproved", "签名未审批或格式错误");
    const template = typeof body.TemplateId === "string" ? templates.get(body.TemplateId) : undefined;
    if (template === undefined)
      return error("FailedOperation.TemplateIncorrectOrUnapproved", "模板未审批或内容不匹配");
    const values = Array.isArray(body.TemplateParamSet) ? body.TemplateParamSet : [];
    const slots = new Set([...template.matchAll(/\{(\d+)\}/g)].map((m) => Number(m[1])));
    if (values.length !== slots.size || values.some((v) => typeof v !== "string"))
      return error("InvalidParameterValue.TemplateParameterFormatError", "模板参数个数与模板不符");
    const phones = Array.isArray(body.PhoneNumberSet) ? body.PhoneNumberSet : [];
    if (phones.length === 0 || phones.length > 200)
      return error("InvalidParameterValue.IncorrectPhoneNumber", "手机号数量不正确");
    const text = `【${body.SignName}】${template.replace(/\{(\d+)\}/g, (_m, n: string) => String(values[Number(n) - 1]))}`;
    const set = phones.map((raw) => {
      const phone = String(raw);
      const mobile = /^\+86(1\d{10})$/.exec(phone)?.[1];
      const status = (code: string, message: string, serial = "") => ({
        SerialNo: serial,
        PhoneNumber: phone,
        Fee: code === "Ok" ? billedParts(text) : 0,
        SessionContext: String(body.SessionContext ?? ""),
        Code: code,
        Message: message,
        IsoCode: "CN",
      });
      if (!mobile) return status("InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误");
      if (scripted) return status(scripted, "stand-in: scripted failure");
      const contentKey = `${mobile}\n${text}`;
      if ((recentContent.get(contentKey) ?? -Infinity) > clock.ms() - 30_000)
        return status(
          "LimitExceeded.PhoneNumberThirtySecondLimit",
          "单个手机号30秒内下发短信条数超过设定的上限",
        );
      const limited = limits.take(mobile);
      if (limited) return status(limited.code, limited.message);
      recentContent.set(contentKey, clock.ms());
      seq += 1;
      const serial = `2433:${(3_000_000_000_000n + BigInt(seq)).toString()}`;
      accepted.push({
        messageId: serial,
        mobile,
        signName: String(body.SignName),
        templateCode: String(body.TemplateId),
        params: values.map(String),
        text,
        length: [...text].length,
        parts: billedParts(text),
        outId: String(body.SessionContext ?? ""),
        at: clock.now().toISOString(),
      });
      return status("Ok", "send success", serial);
    });
    for (const s of set) if (s.Code !== "Ok") rejected.push({ code: s.Code, at: clock.now().toISOString() });
    return { json: { Response: { SendStatusSet: set, RequestId: crypto.randomUUID() } } };
  }

  async function report(body: Record<string, unknown>) {
    const url = typeof body.reportUrl === "string" ? body.reportUrl : reportTo.url;
    if (!url) throw new Error("report: no reportUrl configured");
    const targets = accepted.filter((m) =>
      typeof body.serialNo === "string" ? m.messageId === body.serialNo : !m.report,
    );
    const success = body.success !== false;
    for (const m of targets) m.report = success ? "delivered" : "failed";
    const piaoma = await pushReport(
      url,
      targets.map((m) => ({
        user_receive_time: chinaTimeText(clock.now()),
        nationcode: "86",
        mobile: m.mobile,
        report_status: success ? "SUCCESS" : "FAIL",
        errmsg: success ? "DELIVRD" : typeof body.errmsg === "string" ? body.errmsg : "MK:0005",
        description: success ? "用户短信送达成功" : "用户短信接收失败",
        sid: m.messageId,
      })),
    );
    return { reported: targets.length, piaoma };
  }

  const definition: StandinDefinition = {
    name: "tencent-sms",
    handle(req) {
      if (misbehaviour.down) return { drop: true };
      if (req.method !== "POST" || req.url.pathname !== "/")
        return error("UnsupportedOperation", "只支持 POST /");
      if (!String(req.headers["content-type"] ?? "").startsWith("application/json"))
        return error("InvalidParameter", "Content-Type 须为 application/json");
      const denied = authorize(req);
      if (denied) return denied;
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(req.body.toString("utf8")) as Record<string, unknown>;
      } catch {
        return error("InvalidParameter", "请求体不是 JSON");
      }
      return sendSms(body);
    },
    delayMs: () => misbehaviour.slowMs,
    async control(action, body) {
      return smsControl(
        { misbehaviour, account: { templates, signs }, idKey: "id", reportTo, report },
        action,
        body,
      );
    },
    state: () => ({
      accepted,
      rejected,
      sdkAppId,
      signs: [...signs],
      templates: Object.fromEntries(templates),
      reportUrl: reportTo.url,
    }),
    reset() {
      accepted = [];
      rejected = [];
      recentContent.clear();
      limits.reset();
      resetMisbehaviour(misbehaviour);
    },
  };

  return {
    definition,
    clock,
    accepted: () => [...accepted],
    rejected: () => [...rejected],
    start: (): Promise<RunningStandin> =>
      startStandin(definition, clock, { port: options.port, host: options.host }),
  };
}
