import { eq, sql } from "drizzle-orm";
import type { Keyring } from "../../../platform/crypto";
import type { Database, DbOrTx } from "../../../platform/db/client";
import { channelTokens } from "../../../platform/db/schema";

/** A token a channel gave us, as kept: `expiresAt` null when the channel said it does not expire. */
export interface KeptToken {
  token: string;
  expiresAt: Date | null;
}

/**
 * The access tokens channels hand out (诺诺's client_credentials token, 金蝶's access token), kept
 * sealed in `channel_tokens` and shared by every process on the database. A new token is fetched
 * at most once at a time per key across the cluster: in this process callers share one fetch, and
 * on PostgreSQL the fetch runs under a transaction-scoped advisory lock on the key, after reading
 * the row again — a process that waited on the lock finds the token the other one just kept and
 * fetches nothing. (A PGlite database is opened by one process only: its folder is locked.)
 */
export interface ChannelTokenKeeper {
  /** The kept token, or null. */
  read(key: string): Promise<KeptToken | null>;
  /**
   * The kept token if `usable` says so (and it is not `rejected`, the one the channel just refused);
   * otherwise a new one from `fetch`, kept before it is returned.
   */
  obtain(
    key: string,
    channel: string,
    fetch: () => Promise<KeptToken>,
    options: { usable(token: KeptToken): boolean; rejected?: string },
  ): Promise<string>;
  /** Forgets the kept token if it is still `token`. */
  forget(key: string, token: string): Promise<void>;
}

/** How long a token this process read is used without reading the row again. */
const RECENT_MS = 10_000;

export function createChannelTokenKeeper(deps: {
  database: Database;
  keyring: Keyring;
  now?: () => Date;
}): ChannelTokenKeeper {
  const { database, keyring } = deps;
  const now = deps.now ?? (() => new Date());
  const fetching = new Map<string, Promise<string>>();

  async function readWith(db: DbOrTx, key: string): Promise<KeptToken | null> {
    const [row] = await db.select().from(channelTokens).where(eq(channelTokens.key, key));
    return row ? { token: keyring.decrypt(row.tokenCiphertext), expiresAt: row.expiresAt } : null;
  }

  async function fetchAndKeep(
    db: DbOrTx,
    key: string,
    channel: string,
    fetch: () => Promise<KeptToken>,
    options: { usable(token: KeptToken): boolean; rejected?: string },
  ): Promise<string> {
    const kept = await readWith(db, key);
    if (kept && kept.token !== options.rejected && options.usable(kept)) return kept.token;
    const fresh = await fetch();
    const row = {
      key,
      channel,
      tokenCiphertext: keyring.encrypt(fresh.token),
      expiresAt: fresh.expiresAt,
      obtainedAt: now(),
    };
    await db.insert(channelTokens).values(row).onConflictDoUpdate({ target: channelTokens.key, set: row });
    return fresh.token;
  }

  async function obtainOnce(
    key: string,
    channel: string,
    fetch: () => Promise<KeptToken>,
    options: { usable(token: KeptToken): boolean; rejected?: string },
  ): Promise<string> {
    if (database.kind === "pglite") return fetchAndKeep(database.db, key, channel, fetch, options);
    // The lock is held for the fetch (one HTTP call with its deadline): token fetches are rare.
    return database.db.transaction(async (tx) => {
      await tx.execute(
        sql`select pg_advisory_xact_lock(hashtextextended(${`piaoma.channel-token:${key}`}, 0))`,
      );
      return fetchAndKeep(tx, key, channel, fetch, options);
    });
  }

  /**
   * What this process read last per key, reused for `RECENT_MS`: a busy channel path (two calls
   * per invoice) does not read and decrypt the row on every call. A token another process renewed
   * meanwhile is seen at the next read; one the channel refuses comes back as `rejected` and is
   * never served from here again.
   */
  const recent = new Map<string, { kept: KeptToken; at: number }>();
  const readRecent = async (key: string): Promise<KeptToken | null> => {
    const hit = recent.get(key);
    if (hit && Date.now() - hit.at < RECENT_MS) return hit.kept;
    const kept = await readWith(database.db, key);
    if (kept) recent.set(key, { kept, at: Date.now() });
    else recent.delete(key);
    return kept;
  };

  return {
    read: (key) => readWith(database.db, key),

    async obtain(key, channel, fetch, options) {
      let kept = await readRecent(key);
      if (kept && kept.token === options.rejected) {
        recent.delete(key);
        kept = await readRecent(key);
      }
      if (kept && kept.token !== options.rejected && options.usable(kept)) return kept.token;
      recent.delete(key);
      let pending = fetching.get(key);
      if (!pending) {
        pending = obtainOnce(key, channel, fetch, options).finally(() => fetching.delete(key));
        fetching.set(key, pending);
      }
      return pending;
    },

    async forget(key, token) {
      recent.delete(key);
      const kept = await readWith(database.db, key);
      if (kept?.token === token) await database.db.delete(channelTokens).where(eq(channelTokens.key, key));
    },
  };
}
