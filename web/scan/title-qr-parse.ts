/**
 * The text of a 抬头 QR code read into the form's title: the national 便捷开票二维码 (the one the
 * 电子税务局 and the tax-control software print for a company) and WeChat's title QR (我的发票抬头 →
 * 二维码). Pure, unit-tested with sample strings; null for anything else. What is assumed about each
 * format is in `QR_FORMATS`, the guessed facts marked [G].
 */
import type { TitleChoice } from "./form";
import { parseWechatTitle } from "./title-parse";

export const QR_FORMATS = {
  national: {
    /** `$01` + fields + check + `$`. [G] */
    start: "$01",
    end: "$",
    /** Fields are separated by `</>`. [G] */
    separator: "</>",
    /** In order: 名称, 纳税人识别号, 地址电话, 开户行及账号; each base64 of GBK (or UTF-8) text. [G] */
    fields: ["name", "taxId", "addressPhone", "bankAccount"] as const,
  },
  wechat: {
    /**
     * WeChat's title QR carries the title with the JS-SDK's field names (type, title, taxNumber,
     * companyAddress, telephone, bankName, bankAccount): as JSON, or as the query of a link. [G]
     */
    keys: ["type", "title", "taxNumber", "companyAddress", "telephone", "bankName", "bankAccount"] as const,
  },
} as const;

export function parseTitleQr(text: string): TitleChoice | null {
  const value = text.trim();
  return parseNationalQr(value) ?? parseWechatQr(value);
}

/** The national 便捷开票二维码. */
export function parseNationalQr(text: string): TitleChoice | null {
  const f = QR_FORMATS.national;
  if (!text.startsWith(f.start) || !text.endsWith(f.end) || text.length < 8) return null;
  const parts = text.slice(f.start.length, -f.end.length).split(f.separator);
  // The fields, then the check value after the last separator.
  if (parts.length < f.fields.length) return null;
  const [name, taxId, addressPhone, bankAccount] = parts.slice(0, f.fields.length).map(decodeField);
  if (!name || name === null) return null;
  const [address, phone] = splitTrailing(addressPhone ?? "", /^[0-9()（）+\- ]{5,}$/);
  const [bankName, account] = splitTrailing(bankAccount ?? "", /^[0-9 -]{6,}$/);
  return {
    buyerType: "enterprise",
    name,
    taxId: (taxId ?? "").replace(/\s+/g, "").toUpperCase(),
    address,
    phone,
    bankName,
    bankAccount: account,
  };
}

/** WeChat's title QR: JSON, or a link whose query holds the fields. */
export function parseWechatQr(text: string): TitleChoice | null {
  if (text.startsWith("{")) return parseWechatTitle(text);
  if (!/^https?:\/\//i.test(text)) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  const fields: Record<string, string> = {};
  for (const key of QR_FORMATS.wechat.keys) {
    const v = url.searchParams.get(key);
    if (v !== null) fields[key] = v;
  }
  return fields.title ? parseWechatTitle(fields) : null;
}

function decodeField(field: string): string | null {
  const b64 = field.trim();
  if (b64 === "") return "";
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return null;
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes).trim();
  } catch {
    try {
      return new TextDecoder("gbk").decode(bytes).trim();
    } catch {
      return null;
    }
  }
}

/** "地址 电话" → [地址, 电话] when the last word looks like `tail`; else [all, ""]. */
function splitTrailing(text: string, tail: RegExp): [string, string] {
  const t = text.trim();
  const at = t.search(/\s+\S+$/);
  if (at > 0) {
    const last = t.slice(at).trim();
    if (tail.test(last)) return [t.slice(0, at).trim(), last];
  }
  return [t, ""];
}
