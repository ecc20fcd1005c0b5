export interface TitleSuggestion {
  name: string;
  taxId: string;
  type: string;
}

/**
 * Where 抬头 suggestions come from: sources outside the organization's own data, such as a lookup in
 * the public company registry (a later adapter implements this interface). None is built in. In
 * particular, titles other buyers invoiced are never offered: a receipt holder typing two characters
 * at a time could otherwise read out the organization's customers and their tax IDs. The consumer
 * page remembers its own buyer on the phone (web/scan/storage.ts), without asking the server.
 */
export interface TitleProvider {
  readonly id: string;
  search(orgId: string, query: string, limit: number): Promise<TitleSuggestion[]>;
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
