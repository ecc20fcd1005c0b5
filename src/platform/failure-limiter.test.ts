import { describe, expect, it } from "vitest";
import { BackoffThrottle, FailureLimiter } from "./failure-limiter";

describe("FailureLimiter", () => {
  it("refuses a key after its budget of failures and lets it in again when the window has passed", () => {
    let now = 0;
    const limiter = new FailureLimiter(3, 1000, () => now);
    for (let i = 0; i < 3; i++) {
      limiter.check("1.2.3.4");
      limiter.record("1.2.3.4");
    }
    expect(() => limiter.check("1.2.3.4")).toThrow(expect.objectContaining({ code: "RATE_LIMITED" }));
    limiter.check("5.6.7.8");
    now = 1001;
    expect(() => limiter.check("1.2.3.4")).not.toThrow();
  });

  it("says when the key may try again: when its oldest counted event leaves the window", () => {
    let now = 0;
    const limiter = new FailureLimiter(2, 10_000, () => now);
    limiter.record("k");
    now = 4000;
    limiter.record("k");
    now = 5000;
    expect(() => limiter.check("k", "慢一点")).toThrow(
      expect.objectContaining({ message: "慢一点", details: { retryAfterSeconds: 5 } }),
    );
  });
});

describe("BackoffThrottle", () => {
  const throttle = () =>
    new BackoffThrottle({ freeFailures: 2, baseMs: 1000, maxMs: 8000, forgetMs: 60_000 });

  it("lets the first failures through, then doubles the wait up to its ceiling", () => {
    const t = throttle();
    t.fail("k", 0);
    expect(t.waitMs("k", 0)).toBe(0);
    t.fail("k", 0);
    expect(t.waitMs("k", 0)).toBe(1000);
    expect(t.waitMs("k", 400)).toBe(600);
    t.fail("k", 1000);
    expect(t.waitMs("k", 1000)).toBe(2000);
    t.fail("k", 3000);
    t.fail("k", 7000);
    t.fail("k", 15_000);
    expect(t.waitMs("k", 15_000)).toBe(8000);
    expect(t.waitMs("other", 15_000)).toBe(0);
  });

  it("forgets a key after a quiet spell, and on reset", () => {
    const t = throttle();
    for (let i = 0; i < 4; i++) t.fail("k", 0);
    expect(t.waitMs("k", 60_001)).toBe(0);
    t.fail("k", 60_001);
    expect(t.waitMs("k", 60_001)).toBe(0);
    for (let i = 0; i < 4; i++) t.fail("j", 0);
    t.reset("j");
    expect(t.waitMs("j", 0)).toBe(0);
  });

  it("keeps at most its number of keys, dropping the least recently failed", () => {
    const t = new BackoffThrottle({ freeFailures: 0, baseMs: 1000, maxMs: 1000, forgetMs: 60_000 }, 10);
    for (let i = 0; i < 11; i++) t.fail(`k${i}`, 0);
    expect(t.waitMs("k0", 0)).toBe(0);
    expect(t.waitMs("k10", 0)).toBe(1000);
  });
});
