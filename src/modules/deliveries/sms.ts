import type { Logger } from "pino";
import type { Database } from "../../platform/db/client";
import { smsOutbox } from "../../platform/db/schema";
import { newId } from "../../platform/ids";

/**
 * One invoice message: the organization's 短信签名 and template at the installation's provider, the
 * template's two variables (the seller's name, shortened to fit, and the receipt code's token — the
 * template holds the installation's link up to `/s/`), and the text as the handset shows it.
 */
export interface SmsMessage {
  /** 11 digits, mainland China. */
  mobile: string;
  signName: string;
  templateCode: string;
  /** The template's variables in order (阿里云 by name, 腾讯云 by position). */
  params: Array<{ name: string; value: string }>;
  /** 【签名】 and the rendered template: what the `log` provider records, one billed SMS. */
  text: string;
  /** Our id of the delivery (阿里云 OutId, 腾讯云 SessionContext). */
  outId: string;
}

/** An SMS gateway: `log` (built in, records the message), `aliyun`, `tencent`. */
export interface SmsProvider {
  readonly id: "log" | "aliyun" | "tencent" | (string & {});
  /** Whether the provider needs the organization's sign name and template (real gateways do). */
  readonly needsTemplate: boolean;
  /** Sends one message; resolves with the provider's id of it (its delivery report names it). */
  send(message: SmsMessage): Promise<{ messageId: string | null }>;
}

/** The provider refused or could not take the message; recorded on the delivery, retried by the sweep. */
export class SmsSendError extends Error {
  constructor(
    /** The provider's code (isv.BUSINESS_LIMIT_CONTROL, LimitExceeded.PhoneNumberDailyLimit, http_503 …). */
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = "SmsSendError";
  }
}

/** One billed SMS in mainland China: up to 70 characters, signature included. */
export const SMS_SINGLE_LIMIT = 70;
/** The sign name used by the `log` provider when an organization has none. */
export const DEFAULT_SIGN_NAME = "票码";

/**
 * The template's text with its variables filled in; the provider holds it as
 * `{name}发票：{PUBLIC_URL}/s/{code}` (阿里云 `${…}` variables, 腾讯云 {1} {2}; README).
 */
export const smsTemplateText = (name: string, link: string) => `${name}发票：${link}`;

const chars = (s: string) => [...s].length;

/** `【签名】` and a template's text with the seller's name shortened (with …) to keep one billed SMS. */
function fitted(
  options: { mobile: string; signName: string; templateCode: string; sellerName: string; outId: string },
  code: string,
  template: (name: string) => string,
): SmsMessage {
  const render = (name: string) => `【${options.signName}】${template(name)}`;
  const room = SMS_SINGLE_LIMIT - chars(render(""));
  const seller = [...options.sellerName.trim()];
  const name =
    seller.length <= room ? seller.join("") : room >= 2 ? `${seller.slice(0, room - 1).join("")}…` : "";
  return {
    mobile: options.mobile,
    signName: options.signName,
    templateCode: options.templateCode,
    params: [
      { name: "name", value: name },
      { name: "code", value: code },
    ],
    text: render(name),
    outId: options.outId,
  };
}

/**
 * The message for an issued invoice: `【签名】{seller}发票：{link}`, the seller's name
 * shortened (with …) so the whole stays one billed SMS (≤ 70 characters); dropped when even one
 * character does not fit. The link is `PUBLIC_URL/s/{token}`.
 */
export function invoiceSmsMessage(options: {
  mobile: string;
  signName: string;
  templateCode: string;
  sellerName: string;
  publicUrl: string;
  token: string;
  outId: string;
}): SmsMessage {
  const link = `${options.publicUrl}/s/${options.token}`;
  return fitted(options, options.token, (name) => smsTemplateText(name, link));
}

/**
 * The installation's notice that something changed on a code's page (审核 refused, 换开 decided):
 * `【签名】{seller}开票进度有更新：{link}` under the installation's sign name and notice template
 * (`PIAOMA_SMS_NOTICE_TEMPLATE`, variables `name` and `code` as the invoice template's); the page
 * says what happened.
 */
export const smsNoticeText = (name: string, link: string) => `${name}开票进度有更新：${link}`;

export function noticeSmsMessage(options: {
  mobile: string;
  signName: string;
  templateCode: string;
  sellerName: string;
  publicUrl: string;
  token: string;
  /** The page's path before the token: `s` (a receipt, default) or `m/p` (a store code's submission). */
  page?: "s" | "m/p";
  outId: string;
}): SmsMessage {
  const link = `${options.publicUrl}/${options.page ?? "s"}/${options.token}`;
  return fitted(options, options.token, (name) => smsNoticeText(name, link));
}

/**
 * A one-time login code (我的发票) under the installation's sign name and 验证码 template
 * (`PIAOMA_SMS_CODE_TEMPLATE`, variable `code`).
 */
export function loginCodeSmsMessage(options: {
  mobile: string;
  signName: string;
  templateCode: string;
  code: string;
  minutes: number;
  outId: string;
}): SmsMessage {
  return {
    mobile: options.mobile,
    signName: options.signName,
    templateCode: options.templateCode,
    params: [{ name: "code", value: options.code }],
    text: `【${options.signName}】您的验证码为${options.code}，${options.minutes}分钟内有效，请勿告诉他人。`,
    outId: options.outId,
  };
}

/**
 * The installation's template for a kind of its own messages, or the reason it cannot be sent: a
 * real gateway sends only registered templates, the `log` provider records any text.
 */
export function installationTemplate(
  provider: Pick<SmsProvider, "needsTemplate">,
  templateCode: string | undefined,
): string | null {
  if (templateCode) return templateCode;
  return provider.needsTemplate ? null : "";
}

/** Billed SMS parts for a text (70 characters single; 67 per part when longer). */
export function smsParts(text: string): number {
  const n = chars(text);
  return n <= SMS_SINGLE_LIMIT ? 1 : Math.ceil(n / 67);
}

export function createLogSmsProvider(database: Database, log: Logger): SmsProvider {
  return {
    id: "log",
    needsTemplate: false,
    send: async (message) => {
      await database.db
        .insert(smsOutbox)
        .values({ id: newId("sms"), mobile: message.mobile, text: message.text });
      log.info({ mobile: message.mobile, text: message.text }, "SMS recorded by the log provider");
      return { messageId: null };
    },
  };
}

/** POST with a deadline; a transport failure or timeout becomes an SmsSendError (retried). */
export async function smsHttp(
  url: string,
  init: { headers: Record<string, string>; body: string },
  timeoutMs = 10_000,
): Promise<{ status: number; json: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: init.headers,
      body: init.body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
  } catch (e) {
    const name = (e as Error).name;
    throw new SmsSendError(
      name === "TimeoutError" ? "timeout" : "network",
      name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : String((e as Error).message),
    );
  }
  const text = await res.text();
  try {
    return { status: res.status, json: JSON.parse(text) };
  } catch {
    throw new SmsSendError(`http_${res.status}`, text.slice(0, 200) || res.statusText);
  }
}
