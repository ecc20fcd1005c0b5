/**
 * What the stand-in checks in an ALLE.INVOICE.OPEN request (CHANNELS.md §2.5, §7.5): the first problem
 * found, as Kingdee would word it, or null.
 */
import { Decimal } from "decimal.js";
import { gbkBytes } from "./protocol";

type Obj = Record<string, unknown>;

const text = (v: unknown) => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));

/** A JSON number (or numeric text) as an exact decimal; JSON numbers of ≤ 15 digits print exactly. */
function dec(v: unknown): Decimal | null {
  if (typeof v === "number" && Number.isFinite(v)) return new Decimal(String(v));
  if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)) return new Decimal(v);
  return null;
}

export function validateOpen(d: Obj): string | null {
  const serialNo = text(d.serialNo);
  if (!serialNo || serialNo.length > 50) return "serialNo 不能为空且不能超过50位";
  if (text(d.invoiceProperty || "0") !== "0") return "invoiceProperty 应为 0（蓝字）";
  const type = text(d.invoiceType);
  if (type !== "01" && type !== "02") return "invoiceType 应为 01（数电专票）或 02（数电普票）";
  if (!text(d.sellerTaxpayerId)) return "sellerTaxpayerId 不能为空";
  if (!text(d.sellerName)) return "sellerName 不能为空";
  const buyerName = text(d.buyerName);
  if (!buyerName) return "buyerName 不能为空";
  if (gbkBytes(buyerName) > 100) return "buyerName 超过100字节";
  if (type === "01" && !text(d.buyerTaxpayerId)) return "数电专票购买方税号不能为空";
  const flag = text(d.naturalPersonFlag || "N");
  if (flag !== "Y" && flag !== "N") return "naturalPersonFlag 应为 Y 或 N";
  if (!text(d.drawer)) return "drawer（开票人）不能为空";
  for (const party of ["buyer", "seller"]) {
    if (gbkBytes(text(d[`${party}Bank`]) + text(d[`${party}BankAccount`])) > 150)
      return `${party}Bank 与 ${party}BankAccount 合计超过150字节`;
    if (gbkBytes(text(d[`${party}Address`]) + text(d[`${party}Tel`])) > 120)
      return `${party}Address 与 ${party}Tel 合计超过120字节`;
  }
  if (gbkBytes(text(d.remark)) > 200) return "remark 超过200字节";
  const includeTax = text(d.includeTaxFlag || "0") === "1";
  const lines = d.invoiceDetail;
  if (!Array.isArray(lines) || lines.length === 0) return "invoiceDetail 不能为空";
  let sumAmount = new Decimal(0);
  let sumTax = new Decimal(0);
  for (const [i, raw] of lines.entries()) {
    const at = `第${i + 1}行`;
    if (!raw || typeof raw !== "object") return `${at}明细格式不正确`;
    const line = raw as Obj;
    const property = text(line.lineProperty || "0");
    if (!["0", "1", "2"].includes(property)) return `${at} lineProperty 应为 0、1 或 2`;
    if (!/^\d{19}$/.test(text(line.revenueCode))) return `${at} revenueCode 应为19位税收分类编码`;
    if (!text(line.goodsName)) return `${at} goodsName 不能为空`;
    if (text(line.goodsName).startsWith("*")) return `${at} goodsName 不应带 *简称*`;
    if (gbkBytes(text(line.specification)) > 40) return `${at} specification 超过40字节`;
    if (gbkBytes(text(line.units)) > 22) return `${at} units 超过22字节`;
    const amount = dec(line.amount);
    const tax = dec(line.taxAmount);
    const rate =
      typeof line.taxRate === "string" && /^\d(\.\d+)?$/.test(line.taxRate)
        ? new Decimal(line.taxRate)
        : null;
    if (!amount || amount.decimalPlaces() > 2) return `${at} amount 应为最多2位小数的数字`;
    if (!tax || tax.decimalPlaces() > 2) return `${at} taxAmount 应为最多2位小数的数字`;
    if (!rate) return `${at} taxRate 应为小数形式的字符串，如 "0.13"`;
    if (
      rate.isZero() &&
      line.privilegeType !== undefined &&
      !/^(0[1-9]|1[0-8])$/.test(text(line.privilegeType))
    )
      return `${at} privilegeType 不正确`;
    const excl = includeTax ? amount.minus(tax) : amount;
    if (excl.times(rate).minus(tax).abs().greaterThan("0.06")) return `${at}税额与金额×税率相差超过0.06`;
    const price = line.price === undefined ? null : dec(line.price);
    if (line.price !== undefined && (!price || price.decimalPlaces() > 8 || price.isNegative()))
      return `${at} price 应为最多8位小数的非负数`;
    if (property === "1") {
      const previous = lines[i - 1] as Obj | undefined;
      if (!previous || text(previous.lineProperty) !== "2") return `${at}折扣行必须紧跟在被折扣行之后`;
      if (!amount.isNegative()) return `${at}折扣行金额应为负数`;
      if (dec(previous.amount)!.plus(amount).isNegative()) return `${at}折扣金额超过被折扣行金额`;
    } else if (amount.isNegative()) return `${at}蓝字发票金额不能为负`;
    if (property === "2" && text((lines[i + 1] as Obj | undefined)?.lineProperty) !== "1")
      return `${at}被折扣行之后必须是折扣行`;
    sumAmount = sumAmount.plus(excl);
    sumTax = sumTax.plus(tax);
  }
  const total = dec(d.totalAmount);
  if (d.totalAmount !== undefined && !total?.equals(sumAmount.plus(sumTax)))
    return "totalAmount 与明细价税合计不一致";
  return null;
}
