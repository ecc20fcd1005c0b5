export interface TitleSuggestion {
  name: string;
  taxId: string;
  type: string;
  /** Where the service gives them (a registry's 开票信息); absent otherwise. */
  address?: string;
  phone?: string;
  bankName?: string;
  bankAccount?: string;
}

/**
 * Where 抬头 suggestions come from: a company-registry service the organization subscribed to
 * (天眼查, `tianyancha.ts`), chosen per organization in the console with its key (sealed). Without one
 * there is no lookup at all — no request leaves. Titles other buyers invoiced are never offered: a
 * receipt holder typing two characters at a time could otherwise read out the organization's
 * customers and their tax IDs. The consumer page also remembers its own buyer on the phone
 * (web/scan/storage.ts), without asking the server.
 */
export interface TitleProvider {
  readonly id: string;
  search(query: string, limit: number): Promise<TitleSuggestion[]>;
}

/** Builds an organization's provider from its key (the composition root knows the service's URL). */
export type TitleProviderFactory = (key: string) => TitleProvider;

/** Asks each provider in turn until there are enough; one failing provider does not fail the rest. */
export async function searchTitles(
  providers: TitleProvider[],
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
      found = await provider.search(query, limit);
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
