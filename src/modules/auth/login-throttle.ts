import { BackoffThrottle } from "../../platform/failure-limiter";

/**
 * Slows password guessing before the hard lock (MAX_FAILED_LOGINS → LOCK_MINUTES) and across
 * accounts: per client address (spraying one password over many usernames) and per username
 * (whether or not it exists, so the throttle itself says nothing about which accounts exist).
 * A few failures are free (typos); each further one doubles the wait, up to 15 minutes, and a key
 * quiet for an hour starts over.
 *
 * Kept in memory, per process: with several processes on one PostgreSQL a client gets up to N
 * times the free failures, which still turns unlimited guessing into a handful per quarter hour.
 * The lock that protects one account is in the database (users.locked_until) and holds across
 * processes; keeping the throttle there too would cost a write per failed attempt for every
 * address and every name typed, unknown ones included.
 */
export interface LoginThrottle {
  address: BackoffThrottle;
  username: BackoffThrottle;
}

const HOUR_MS = 3600_000;
const MAX_WAIT_MS = 15 * 60_000;

export function createLoginThrottle(): LoginThrottle {
  return {
    // An office behind one address may mistype a few times between them.
    address: new BackoffThrottle({ freeFailures: 10, baseMs: 1000, maxMs: MAX_WAIT_MS, forgetMs: HOUR_MS }),
    username: new BackoffThrottle({ freeFailures: 3, baseMs: 2000, maxMs: MAX_WAIT_MS, forgetMs: HOUR_MS }),
  };
}
