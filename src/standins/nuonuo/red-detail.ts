import Decimal from "decimal.js";
import { type Answer, err, GUESSED } from "./model";

/**
 * A partial 红字确认单's `detail[]` as the stand-in checks it (CHANNELS.md §1.8; DOMAIN.md §4, §8):
 * each entry names a blue line by `blueDetailIndex` (the blue invoice's own detail numbering,
 * 1-based, discount rows numbered but never named — the adapter's guess, mapping.ts
 * blueDetailIndexOf), in the blue invoice's order; it repeats the line's goods name, code and rate;
 * quantity, amount and tax are negative and the unit price positive; the amounts add up; the
 * invoice-level tax tolerance holds; and no line gives more than remains of it once the forms
 * already applied for (and not void) have taken theirs.
 */

/** What a form takes (or may take) of a blue line, positive; quantity null when the line has none. */
export interface Taking {
  quantity: Decimal | null;
  excl: Decimal;
  incl: Decimal;
}

/** A blue line as a form can reverse it: a discounted row with its discount merged. */
interface BlueLine {
  index: number;
  goodsName: string;
  goodsCode: string;
  taxRate: string;
  whole: Taking;
}

const text = (line: Record<string, unknown>, key: string) =>
  typeof line[key] === "string" ? (line[key] as string) : "";
const dec = (value: string) => new Decimal(value === "" ? "0" : value);

/** The blue invoice's reversible lines by index, from its requestBillingNew invoiceDetail. */
export function blueLinesOf(invoiceDetail: Array<Record<string, unknown>>): Map<number, BlueLine> {
  const lines = new Map<number, BlueLine>();
  invoiceDetail.forEach((row, i) => {
    if (text(row, "invoiceLineProperty") === "1") return;
    const next = text(row, "invoiceLineProperty") === "2" ? invoiceDetail[i + 1] : undefined;
    const excl = dec(text(row, "taxExcludedAmount")).plus(next ? dec(text(next, "taxExcludedAmount")) : 0);
    const incl = dec(text(row, "taxIncludedAmount")).plus(next ? dec(text(next, "taxIncludedAmount")) : 0);
    lines.set(i + 1, {
      index: i + 1,
      goodsName: text(row, "goodsName"),
      goodsCode: text(row, "goodsCode"),
      taxRate: text(row, "taxRate"),
      whole: { quantity: text(row, "num") ? dec(text(row, "num")) : null, excl, incl },
    });
  });
  return lines;
}

/** The whole of every line: what a full form (no detail) takes. */
export function wholeOf(blue: Map<number, BlueLine>): Map<number, Taking> {
  return new Map([...blue].map(([i, l]) => [i, l.whole]));
}

/** What an accepted detail takes of each line (positive). */
export function takenBy(detail: Array<Record<string, unknown>>): Map<number, Taking> {
  return new Map(
    detail.map((d) => {
      const excl = dec(text(d, "taxExcludedAmount")).neg();
      return [
        Number(text(d, "blueDetailIndex")),
        {
          quantity: text(d, "num") ? dec(text(d, "num")).neg() : null,
          excl,
          incl: excl.plus(dec(text(d, "taxAmount")).neg()),
        },
      ];
    }),
  );
}

const MONEY = /^-?\d{1,14}(\.\d{1,2})?$/;
const TAX_TOTAL_TOLERANCE = new Decimal("1.27");

/**
 * The first thing wrong with a partial form's detail, as 诺诺 answers it, or null. `earlier`: what
 * each live form of the same blue invoice takes.
 */
