import { describe, expect, it } from "vitest";
import { newId, newToken, randomBytesPooled } from "./ids";

describe("ids and tokens", () => {
  it("makes receipt-code tokens of 144 random bits, URL-safe, never repeated", () => {
    const tokens = new Set(Array.from({ length: 10_000 }, newToken));
    expect(tokens.size).toBe(10_000);
    for (const t of [...tokens].slice(0, 100)) {
      expect(t).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(Buffer.from(t, "base64url")).toHaveLength(18);
    }
  });

  it("makes prefixed ids that sort by creation time", async () => {
    const a = newId("inv");
    await new Promise((r) => setTimeout(r, 2));
    const b = newId("inv");
    expect(a).toMatch(/^inv_[0-9a-z]{26}$/);
    expect(a < b).toBe(true);
  });

  it("hands out pooled random bytes once each, across pool refills, and never changes them after", () => {
    const taken = Array.from({ length: 2000 }, () => randomBytesPooled(10)); // ~5 pools of 4 KiB
    const copies = taken.map((b) => Buffer.from(b));
    randomBytesPooled(4096); // more than a pool: drawn on its own
    for (let i = 0; i < 1000; i++) randomBytesPooled(18);
    expect(taken.map((b) => b.toString("hex"))).toEqual(copies.map((b) => b.toString("hex")));
    expect(new Set(copies.map((b) => b.toString("hex"))).size).toBe(2000);
    expect(randomBytesPooled(5000)).toHaveLength(5000);
    // Not all zero, not repeating: the bytes are random (2000 × 80 bits, roughly half of them set).
    const ones = copies.reduce(
      (sum, b) => sum + [...b].reduce((s, x) => s + x.toString(2).split("1").length - 1, 0),
      0,
    );
    expect(ones).toBeGreaterThan(2000 * 80 * 0.45);
    expect(ones).toBeLessThan(2000 * 80 * 0.55);
  });
});
