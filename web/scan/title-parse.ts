/**
 * 抬头 handed over by other systems, read into the form's title (form.ts `TitleChoice`): WeChat's
 * saved invoice title (`chooseInvoiceTitle`'s `choose_invoice_title_info`). Defensive: anything that
 * is not a usable title yields null, never a half-filled form. Pure, so unit-tested with samples.
 */
import type { TitleChoice } from "./form";

const text = (v: unknown, max = 100): string => (typeof v === "string" ? v.trim().slice(0, max) : "");

/**
 * WeChat's title (微信开放文档, 获取用户发票抬头): `{ type: "0" | "1", title, taxNumber,
 * companyAddress, telephone, bankName, bankAccount }`; type 0 is a 单位, 1 a 个人. The JS-SDK hands it
 * over as JSON text (`choose_invoice_title_info`), some versions as an object.
 */
export function parseWechatTitle(info: unknown): TitleChoice | null {
  let raw = info;
  if (typeof raw === "string") {
    try {
      raw = JSON.parse(raw);
    } catch {
      return null;
    }
  }
  if (!raw || typeof raw !== "object") return null;
  const r = raw as Record<string, unknown>;
  const name = text(r.title);
  if (!name) return null;
  const type = String(r.type ?? "0");
  return {
    buyerType: type === "1" ? "individual" : "enterprise",
    name,
    taxId: text(r.taxNumber, 40),
    address: text(r.companyAddress),
    phone: text(r.telephone, 40),
    bankName: text(r.bankName),
    bankAccount: text(r.bankAccount, 40),
  };
}
