import { aesKeyFromPassword, createKingdeeCodec } from "./codec";
import { JsonDecimal, writeJson } from "./json";

/** CHANNELS.md §2.3: the vector computed from Kingdee's Java key derivation (SHA1PRNG). */
export const KINGDEE_AES_VECTOR = {
  password: "synthetic-key",
  key: "QRV4pRsmj5Vcn3z+fM22Qg==",
  plaintext: '{"amount":0.10,"name":"测试"}',
  data: "AAECAwQFBgcICQoLGuEesMoFwoz9IFDkmSlYGGeiA1vuby/hOAw8dtO2rM5e+94T5SmL/UCVK3JkYOo=",
};

/** The vector's IV: bytes 0..11. */
export const ivZeroToEleven = () => Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);

/** The §2.3 vector as this adapter's codec computes it (the shared §7.6 item 10). */
export function kingdeeVectorsAsEncoded(): Array<{ name: string; expected: string; actual: string }> {
  const v = KINGDEE_AES_VECTOR;
  const codec = createKingdeeCodec({ encryption: "aes", password: v.password, iv: ivZeroToEleven });
  const plaintext = writeJson({ amount: new JsonDecimal("0.10"), name: "测试" });
  return [
    { name: "§2.3 key", expected: v.key, actual: aesKeyFromPassword(v.password).toString("base64") },
    { name: "§2.3 plaintext", expected: v.plaintext, actual: plaintext },
    { name: "§2.3 data", expected: v.data, actual: codec.encode(plaintext) },
    {
      name: "§2.3 decoded",
      expected: v.plaintext,
      actual: createKingdeeCodec({ encryption: "aes", password: v.password }).decode(v.data),
    },
  ];
}