export function checkRedDetail(
  detail: unknown,
  blue: Map<number, BlueLine>,
  earlier: Array<Map<number, Taking>>,
): Answer | null {
  const bad = (describe: string) => err("E4000", `接口调用失败：${describe}`);
  if (!Array.isArray(detail) || detail.length === 0) return bad("detail 应为非空数组");
  let previous = 0;
  let sumE = new Decimal(0);
  for (const [i, raw] of detail.entries()) {
    const at = `detail[${i}]`;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return bad(`${at} 应为对象`);
    const d = raw as Record<string, unknown>;
    for (const [k, v] of Object.entries(d)) if (typeof v !== "string") return bad(`${at}.${k} 必须是字符串`);
    for (const k of ["blueDetailIndex", "goodsName", "taxRate", "goodsCode"])
      if (!text(d, k)) return bad(`${at}.${k} 不能为空`);
    if (!/^[1-9]\d{0,4}$/.test(text(d, "blueDetailIndex")))
      return bad(`${at}.blueDetailIndex 应为正整数（最长 5 位）`);
    const index = Number(text(d, "blueDetailIndex"));
    const line = blue.get(index);
    if (!line) return bad(`${at}.blueDetailIndex ${index} 在蓝字发票中不存在或是折扣行`);
    if (index <= previous) return bad("部分冲红明细序号必须和原蓝票顺序保持一致，且不能重复");
    previous = index;
    if (text(d, "goodsName") !== line.goodsName || text(d, "goodsCode") !== line.goodsCode)
      return bad(`${at} 商品名称或商品编码与蓝票第 ${index} 行不一致`);
    if (!dec(text(d, "taxRate")).equals(dec(line.taxRate)))
      return bad(`${at} 税率与蓝票第 ${index} 行不一致`);

    for (const k of ["taxExcludedAmount", "taxAmount"])
      if (!MONEY.test(text(d, k))) return err("E9124", `金额格式不正确：${at}.${k}`);
    const excl = dec(text(d, "taxExcludedAmount"));
    const tax = dec(text(d, "taxAmount"));
    if (!excl.isNegative() || excl.isZero()) return bad(`${at}.taxExcludedAmount 红字明细金额应为负数`);
    if (tax.greaterThan(0)) return bad(`${at}.taxAmount 红字明细税额应为负数或零`);
    const rate = dec(text(d, "taxRate"));
    const e = excl.times(rate).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).minus(tax);
    if (e.abs().greaterThan("0.06")) return err("E9131", `金额*税率-税额 > 0.06：${at}`);
    sumE = sumE.plus(e);

    const hasNum = text(d, "num") !== "";
    if (hasNum !== (text(d, "taxExcludedPrice") !== ""))
      return err("E9123", `${at} 单价与数量须同时填写或同时为空`);
    if (hasNum) {
      if (line.whole.quantity === null) return bad(`${at} 蓝票第 ${index} 行没有数量，红字明细不能填数量`);
      if (!/^-\d+(\.\d{1,13})?$/.test(text(d, "num"))) return bad(`${at}.num 红字明细数量应为负数`);
      if (
        !/^\d+(\.\d{1,13})?$/.test(text(d, "taxExcludedPrice")) ||
        dec(text(d, "taxExcludedPrice")).isZero()
      )
        return bad(`${at}.taxExcludedPrice 单价应为正数`);
      if (dec(text(d, "taxExcludedPrice")).times(text(d, "num")).minus(excl).abs().greaterThan("0.01"))
        return err("E9126", `${at} 单价*数量≠金额`);
    }

    // What remains of the line once the live forms took theirs.
    const taken = earlier.reduce(
      (sum, form) => {
        const t = form.get(index);
        if (!t) return sum;
        return {
          quantity: t.quantity ? sum.quantity.plus(t.quantity) : sum.quantity,
          excl: sum.excl.plus(t.excl),
          incl: sum.incl.plus(t.incl),
        };
      },
      { quantity: new Decimal(0), excl: new Decimal(0), incl: new Decimal(0) },
    );
    const leftExcl = line.whole.excl.minus(taken.excl);
    const leftIncl = line.whole.incl.minus(taken.incl);
    const over = (what: string, asked: Decimal, left: Decimal) =>
      err(
        GUESSED.redNotReversible,
        `蓝票第 ${index} 行${what} ${asked.toFixed()} 超过剩余可冲红的 ${left.toFixed()}`,
      );
    if (excl.neg().greaterThan(leftExcl)) return over("冲红金额", excl.neg(), leftExcl);
    if (excl.plus(tax).neg().greaterThan(leftIncl))
      return over("冲红价税合计", excl.plus(tax).neg(), leftIncl);
    if (hasNum && line.whole.quantity) {
      const leftQuantity = line.whole.quantity.minus(taken.quantity);
      const asked = dec(text(d, "num")).neg();
      if (asked.greaterThan(leftQuantity)) return over("冲红数量", asked, leftQuantity);
    }
  }
  if (sumE.abs().greaterThan(TAX_TOTAL_TOLERANCE))
    return bad(`明细税额尾差合计 ${sumE.toFixed(2)} 超过 ±${TAX_TOTAL_TOLERANCE.toFixed(2)}`);
  return null;
}

/** The red invoice's invoiceDetail a partial form issues: one normal line per detail entry. */
export function redInvoiceDetail(detail: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  return detail.map((d) => {
    const excl = dec(text(d, "taxExcludedAmount"));
    const tax = dec(text(d, "taxAmount"));
    const line: Record<string, unknown> = {
      goodsName: text(d, "goodsName"),
      goodsCode: text(d, "goodsCode"),
      withTaxFlag: "0",
      taxRate: text(d, "taxRate"),
      taxExcludedAmount: excl.toFixed(2),
      tax: tax.toFixed(2),
      taxIncludedAmount: excl.plus(tax).toFixed(2),
      invoiceLineProperty: "0",
    };
    if (text(d, "num")) {
      line.num = text(d, "num");
      line.price = text(d, "taxExcludedPrice");
    }
    return line;
  });
}
