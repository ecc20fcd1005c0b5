import { and, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../../../platform/db/client";
import { receiptCodes, submissions } from "../../../platform/db/schema";

export interface TitleSuggestion {
  name: string;
  taxId: string;
  type: string;
}

/**
 * Where 抬头 suggestions come from. The built-in `history` provider offers titles this organization
 * invoiced before; an adapter for an external company-lookup service implements the same interface
 * and is added after it (its answers are merged, history first, duplicates dropped).
 */
export interface TitleProvider {
  readonly id: string;
  search(orgId: string, query: string, limit: number): Promise<TitleSuggestion[]>;
}

/** Companies and institutions only: a person's name and ID number are never suggested to others. */
export function createHistoryTitleProvider(database: Database): TitleProvider {
  return {
    id: "history",
    search: async (orgId, query, limit) =>
      database.db
        .selectDistinctOn([submissions.buyerName, submissions.buyerTaxId], {
          name: submissions.buyerName,
          taxId: submissions.buyerTaxId,
          type: submissions.buyerType,
        })
        .from(submissions)
        .innerJoin(receiptCodes, eq(receiptCodes.id, submissions.receiptCodeId))
        .where(
          and(
            eq(receiptCodes.orgId, orgId),
            inArray(submissions.buyerType, ["enterprise", "non_enterprise"]),
            sql`strpos(lower(${submissions.buyerName}), ${query.toLowerCase()}) > 0`,
          ),
        )
        .limit(limit),
  };
}

/** Asks each provider in turn until there are enough; one failing provider does not fail the rest. */
export async function searchTitles(
  providers: TitleProvider[],
  orgId: string,
  query: string,
  limit = 10,
  onError: (provider: string, e: unknown) => void = () => {},
): Promise<TitleSuggestion[]> {
  const out: TitleSuggestion[] = [];
  const seen = new Set<string>();
  for (const provider of providers) {
    if (out.length >= limit) break;
    let found: TitleSuggestion[] = [];
    try {
      found = await provider.search(orgId, query, limit);
    } catch (e) {
      onError(provider.id, e);
    }
    for (const t of found) {
      const key = `${t.name}\u0000${t.taxId}`;
      if (seen.has(key) || out.length >= limit) continue;
      seen.add(key);
      out.push(t);
    }
  }
  return out;
}
