import net from "node:net";
import { describe, expect, it } from "vitest";
import { isGlobalUnicast, parseIPv6 } from "./ip-address";

/** [address, why it is refused] — every way we know to spell a non-global target. */
const REFUSED: Array<[string, string]> = [
  ["127.0.0.1", "loopback"],
  ["127.255.255.254", "loopback"],
  ["0.0.0.0", "this network"],
  ["0.1.2.3", "this network"],
  ["10.1.2.3", "private"],
  ["100.64.0.1", "shared (CGNAT)"],
  ["100.127.255.255", "shared (CGNAT)"],
  ["169.254.169.254", "link-local (cloud metadata)"],
  ["172.16.0.1", "private"],
  ["172.31.255.255", "private"],
  ["192.0.0.8", "IETF protocol assignments"],
  ["192.0.2.1", "documentation"],
  ["192.88.99.1", "6to4 relay anycast"],
  ["192.168.1.1", "private"],
  ["198.18.0.1", "benchmarking"],
  ["198.19.255.255", "benchmarking"],
  ["198.51.100.7", "documentation"],
  ["203.0.113.9", "documentation"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast"],
  ["240.0.0.1", "reserved"],
  ["255.255.255.255", "broadcast"],
  ["::", "unspecified"],
  ["::1", "loopback"],
  ["0:0:0:0:0:0:0:1", "loopback, uncompressed"],
  ["0000:0000:0000:0000:0000:0000:0000:0001", "loopback, zero-padded"],
  ["[::1]", "loopback in brackets"],
  ["::ffff:127.0.0.1", "IPv4-mapped loopback"],
  ["::ffff:7f00:1", "IPv4-mapped loopback in hex (as URL writes it)"],
  ["::FFFF:7F00:0001", "IPv4-mapped loopback, upper case"],
  ["0:0:0:0:0:ffff:7f00:1", "IPv4-mapped loopback, uncompressed"],
  ["0000:0000:0000:0000:0000:FFFF:127.0.0.1", "IPv4-mapped loopback, padded with dotted tail"],
  ["::ffff:10.0.0.1", "IPv4-mapped private"],
  ["::ffff:a9fe:a9fe", "IPv4-mapped metadata address"],
  ["::127.0.0.1", "IPv4-compatible loopback"],
  ["::7f00:1", "IPv4-compatible loopback in hex"],
  ["::ffff:0:127.0.0.1", "IPv4-translated loopback (::ffff:0:0:0/96)"],
  ["::ffff:0:7f00:1", "IPv4-translated loopback in hex"],
  ["::ffff:0:808:808", "IPv4-translated, not global unicast"],
  ["64:ff9b::7f00:1", "NAT64 of loopback"],
  ["64:ff9b::127.0.0.1", "NAT64 of loopback, dotted"],
  ["64:ff9b::a00:1", "NAT64 of private"],
  ["64:ff9b:1::808:808", "NAT64 local-use prefix"],
  ["2002:7f00:1::", "6to4 of loopback"],
  ["2002:808:808::1", "6to4, refused whatever it embeds"],
  ["2001::1", "Teredo"],
  ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"],
  ["2001:2::1", "benchmarking"],
  ["2001:10::1", "ORCHID"],
  ["2001:20::1", "ORCHIDv2"],
  ["2001:1ff:ffff::1", "end of the IETF protocol assignments"],
  ["2001:db8::1", "documentation"],
  ["2001:DB8:0:0:0:0:0:1", "documentation, upper case"],
  ["3fff::1", "documentation (RFC 9637)"],
  ["fc00::1", "unique local"],
  ["fd12:3456::1", "unique local"],
  ["fe80::1", "link-local"],
  ["fe80::1%eth0", "link-local with a zone"],
  ["fec0::1", "site-local (deprecated)"],
  ["ff02::1", "multicast"],
  ["100::1", "discard"],
  ["::ffff:0:0", "IPv4-mapped 0.0.0.0"],
  ["4000::1", "outside 2000::/3"],
  ["localhost", "not an address"],
  ["", "not an address"],
  ["1.2.3", "not an address"],
  ["01.2.3.4", "ambiguous leading zero"],
  ["1.2.3.256", "not an address"],
  ["0x7f.0.0.1", "not an address"],
  ["1:2:3:4:5:6:7:8:9", "nine groups"],
  ["1::2:3:4:5:6:7:8", "eight groups and ::"],
  ["12345::1", "a five-digit group"],
  ["::1::", "two ::"],
  ["::ffff:1.2.3", "short dotted tail"],
];

const ALLOWED = [
  "8.8.8.8",
  "1.1.1.1",
  "93.184.216.34",
  "100.63.255.255",
  "100.128.0.0",
  "172.15.255.255",
  "172.32.0.0",
  "192.0.1.1",
  "192.88.98.255",
  "198.17.255.255",
  "198.20.0.0",
  "223.255.255.255",
  "2606:4700:4700::1111",
  "2400:3200::1",
  "2001:4860:4860::8888",
  "2001:200::1",
  "2a00:1450:4001:80b::200e",
  "2409:8c00:0000:0000:0000:0000:0000:0001",
  "::ffff:8.8.8.8",
  "::ffff:808:808",
  "0:0:0:0:0:FFFF:0808:0808",
  "::8.8.8.8",
  "64:ff9b::8.8.8.8",
  "64:ff9b::808:808",
];

describe("isGlobalUnicast", () => {
  it.each(REFUSED)("refuses %s (%s)", (address) => {
    expect(isGlobalUnicast(address)).toBe(false);
  });

  it.each(ALLOWED)("allows %s", (address) => {
    expect(isGlobalUnicast(address)).toBe(true);
  });

  it("reads every IPv6 spelling as the address Node reads", () => {
    const spellings = REFUSED.map(([a]) => a)
      .concat(ALLOWED)
      .filter((a) => net.isIPv6(a));
    expect(spellings.length).toBeGreaterThan(40);
    for (const a of spellings) {
      const ours = Buffer.from(parseIPv6(a)!).toString("hex");
      const list = new net.BlockList();
      list.addAddress(a, "ipv6");
      // The same 128 bits: Node's own parser agrees that this spelling is exactly that address.
      const canonical = ours.match(/.{4}/g)!.join(":");
      expect(list.check(canonical, "ipv6"), a).toBe(true);
    }
  });
});
