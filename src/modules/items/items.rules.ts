import { computeInvoice, formatPrice, parseUnitPrice, type ZeroRateKind } from "../../domain";
import type { FieldErrors } from "../../platform/validation";
import type { itemInput } from "./items.schema";

type ParsedItem = ReturnType<typeof itemInput.parse>;

export interface CheckedItem extends Omit<ParsedItem, "taxRate" | "zeroRateKind" | "unitPrice"> {
  taxRate: string;
  zeroRateKind: ZeroRateKind | null;
  unitPrice: string | null;
}

/**
 * Checks an item with the rules engine by pricing a one-line order with it: the same rules then
 * hold for items as for the lines they become (19-digit tax code, offered rates, zero-rate kinds,
 * GBK lengths of name, spec and unit). Issues are reported at `prefix` + field.
 */
export function checkItem(item: ParsedItem, errors: FieldErrors, prefix = ""): CheckedItem | null {
  const taxRate = normalizeRate(item.taxRate);
  const result = computeInvoice({
    lines: [
      {
        name: item.name,
        shortName: item.shortName,
        taxCode: item.taxCode,
        taxRate,
        zeroRateKind: item.zeroRateKind ?? null,
        spec: item.spec,
        unit: item.unit,
        amount: "1.00",
      },
    ],
  });
  let ok = true;
  if (!result.ok) {
    for (const issue of result.issues) {
      const field = issue.path.replace(/^lines\[0\]\.?/, "") || "name";
      errors.add(prefix + field, issue.message.replace(/^第\s*1\s*行/, ""));
      ok = false;
    }
  }
  let unitPrice: string | null = null;
  if (item.unitPrice) {
    const price = parseUnitPrice(item.unitPrice, "unitPrice", "单价");
    if (!price.ok) {
      errors.add(`${prefix}unitPrice`, price.issues[0]?.message ?? "单价不正确");
      ok = false;
    } else unitPrice = formatPrice(price.value);
  }
  if (!ok || !result.ok) return null;
  const line = result.value.lines[0]!;
  return { ...item, taxRate: line.taxRate, zeroRateKind: line.zeroRateKind, unitPrice };
}

/** "13%" and "13" as well as "0.13": spreadsheets and people write rates all three ways. */
export function normalizeRate(text: string): string {
  const t = text.trim();
  const percent = t.match(/^(\d+(?:\.\d+)?)\s*%$/);
  if (percent) return shiftDecimal(percent[1]!);
  if (/^\d+(\.\d+)?$/.test(t) && Number.parseFloat(t) >= 1) return shiftDecimal(t);
  return t;
}

/** Divides a decimal text by 100 without floating point. */
function shiftDecimal(text: string): string {
  const [int = "0", frac = ""] = text.split(".");
  const digits = (int.padStart(3, "0") + frac).replace(/^0+(?=\d)/, "");
  const padded = digits.padStart(frac.length + 3, "0");
  const cut = padded.length - frac.length - 2;
  const out = `${padded.slice(0, cut)}.${padded.slice(cut)}`.replace(/^0+(?=\d)/, "");
  return out.replace(/\.?0+$/, "") || "0";
}
