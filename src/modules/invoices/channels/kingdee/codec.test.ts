import { describe, expect, it } from "vitest";
import { aesKeyFromPassword, createKingdeeCodec, KingdeeCodecError } from "./codec";
import { ivZeroToEleven, KINGDEE_AES_VECTOR as VECTOR } from "./codec.vectors";
import { JsonDecimal, writeJson } from "./json";

describe("kingdee codec", () => {
  it("derives the AES key as SHA1(SHA1(password))[0..16], not a single SHA-1", () => {
    expect(aesKeyFromPassword(VECTOR.password).toString("base64")).toBe(VECTOR.key);
  });

  it("reproduces the published AES-128-GCM vector byte for byte, and decodes it", () => {
    const codec = createKingdeeCodec({ encryption: "aes", password: VECTOR.password, iv: ivZeroToEleven });
    const plaintext = writeJson({ amount: new JsonDecimal("0.10"), name: "测试" });
    expect(plaintext).toBe(VECTOR.plaintext);
    expect(codec.encode(plaintext)).toBe(VECTOR.data);
    expect(createKingdeeCodec({ encryption: "aes", password: VECTOR.password }).decode(VECTOR.data)).toBe(
      VECTOR.plaintext,
    );
  });

  it("uses a fresh IV per message by default", () => {
    const codec = createKingdeeCodec({ encryption: "aes", password: "p" });
    const a = codec.encode("{}");
    const b = codec.encode("{}");
    expect(a).not.toBe(b);
    expect(codec.decode(a)).toBe("{}");
  });

  it("refuses a wrong password, a changed byte and a short message", () => {
    const wrong = createKingdeeCodec({ encryption: "aes", password: "other-key" });
    expect(() => wrong.decode(VECTOR.data)).toThrow(KingdeeCodecError);
    const bytes = Buffer.from(VECTOR.data, "base64");
    bytes[14] = (bytes[14] ?? 0) ^ 1;
    const right = createKingdeeCodec({ encryption: "aes", password: VECTOR.password });
    expect(() => right.decode(bytes.toString("base64"))).toThrow(/校验失败/);
    expect(() => right.decode("AAEC")).toThrow(/太短/);
  });

  it("BASE64 round-trips with decimal-exact numbers (0.10 stays 0.10)", () => {
    const codec = createKingdeeCodec({ encryption: "base64" });
    const text = writeJson({
      amount: new JsonDecimal("0.10"),
      price: new JsonDecimal("12.34567890"),
      n: "测试",
    });
    expect(text).toBe('{"amount":0.10,"price":12.34567890,"n":"测试"}');
    const data = codec.encode(text);
    expect(data).toBe(Buffer.from(text, "utf8").toString("base64"));
    expect(codec.decode(data)).toBe(text);
    expect(() => codec.decode("not base64!")).toThrow(KingdeeCodecError);
    expect(() => codec.decode(Buffer.from([0xff, 0xfe]).toString("base64"))).toThrow(/UTF-8/);
  });

  it("writes JSON compactly and leaves undefined members out", () => {
    expect(writeJson({ a: undefined, b: [null, true, 'x"y'], c: { d: new JsonDecimal("-1.5") } })).toBe(
      '{"b":[null,true,"x\\"y"],"c":{"d":-1.5}}',
    );
    expect(() => new JsonDecimal("1e5")).toThrow();
  });
});
