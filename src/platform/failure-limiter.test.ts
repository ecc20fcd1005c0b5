import { describe, expect, it } from "vitest";
import { FailureLimiter } from "./failure-limiter";

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
});
