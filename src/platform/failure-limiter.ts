import { AppError, type ErrorCode } from "./errors";
import type { HttpServer } from "./http";

/** A 429 RATE_LIMITED saying when to try again (the HTTP layer turns it into `Retry-After`). */
export function rateLimited(message: string, retryAfterMs: number): AppError {
  return new AppError("RATE_LIMITED", message, {
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
  });
}

/**
 * Counts events per key (a client address) in a sliding window and refuses further attempts once a
 * key has had too many: guessing receipt-code tokens, or resending from one address. Kept in
 * memory, per process — each process bounds a client on its own (with N processes behind a load
 * balancer a client gets at most N times the budget), which is what matters for these limits.
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws RATE_LIMITED, with the wait until the oldest counted event leaves the window, while over budget. */
  check(key: string, message = "请求过于频繁，请稍后再试"): void {
    const list = this.recent(key);
    if (list.length >= this.maxFailures) {
      const oldest = list[list.length - this.maxFailures] ?? this.now();
      throw rateLimited(message, oldest + this.windowMs - this.now());
    }
  }

  record(key: string): void {
    const list = this.recent(key);
    list.push(this.now());
    this.failures.set(key, list);
    // Bound memory under a flood of distinct addresses.
    if (this.failures.size > 50_000) this.sweep();
  }

  private recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(key);
    return list;
  }

  private sweep(): void {
    for (const key of [...this.failures.keys()]) this.recent(key);
  }
}

/** Someone trying tokens gets a few dozen misses per 10 minutes, then 429s. */
export const TOKEN_MISSES_PER_WINDOW = 30;
export const TOKEN_MISS_WINDOW_MS = 10 * 60_000;

/**
 * Token guessing in a scope: each client address may answer `limiter`'s budget of unknown tokens
 * (errors with one of `missCodes`), then every request of the scope gets 429 RATE_LIMITED until
 * the oldest miss leaves the window. The consumer's scopes (`/api/scan`, `/api/store`, `/api/pending`).
 */
export function limitTokenGuesses(scope: HttpServer, limiter: FailureLimiter, missCodes: ErrorCode[]): void {
  // A plain callback, not an async function: no promise per request.
  scope.addHook("onRequest", (req, _reply, done) => {
    try {
      limiter.check(req.ip);
    } catch (e) {
      done(e as Error);
      return;
    }
    done();
  });
  scope.addHook("onError", async (req, _reply, error) => {
    if (missCodes.includes((error as AppError).code)) limiter.record(req.ip);
  });
}

/**
 * Exponential backoff per key, for attempts that may fail (logins): the first `freeFailures`
 * failures cost nothing, each further one doubles the wait before the next attempt (from `baseMs`
 * up to `maxMs`); a key quiet for `forgetMs` starts over. Memory per process, bounded.
 */
export class BackoffThrottle {
  private readonly state = new Map<string, { failures: number; lastAt: number }>();

  constructor(
    private readonly options: { freeFailures: number; baseMs: number; maxMs: number; forgetMs: number },
    private readonly maxKeys = 100_000,
  ) {}

  /** How long the key must still wait before its next attempt (0: it may try now). */
  waitMs(key: string, now: number): number {
    const s = this.current(key, now);
    if (!s || s.failures < this.options.freeFailures) return 0;
    const delay = Math.min(
      this.options.maxMs,
      this.options.baseMs * 2 ** (s.failures - this.options.freeFailures),
    );
    return Math.max(0, s.lastAt + delay - now);
  }

  fail(key: string, now: number): void {
    const s = this.current(key, now);
    this.state.delete(key); // re-inserted last: the map's order is the order of last use
    this.state.set(key, { failures: (s?.failures ?? 0) + 1, lastAt: now });
    if (this.state.size > this.maxKeys) {
      // The least recently failed keys go first; they are the nearest to being forgotten anyway.
      for (const k of this.state.keys()) {
        this.state.delete(k);
        if (this.state.size <= this.maxKeys * 0.9) break;
      }
    }
  }

  reset(key: string): void {
    this.state.delete(key);
  }

  private current(key: string, now: number) {
    const s = this.state.get(key);
    if (s && now - s.lastAt > this.options.forgetMs) {
      this.state.delete(key);
      return undefined;
    }
    return s;
  }
}
