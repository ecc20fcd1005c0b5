import Decimal from "decimal.js";
import { type Answer, err } from "./model";

/**
 * The line rules of requestBillingNew's invoiceDetail as the stand-in checks them (CHANNELS.md §1.5):
 * every value a string, 19-digit goods codes, amounts that add up, price × quantity, the 数电
 * zero-rate fields, and discount pairs. The first broken rule's answer, or null.
 */
export function checkLines(lines: Array<Record<string, unknown>>): Answer | null {
  const money = /^-?\d{1,14}(\.\d{1,2})?$/;
  for (const [i, line] of lines.entries()) {
    for (const [k, v] of Object.entries(line))
      if (typeof v !== "string") return err("E4000", `接口调用失败：invoiceDetail[${i}].${k} 必须是字符串`);
    const g = (k: string) => (line[k] as string | undefined) ?? "";
    if (!g("goodsName") || !g("taxRate") || !g("withTaxFlag"))
      return err("E4000", `接口调用失败：invoiceDetail[${i}] 缺少 goodsName、taxRate 或 withTaxFlag`);
    if (g("goodsCode") && !/^\d{19}$/.test(g("goodsCode"))) return err("E9121", "获取商品编码失败");
    if (!g("goodsCode")) return err("E9138", "商品编码获取出现异常");
    for (const k of ["taxExcludedAmount", "tax", "taxIncludedAmount"])
      if (!money.test(g(k))) return err("E9124", `金额格式不正确：${k}`);
    const excl = new Decimal(g("taxExcludedAmount"));
    const tax = new Decimal(g("tax"));
    const incl = new Decimal(g("taxIncludedAmount"));
    if (!excl.plus(tax).equals(incl)) return err("E9130", "不含税金额+税额≠含税金额");
    if (excl.times(g("taxRate")).minus(tax).abs().greaterThan("0.06"))
      return err("E9131", "金额*税率-税额 > 0.06");
    const hasPrice = g("price") !== "";
    if (hasPrice !== (g("num") !== "")) return err("E9123", "单价与数量须同时填写或同时为空");
    if (hasPrice) {
      if (!/^\d+(\.\d{1,8})?$/.test(g("price"))) return err("E9125", "单价格式不正确（最多 8 位小数）");
      const amount = g("withTaxFlag") === "1" ? incl : excl;
      if (new Decimal(g("price")).times(g("num")).minus(amount).abs().greaterThan("0.01"))
        return err("E9126", "单价*数量≠金额");
    }
    // 数电: zero-rate kinds travel as a two-digit favouredPolicyFlag, never the legacy fields.
    if (g("zeroRateFlag") || g("favouredPolicyName") || g("deduction"))
      return err(
        "E4000",
        `接口调用失败：数电发票 invoiceDetail[${i}] 不传 zeroRateFlag、favouredPolicyName、deduction`,
      );
    if (g("favouredPolicyFlag") && !/^\d{2}$/.test(g("favouredPolicyFlag")))
      return err("E4000", `接口调用失败：invoiceDetail[${i}].favouredPolicyFlag 应为两位代码`);
    if (["03", "04"].includes(g("favouredPolicyFlag")) && !new Decimal(g("taxRate")).isZero())
      return err("E4000", `接口调用失败：invoiceDetail[${i}] 免税或不征税的税率应为 0`);
    if (!["", "0", "1", "2"].includes(g("invoiceLineProperty")))
      return err("E4000", `接口调用失败：invoiceDetail[${i}].invoiceLineProperty 只能是 0、1、2`);
    const property = g("invoiceLineProperty") || "0";
    if (property === "1") {
      const prev = lines[i - 1];
      if (!prev || (prev.invoiceLineProperty ?? "0") !== "2")
        return err("E9110", "折扣行必须紧挨被折扣行之后");
      if (prev.goodsName !== g("goodsName")) return err("E9105", "折扣行商品名称必须和被折扣行相同");
      if (prev.taxRate !== g("taxRate")) return err("E9112", "折扣行税率必须和被折扣行相同");
      if (excl.abs().greaterThan(new Decimal(String(prev.taxExcludedAmount))))
        return err("E9108", "折扣金额大于被折扣金额");
      if (hasPrice && new Decimal(g("num")).greaterThan(0)) return err("E9111", "蓝票折扣行商品数量应为负");
    } else if (property === "2" && (lines[i + 1]?.invoiceLineProperty ?? "0") !== "1") {
      return err("E9110", "被折扣行之后必须紧跟折扣行");
    }
  }
  return null;
}

/** The sum of one amount field over the lines, to two decimals. */
export const sumOf = (lines: Array<Record<string, unknown>>, key: string) =>
  lines.reduce((sum, l) => sum.plus(String(l[key] ?? "0")), new Decimal(0)).toFixed(2);
