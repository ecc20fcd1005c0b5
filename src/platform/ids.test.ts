import { describe, expect, it } from "vitest";
import { newId, newToken } from "./ids";

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
});
