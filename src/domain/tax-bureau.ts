/**
 * The tax bureau an invoice is issued under (DOMAIN.md §9), from the seller's province: the XML's
 * `TaxBureauCode` (1 + province + 00000000), `TaxBureauName` (国家税务总局…税务局) and `EInvoiceTag`
 * (SWEI + province + 00). The province is positions 3–4 of the seller's 统一社会信用代码
 * (`provinceCodeOf`), the same two digits the sandbox numbers invoices by.
 */
import { provinceCodeOf } from "./tax-id";

/** The provincial-level divisions (GB/T 2260) that have a provincial tax bureau. */
const PROVINCES: Readonly<Record<string, string>> = {
  "11": "北京市",
  "12": "天津市",
  "13": "河北省",
  "14": "山西省",
  "15": "内蒙古自治区",
  "21": "辽宁省",
  "22": "吉林省",
  "23": "黑龙江省",
  "31": "上海市",
  "32": "江苏省",
  "33": "浙江省",
  "34": "安徽省",
  "35": "福建省",
  "36": "江西省",
  "37": "山东省",
  "41": "河南省",
  "42": "湖北省",
  "43": "湖南省",
  "44": "广东省",
  "45": "广西壮族自治区",
  "46": "海南省",
  "50": "重庆市",
  "51": "四川省",
  "52": "贵州省",
  "53": "云南省",
  "54": "西藏自治区",
  "61": "陕西省",
  "62": "甘肃省",
  "63": "青海省",
  "64": "宁夏回族自治区",
  "65": "新疆维吾尔自治区",
};

export interface TaxBureau {
  /** Two digits, e.g. "44". */
  provinceCode: string;
  /** `1` + province + `00000000`, e.g. "14400000000". */
  code: string;
  /** e.g. "国家税务总局广东省税务局"; null for two digits that name no province (e.g. "10"). */
  name: string | null;
  /** The XML header's `EInvoiceTag`, e.g. "SWEI4400". */
  tag: string;
}

/** The bureau of a seller's tax ID, or null when the tax ID carries no province digits. */
export function taxBureauOf(sellerTaxId: string): TaxBureau | null {
  const provinceCode = provinceCodeOf(sellerTaxId);
  if (provinceCode === null) return null;
  const province = PROVINCES[provinceCode];
  return {
    provinceCode,
    code: `1${provinceCode}00000000`,
    name: province ? `国家税务总局${province}税务局` : null,
    tag: `SWEI${provinceCode}00`,
  };
}
