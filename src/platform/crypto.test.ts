import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  hashPassword,
  hmacSha256Hex,
  Keyring,
  loadOrCreateMasterSecret,
  safeEqual,
  verifyPassword,
} from "./crypto";

describe("Keyring", () => {
  const keyring = new Keyring("a-master-secret-of-sufficient-length-123");

  it("encrypts so that only the same master secret decrypts", () => {
    const sealed = keyring.encrypt("app-secret-值");
    expect(sealed).not.toContain("app-secret");
    expect(keyring.decrypt(sealed)).toBe("app-secret-值");
    expect(keyring.encrypt("app-secret-值")).not.toBe(sealed);
    expect(() => new Keyring("another-master-secret-of-sufficient-len").decrypt(sealed)).toThrow();
  });

  it("detects a tampered ciphertext", () => {
    const raw = Buffer.from(keyring.encrypt("secret"), "base64");
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    expect(() => keyring.decrypt(raw.toString("base64"))).toThrow();
  });

  it("signs links verifiably and rejects a changed payload", () => {
    const sig = keyring.signLink("inv_1|pdf|1700000000");
    expect(keyring.verifyLink("inv_1|pdf|1700000000", sig)).toBe(true);
    expect(keyring.verifyLink("inv_1|pdf|1700003600", sig)).toBe(false);
  });
});

describe("master secret", () => {
  it("prefers the configured one, otherwise creates one file (0600) and reuses it", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-secret-"));
    expect(loadOrCreateMasterSecret("configured".repeat(4), dir)).toBe("configured".repeat(4));
    const created = loadOrCreateMasterSecret(undefined, dir);
    expect(created).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.statSync(path.join(dir, "secret.key")).mode & 0o777).toBe(0o600);
    expect(loadOrCreateMasterSecret(undefined, dir)).toBe(created);
    fs.rmSync(dir, { recursive: true });
  });
});

describe("passwords", () => {
  it("hashes with a salt and verifies only the right password", async () => {
    const a = await hashPassword("correct horse");
    const b = await hashPassword("correct horse");
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword("correct horse", a)).toBe(true);
    expect(await verifyPassword("correct horsE", a)).toBe(false);
    expect(await verifyPassword("x", "plain-text")).toBe(false);
  });
});

describe("HMAC helpers", () => {
  it("computes the RFC 4231 test vector", () => {
    // RFC 4231 test case 2.
    expect(hmacSha256Hex("Jefe", "what do ya want for nothing?")).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });

  it("compares in constant time and handles different lengths", () => {
    expect(safeEqual("abc", "abc")).toBe(true);
    expect(safeEqual("abc", "abd")).toBe(false);
    expect(safeEqual("abc", "abcd")).toBe(false);
  });
});
