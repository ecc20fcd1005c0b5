import type { AppContext } from "../../context";

/**
 * Background work of the open API: clearing expired nonces (open_api_nonces). A signed request
 * only inserts its nonce (open-api.auth.ts); the rows it leaves behind are deleted here, once a
 * minute, by whichever worker process takes the job.
 */

export const NONCE_CLEANUP_QUEUE = "open-api-nonce-cleanup";
/** Every minute (UTC cron): the table holds about ten minutes of requests plus one. */
export const NONCE_CLEANUP_CRON = "* * * * *";

/**
 * Nonces are deleted this long after their expiry, not at once: the processes that accept
 * requests and the one that cleans may disagree on the time by a little, and a nonce must never
 * disappear while some process could still accept its timestamp.
 */
export const NONCE_CLEANUP_GRACE_MS = 5 * 60_000;
const BATCH = 5000;

/**
 * Deletes the nonces that expired before `now` minus the grace, in batches (a backlog after a long
 * stop of the workers does not become one huge statement). Safe to run in several processes at
 * once: each row is deleted by whichever gets it first. Returns how many rows this call deleted.
 */
export async function deleteExpiredNonces(
  ctx: Pick<AppContext, "database">,
  now: Date = new Date(),
): Promise<number> {
  const before = new Date(now.getTime() - NONCE_CLEANUP_GRACE_MS).toISOString();
  let deleted = 0;
  for (;;) {
    const { rows } = await ctx.database.executeSql(
      `with gone as (
         delete from open_api_nonces
         where (app_key, nonce) in (
           select app_key, nonce from open_api_nonces where expires_at < $1 limit ${BATCH})
         returning 1)
       select count(*)::int as n from gone`,
      [before],
    );
    const n = (rows[0] as { n: number }).n;
    deleted += n;
    if (n < BATCH) return deleted;
  }
}
