import { AppError } from "./errors";

/**
 * Counts failures per key (a client address) in a sliding window and refuses further attempts once
 * a key has failed too often: guessing receipt-code tokens or signatures becomes pointless. Kept in
 * memory, per process — each process bounds guessing on its own, which is what matters at 2^144.
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws RATE_LIMITED while the key is over its budget. */
  check(key: string): void {
    if (this.recent(key).length >= this.maxFailures) {
      throw new AppError("RATE_LIMITED", "请求过于频繁，请稍后再试");
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
