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
 * A local 阿里云短信 (Dysmsapi 2017-05-25) for SendSms: `POST /` with a form body (or `GET /?…`),
 * checked as the real one checks it — the common parameters, the AccessKey, a Timestamp within 15
 * minutes of its clock, a SignatureNonce never seen before, and the HMAC-SHA1 signature over the
 * canonical query (recomputed here with its own encoder); then the 11-digit number, the 签名 and
 * template (registered here, with their content), the template's variables, and its flow control
 * per number (1 a minute, 5 an hour, 10 a day: isv.BUSINESS_LIMIT_CONTROL). Accepted messages are
 * rendered as the handset shows them (`GET /__standin/state`).
 *
 * Controls: `down {on}`, `slow {ms}`, `fail {code, times?}` (the next answers carry that Code),
 * `report {reportUrl?, bizId?, success?, errCode?}` (pushes SmsReport for the accepted messages not
 * yet reported, or one), `template {code, content}`, `sign {name}`.
 */
export const DEFAULT_ALIYUN_KEY = {
  accessKeyId: "LTAI5tPiaomaStandin01",
  accessKeySecret: "piaoma-aliyun-standin-secret-0001",
};
export const DEFAULT_ALIYUN_SIGN = "票码";
export const DEFAULT_ALIYUN_TEMPLATE = "SMS_468120001";

