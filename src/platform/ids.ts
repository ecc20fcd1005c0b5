import { randomFillSync, randomInt } from "node:crypto";
import { SHORT_CODE_ALPHABET, SHORT_CODE_LENGTH } from "../domain/short-code";

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

/** Random bytes are drawn 4 KiB at a time: one call into node:crypto per few hundred ids. */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/**
 * `n` bytes from node:crypto's CSPRNG, as randomBytes(n) gives them, taken from a pool (as Node's
 * own randomUUID does): each byte is handed out once, and a used-up pool is replaced, never
 * refilled in place, so a returned buffer never changes.
 */
export function randomBytesPooled(n: number): Buffer {
  if (n > POOL_BYTES) return randomFillSync(Buffer.alloc(n));
  if (poolOffset + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}

/**
 * Time-ordered ids: `prefix_` + 10 characters of millisecond time + 16 of randomness (80 bits),
 * Crockford base32. Sorting by id sorts by creation, which keeps B-tree inserts local.
 */
export function newId(prefix: string): string {
  let time = Date.now();
  let head = "";
  for (let i = 0; i < 10; i++) {
    head = CROCKFORD[time % 32] + head;
    time = Math.floor(time / 32);
  }
  return `${prefix}_${head}${base32(randomBytesPooled(10))}`;
}

/** An unguessable token: 144 random bits, base64url (24 characters). */
export function newToken(): string {
  return randomBytesPooled(18).toString("base64url");
}

function base32(bytes: Buffer): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += CROCKFORD[(value << (5 - bits)) & 31];
  return out;
}

/** A 开票码 (src/domain/short-code.ts): each character drawn uniformly with node:crypto. */
export function newShortCode(): string {
  let out = "";
  for (let i = 0; i < SHORT_CODE_LENGTH; i++)
    out += SHORT_CODE_ALPHABET[randomInt(SHORT_CODE_ALPHABET.length)];
  return out;
}
