import { describe, expect, it } from "vitest";
import { newNonce, newSenid, nuonuoSign, signedText } from "./signing";
import { NUONUO_SIGNING_VECTORS as VECTORS } from "./signing.vectors";

describe("诺诺 signing", () => {
  it.each(VECTORS.map((v, i) => [i + 1, v] as const))("reproduces published vector %i", (_n, v) => {
    expect(nuonuoSign({ path: "/open/v1/services", ...v })).toBe(v.sign);
  });

  it("builds the signed text from the path parts in a / l / p order", () => {
    expect(
      signedText({
        path: "/open/v1/services",
        appKey: "k",
        senid: "i",
        nonce: "1",
        timestamp: "2",
        body: "{}",
      }),
    ).toBe("a=services&l=v1&p=open&k=k&i=i&n=1&t=2&f={}");
  });

  it("a changed byte of the body changes the signature", () => {
    const v = VECTORS[2]!;
    expect(nuonuoSign({ path: "/open/v1/services", ...v, body: '{"name": "中文"}' })).not.toBe(v.sign);
  });

  it("makes 32-character senids and 8-digit nonces", () => {
    expect(newSenid()).toMatch(/^[0-9a-f]{32}$/);
    expect(newNonce()).toMatch(/^[1-9]\d{7}$/);
  });
});
