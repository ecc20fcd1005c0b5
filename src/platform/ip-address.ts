/**
 * Which IP addresses a merchant-set URL may reach: only global unicast ones. Rather than listing what
 * is internal (and missing a spelling), an address is allowed only when it is positively global:
 *
 * - IPv4 outside every special-purpose range (RFC 6890 and its updates: "this network", private,
 *   shared, loopback, link-local, IETF protocol assignments, documentation, 6to4 relay, benchmarking,
 *   multicast, reserved, broadcast);
 * - IPv6 inside 2000::/3 (global unicast) and outside its special ranges: the IETF protocol
 *   assignments 2001::/23 (Teredo, benchmarking, ORCHID …), documentation (2001:db8::/32, 3fff::/20)
 *   and 6to4 (2002::/16 — it tunnels to whatever IPv4 it embeds, so it is refused outright);
 * - IPv6 forms that carry an IPv4 address — mapped (::ffff:a.b.c.d), compatible (::a.b.c.d) and the
 *   NAT64 well-known prefix (64:ff9b::/96) — judged by the IPv4 address they carry, whatever their
 *   spelling (hex groups, dotted tail, compressed or not, zero-padded groups, upper case).
 *
 * Anything that does not parse as an address is not allowed. Pure: no DNS, no I/O.
 */

const IPV4_SPECIAL: Array<[string, number]> = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4], // includes 255.255.255.255
];

const IPV6_SPECIAL: Array<[string, number]> = [
  ["2001::", 23],
  ["2001:db8::", 32],
  ["2002::", 16],
  ["3fff::", 20],
];

const v4Ranges = IPV4_SPECIAL.map(([a, bits]) => [parseIPv4(a)!, bits] as const);
const v6Ranges = IPV6_SPECIAL.map(([a, bits]) => [parseIPv6(a)!, bits] as const);
const MAPPED = parseIPv6("::ffff:0:0")!;
const NAT64 = parseIPv6("64:ff9b::")!;
const GLOBAL_UNICAST = parseIPv6("2000::")!;

/** True only for a global unicast address (see above); false for anything else or not an address. */
export function isGlobalUnicast(address: string): boolean {
  const v4 = parseIPv4(address);
  if (v4) return isGlobalV4(v4);
  const v6 = parseIPv6(address);
  return v6 !== null && isGlobalV6(v6);
}

function isGlobalV4(bytes: Uint8Array): boolean {
  return !v4Ranges.some(([range, bits]) => inPrefix(bytes, range, bits));
}

function isGlobalV6(bytes: Uint8Array): boolean {
  const embedded = bytes.subarray(12);
  if (
    inPrefix(bytes, MAPPED, 96) ||
    inPrefix(bytes, NAT64, 96) ||
    bytes.subarray(0, 12).every((b) => b === 0)
  )
    return isGlobalV4(embedded);
  if (!inPrefix(bytes, GLOBAL_UNICAST, 3)) return false;
  return !v6Ranges.some(([range, bits]) => inPrefix(bytes, range, bits));
}

function inPrefix(bytes: Uint8Array, prefix: Uint8Array, bits: number): boolean {
  for (let i = 0; i < bits; i++) {
    const mask = 0x80 >> (i % 8);
    if ((bytes[i >> 3]! & mask) !== (prefix[i >> 3]! & mask)) return false;
  }
  return true;
}

/**
 * Four decimal parts 0–255, without leading zeros: "010.0.0.1" is octal to some resolvers and
 * decimal to others, so such spellings are not addresses here (and therefore not allowed).
 */
export function parseIPv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return null;
    bytes[i] = Number(part);
  }
  return bytes;
}

/**
 * Any textual IPv6 address (RFC 4291 §2.2): eight groups of 1–4 hex digits, one `::`, an IPv4 tail;
 * with or without brackets and a zone (`%eth0`, ignored: it does not change what the address is).
 */
export function parseIPv6(text: string): Uint8Array | null {
  let s = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return null;
  let tail: Uint8Array | null = null;
  const lastColon = s.lastIndexOf(":");
  if (lastColon < 0) return null;
  if (s.includes(".")) {
    tail = parseIPv4(s.slice(lastColon + 1));
    if (!tail) return null;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string) => (half === "" ? [] : half.split(":"));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const group = all[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    const value = Number.parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  }
  if (tail) bytes.set(tail, 12);
  return bytes;
}
