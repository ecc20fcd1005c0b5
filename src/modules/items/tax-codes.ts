import type { Actor } from "../../context";
import { taxRateLabel } from "../../domain";
import { requireOrg } from "../auth/access";
import { TAX_CATEGORIES, type TaxCategory } from "./tax-codes.data";

const MAX_RESULTS = 20;

/**
 * 税收分类编码 search for the 开票项 form: digits match the start of the code (a prefix as short as
 * "307" lists the whole family), other text matches the category's name or short name. Categories
 * whose short name matches come first. Searches the compact subset in tax-codes.data.ts.
 */
export function searchTaxCategories(q: string): Array<TaxCategory & { rateLabel: string }> {
  const text = q.trim();
  let found: TaxCategory[];
  if (text === "") found = [...TAX_CATEGORIES];
  else if (/^\d+$/.test(text)) found = TAX_CATEGORIES.filter((t) => t.code.startsWith(text));
  else {
    const byShort = TAX_CATEGORIES.filter((t) => t.shortName.includes(text));
    const byName = TAX_CATEGORIES.filter((t) => !t.shortName.includes(text) && t.name.includes(text));
    found = [...byShort, ...byName];
  }
  return found.slice(0, MAX_RESULTS).map((t) => ({ ...t, rateLabel: taxRateLabel(t.rate, null) }));
}

/** The search as the console asks it: any user of the organization may look codes up. */
export function findTaxCategoriesForConsole(options: { actor: Actor; orgId: string; q?: string }) {
  requireOrg(options.actor, options.orgId);
  return searchTaxCategories(options.q ?? "");
}
