/**
 * The `data` codec of the 金蝶 `sim/openApi` envelope (CHANNELS.md §2.3). The tenant picks it in
 * Kingdee's admin (加密策略):
 * - BASE64: `base64(utf8(json))`;
 * - AES: `base64(iv ‖ AES-128-GCM(key, iv, utf8(json)) ‖ tag)` with a 12-byte random IV and a 16-byte
 *   tag, the key being the first 16 bytes of SHA1(SHA1(password)) — what Java's SHA1PRNG seeded with
 *   the password gives to a 128-bit KeyGenerator. (One SHA-1 only is a known mistake; the published
 *   vector in codec.test.ts catches it.)
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

export type KingdeeEncryption = "base64" | "aes";

const IV_BYTES = 12;
const TAG_BYTES = 16;

export function aesKeyFromPassword(password: string): Buffer {
  const once = createHash("sha1").update(password, "utf8").digest();
  return createHash("sha1").update(once).digest().subarray(0, 16);
}

export interface KingdeeCodec {
  readonly encryption: KingdeeEncryption;
  encode(text: string): string;
  /** Throws KingdeeCodecError when the text is not valid for this codec (bad Base64, wrong key, tag). */
  decode(data: string): string;
}

export class KingdeeCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KingdeeCodecError";
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function fromBase64(data: string): Buffer {
  const compact = data.replace(/\s+/g, "");
  if (!BASE64.test(compact) || compact.length % 4 !== 0)
    throw new KingdeeCodecError("data 不是合法的 Base64");
  return Buffer.from(compact, "base64");
}

function utf8Strict(bytes: Buffer): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new KingdeeCodecError("data 解码后不是 UTF-8 文本");
  }
}

/** `iv` is for tests (a fixed IV reproduces the published vector); leave it out otherwise. */
export function createKingdeeCodec(
  options: { encryption: "base64" } | { encryption: "aes"; password: string; iv?: () => Buffer },
): KingdeeCodec {
  if (options.encryption === "base64") {
    return {
      encryption: "base64",
      encode: (text) => Buffer.from(text, "utf8").toString("base64"),
      decode: (data) => utf8Strict(fromBase64(data)),
    };
  }
  const key = aesKeyFromPassword(options.password);
  const nextIv = options.iv ?? (() => randomBytes(IV_BYTES));
  return {
    encryption: "aes",
    encode(text) {
      const iv = nextIv();
      if (iv.length !== IV_BYTES) throw new Error("AES-GCM IV must be 12 bytes");
      const cipher = createCipheriv("aes-128-gcm", key, iv);
      const body = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
      return Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64");
    },
    decode(data) {
      const bytes = fromBase64(data);
      if (bytes.length < IV_BYTES + TAG_BYTES) throw new KingdeeCodecError("data 太短，不是 AES-GCM 密文");
      const iv = bytes.subarray(0, IV_BYTES);
      const tag = bytes.subarray(bytes.length - TAG_BYTES);
      const decipher = createDecipheriv("aes-128-gcm", key, iv);
      decipher.setAuthTag(tag);
      try {
        const plain = Buffer.concat([
          decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
          decipher.final(),
        ]);
        return utf8Strict(plain);
      } catch (e) {
        if (e instanceof KingdeeCodecError) throw e;
        throw new KingdeeCodecError("AES-GCM 校验失败（密钥不符或数据被改动）");
      }
    },
  };
}
