import { isIPv6 } from "node:net";
import type { AppContext } from "../../context";
import { rateLimited } from "../../platform/failure-limiter";

/**
 * The guessing budget of typed 开票码 (DOMAIN-NOTES.md "Guessing, the arithmetic"): each client may
 * miss `perDay` codes per China day — in `/api/scan/lookup`, in 合并开票's preview and in a merged
 * submit — then every typed code is refused with 429 until the next day, a right one included (else
 * the budget would bound nothing). Counted in the database (`typed_code_misses`), so a client
 * behind a load balancer meets one budget however many processes answer it. A client is its IPv4
 * address, or its IPv6 /64: one subscriber is given a whole /64, and counting its addresses one by
 * one would give a guesser 2⁶⁴ budgets.
 */

type MissesContext = Pick<AppContext, "database">;

export const TYPED_MISSES_MESSAGE = "开票码输错次数过多，请明天再试，或扫描小票上的二维码";

/** The key a client address is counted under. */
export function missKeyOf(ip: string): string {
  const address = ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip;
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(":")}::/64`;
}

function expandIPv6(address: string): string[] {
  const [head = "", tail] = address.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill("0"), ...right].map((g) =>
    g.toLowerCase().replace(/^0+(?=.)/, ""),
  );
}

const TODAY = `to_char(now() at time zone 'Asia/Shanghai', 'YYYY-MM-DD')`;
/** Seconds until the next China midnight, when the budget starts again. */
const UNTIL_TOMORROW = `ceil(extract(epoch from (date_trunc('day', now() at time zone 'Asia/Shanghai') + interval '1 day') - (now() at time zone 'Asia/Shanghai')))::int`;

/** Throws 429 RATE_LIMITED when the client has used today's budget. */
export async function checkTypedMisses(ctx: MissesContext, ip: string, perDay: number): Promise<void> {
  const { rows } = await ctx.database.executeSql(
    `select coalesce((select misses from typed_code_misses where address = $1 and day = ${TODAY}), 0) as misses,
       ${UNTIL_TOMORROW} as wait`,
    [missKeyOf(ip)],
  );
  const row = rows[0] as { misses: number; wait: number };
  if (Number(row.misses) >= perDay) throw rateLimited(TYPED_MISSES_MESSAGE, Number(row.wait) * 1000);
}

/** Counts one miss of the client today. */
export async function recordTypedMiss(ctx: MissesContext, ip: string): Promise<void> {
  await ctx.database.executeSql(
    `insert into typed_code_misses (address, day, misses) values ($1, ${TODAY}, 1)
     on conflict (address, day) do update set misses = typed_code_misses.misses + 1`,
    [missKeyOf(ip)],
  );
}

export const TYPED_MISSES_CLEANUP_QUEUE = "typed-code-misses-cleanup";
/** Once an hour (UTC cron). */
export const TYPED_MISSES_CLEANUP_CRON = "17 * * * *";

/** Deletes the counts of days before yesterday (China); returns how many rows went. */
export async function deleteOldTypedMisses(ctx: MissesContext): Promise<number> {
  const { rows } = await ctx.database.executeSql(
    `with gone as (delete from typed_code_misses
       where day < to_char(now() at time zone 'Asia/Shanghai' - interval '1 day', 'YYYY-MM-DD') returning 1)
     select count(*)::int as n from gone`,
  );
  return Number((rows[0] as { n: number }).n);
}