/** RFC 3986 percent-encoding over UTF-8 bytes, written independently of the adapter's. */
function encode(value: string): string {
  let out = "";
  for (const byte of Buffer.from(value, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

export function createAliyunSmsStandin(
  options: {
    keys?: Array<{ accessKeyId: string; accessKeySecret: string }>;
    signs?: string[];
    /** Template code → content with ${var} placeholders. */
    templates?: Record<string, string>;
    reportUrl?: string;
    clock?: StandinClock;
    port?: number;
    host?: string;
  } = {},
) {
  const clock = options.clock ?? new StandinClock("real");
  const keys = new Map((options.keys ?? [DEFAULT_ALIYUN_KEY]).map((k) => [k.accessKeyId, k.accessKeySecret]));
  const signs = new Set(options.signs ?? [DEFAULT_ALIYUN_SIGN]);
  const templates = new Map(
    Object.entries(
      options.templates ?? { [DEFAULT_ALIYUN_TEMPLATE]: `\${name}发票：http://127.0.0.1:3000/s/\${code}` },
    ),
  );
  const reportTo: { url: string | null } = { url: options.reportUrl ?? null };
  let accepted: AcceptedSms[] = [];
  let rejected: Array<{ code: string; at: string }> = [];
  const nonces = new Set<string>();
  const misbehaviour: Misbehaviour = { down: false, slowMs: 0, failures: [] };
  const limits = new NumberLimits(clock, [
    { ms: 60_000, max: 1, code: "isv.BUSINESS_LIMIT_CONTROL", message: "触发分钟级流控Permits:1" },
    { ms: 3_600_000, max: 5, code: "isv.BUSINESS_LIMIT_CONTROL", message: "触发小时级流控Permits:5" },
    { ms: 86_400_000, max: 10, code: "isv.BUSINESS_LIMIT_CONTROL", message: "触发天级流控Permits:10" },
  ]);
  let seq = 0;

  const answer = (code: string, message: string, status = 200): StandinResponse => {
    if (code !== "OK") rejected.push({ code, at: clock.now().toISOString() });
    return { status, json: { Code: code, Message: message, RequestId: crypto.randomUUID().toUpperCase() } };
  };

  function sendSms(params: URLSearchParams, method: string): StandinResponse {
    const p = (name: string) => params.get(name) ?? "";
    const required = [
      "AccessKeyId",
      "Action",
      "SignatureMethod",
      "SignatureNonce",
      "SignatureVersion",
      "Timestamp",
      "Version",
      "Signature",
    ];
    const missing = required.find((n) => !params.has(n));
    if (missing)
      return answer(
        "MissingParameter",
        `The input parameter "${missing}" that is mandatory for processing this request is not supplied.`,
        400,
      );
    if (p("Action") !== "SendSms") return answer("InvalidAction.NotFound", "Specified api is not found", 404);
    if (p("Version") !== "2017-05-25")
      return answer("InvalidVersion", "Specified parameter Version is not valid.", 400);
    if (p("SignatureMethod") !== "HMAC-SHA1" || p("SignatureVersion") !== "1.0")
      return answer("InvalidSignatureMethod", "Specified signature method is not valid.", 400);
    const secret = keys.get(p("AccessKeyId"));
    if (!secret) return answer("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(p("Timestamp")))
      return answer(
        "InvalidTimeStamp.Format",
        "Specified time stamp or date value is not well formatted.",
        400,
      );
    if (Math.abs(Date.parse(p("Timestamp")) - clock.ms()) > 15 * 60_000)
      return answer("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", 400);
    const canonical = [...params.keys()]
      .filter((k) => k !== "Signature")
      .sort()
      .map((k) => `${encode(k)}=${encode(params.get(k) ?? "")}`)
      .join("&");
    const expected = crypto
      .createHmac("sha1", `${secret}&`)
      .update(`${method}&${encode("/")}&${encode(canonical)}`, "utf8")
      .digest("base64");
    if (expected !== p("Signature"))
      return answer("SignatureDoesNotMatch", "Specified signature is not matched with our calculation.", 400);
    if (nonces.has(p("SignatureNonce")))
      return answer("SignatureNonceUsed", "Specified signature nonce was used already.", 400);
    nonces.add(p("SignatureNonce"));

    const scripted = nextFailure(misbehaviour);
    if (scripted) return answer(scripted, "stand-in: scripted failure");
    const mobile = p("PhoneNumbers");
    if (!/^1\d{10}$/.test(mobile)) return answer("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号");
    if (!signs.has(p("SignName"))) return answer("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名");
    const template = templates.get(p("TemplateCode"));
    if (template === undefined) return answer("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板");
    let values: Record<string, unknown>;
    try {
      values = JSON.parse(p("TemplateParam") || "{}") as Record<string, unknown>;
    } catch {
      return answer("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值");
    }
    const names = [...template.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1] as string);
    if (names.some((n) => typeof values[n] !== "string"))
      return answer("isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值");
    if (names.some((n) => [...(values[n] as string)].length > 35))
      return answer("isv.PARAM_LENGTH_LIMIT", "参数超出长度限制");
    const limited = limits.take(mobile);
    if (limited) return answer(limited.code, limited.message);
    const text = `【${p("SignName")}】${template.replace(/\$\{(\w+)\}/g, (_m, n: string) => String(values[n]))}`;
    seq += 1;
    const bizId = `${900000 + seq}^${1000 + seq}`;
    accepted.push({
      messageId: bizId,
      mobile,
      signName: p("SignName"),
      templateCode: p("TemplateCode"),
      params: names.map((n) => String(values[n])),
      text,
      length: [...text].length,
      parts: billedParts(text),
      outId: p("OutId"),
      at: clock.now().toISOString(),
    });
    return {
      json: { Code: "OK", Message: "OK", BizId: bizId, RequestId: crypto.randomUUID().toUpperCase() },
    };
  }

  async function report(body: Record<string, unknown>) {
    const url = typeof body.reportUrl === "string" ? body.reportUrl : reportTo.url;
    if (!url) throw new Error("report: no reportUrl configured");
    const targets = accepted.filter((m) =>
      typeof body.bizId === "string" ? m.messageId === body.bizId : !m.report,
    );
    const success = body.success !== false;
    const now = chinaTimeText(clock.now());
    for (const m of targets) m.report = success ? "delivered" : "failed";
    const answerOfPiaoma = await pushReport(
      url,
      targets.map((m) => ({
        phone_number: m.mobile,
        send_time: chinaTimeText(new Date(m.at)),
        report_time: now,
        success,
        err_code: success ? "DELIVERED" : typeof body.errCode === "string" ? body.errCode : "MK:0001",
        err_msg: success ? "用户接收成功" : "用户接收失败",
        sms_size: String(m.parts),
        biz_id: m.messageId,
        out_id: m.outId,
      })),
    );
    return { reported: targets.length, piaoma: answerOfPiaoma };
  }

  const definition: StandinDefinition = {
    name: "aliyun-sms",
    handle(req) {
      if (misbehaviour.down) return { drop: true };
      if (req.url.pathname !== "/")
        return answer("InvalidAction.NotFound", "Specified api is not found", 404);
      if (req.method === "POST") {
        const type = String(req.headers["content-type"] ?? "");
        if (!type.startsWith("application/x-www-form-urlencoded"))
          return answer("InvalidParameter", "POST bodies are form-encoded", 400);
        return sendSms(new URLSearchParams(req.body.toString("utf8")), "POST");
      }
      if (req.method === "GET") return sendSms(req.url.searchParams, "GET");
      return answer("UnsupportedHTTPMethod", "This http method is not supported.", 405);
    },
    delayMs: () => misbehaviour.slowMs,
    async control(action, body) {
      return smsControl(
        { misbehaviour, account: { templates, signs }, idKey: "code", reportTo, report },
        action,
        body,
      );
    },
    state: () => ({
      accepted,
      rejected,
      signs: [...signs],
      templates: Object.fromEntries(templates),
      reportUrl: reportTo.url,
    }),
    reset() {
      accepted = [];
      rejected = [];
      nonces.clear();
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
