import { describe, expect, it } from "vitest";
import { chinaDate, chinaDateCompact, chinaDateIso } from "./china-time";
import {
  isInvoiceNumber,
  parseInvoiceNumber,
  sandboxInvoiceNumber,
  sandboxSequenceKey,
} from "./invoice-number";

describe("China time (UTC+8)", () => {
  it.each([
    ["2026-11-22T12:30:00+08:00", "20261122"],
    ["2026-11-22T15:59:59Z", "20261122"],
    ["2026-11-22T16:00:00Z", "20261123"],
    ["2025-12-31T16:00:00Z", "20260101"],
    ["2026-02-28T16:00:00Z", "20260301"],
    ["2028-02-28T16:00:00Z", "20280229"],
  ])("%s is %s in China", (iso, compact) => {
    expect(chinaDateCompact(new Date(iso))).toBe(compact);
  });

  it("gives parts and ISO form, and refuses an invalid date", () => {
    expect(chinaDate(new Date("2026-07-01T00:00:00+08:00"))).toEqual({ year: 2026, month: 7, day: 1 });
    expect(chinaDateIso(new Date("2026-07-01T00:00:00+08:00"))).toBe("2026-07-01");
    expect(() => chinaDate(new Date("nope"))).toThrow(RangeError);
  });
});

describe("sandbox invoice number: YY + PP + 2 + 15-digit sequence", () => {
  const issuedAt = new Date("2026-11-22T12:30:00+08:00");

  it.each([
    ["91440300358768292H", 1, "26442000000000000001"],
    ["91110000600037341L", 123456789, "26112000000123456789"],
    ["91330110MA2CC1X505", 999_999_999_999_999n, "26332999999999999999"],
  ])("seller %s, sequence %s → %s", (sellerTaxId, sequence, number) => {
    const n = sandboxInvoiceNumber({ issuedAt, sellerTaxId, sequence });
    expect(n).toBe(number);
    expect(n).toHaveLength(20);
    expect(isInvoiceNumber(n)).toBe(true);
  });

  it("takes the year in China time: 2025-12-31 17:00 UTC is already 2026", () => {
    const n = sandboxInvoiceNumber({
      issuedAt: new Date("2025-12-31T17:00:00Z"),
      sellerTaxId: "91440300358768292H",
      sequence: 7,
    });
    expect(n.slice(0, 2)).toBe("26");
    expect(
      sandboxSequenceKey({ issuedAt: new Date("2025-12-31T17:00:00Z"), sellerTaxId: "91440300358768292H" }),
    ).toBe("2026-44");
    expect(
      sandboxSequenceKey({ issuedAt: new Date("2025-12-31T15:00:00Z"), sellerTaxId: "91440300358768292H" }),
    ).toBe("2025-44");
  });

  it("normalises the seller tax ID before reading the province", () => {
    expect(sandboxInvoiceNumber({ issuedAt, sellerTaxId: "9144 0300358768292h", sequence: 1 })).toBe(
      "26442000000000000001",
    );
  });

  it("throws on a sequence out of range or a seller without a province (programming errors)", () => {
    expect(() => sandboxInvoiceNumber({ issuedAt, sellerTaxId: "91440300358768292H", sequence: 0 })).toThrow(
      RangeError,
    );
    expect(() =>
      sandboxInvoiceNumber({ issuedAt, sellerTaxId: "91440300358768292H", sequence: 10n ** 15n }),
    ).toThrow(RangeError);
    expect(() => sandboxInvoiceNumber({ issuedAt, sellerTaxId: "91AB0300358768292H", sequence: 1 })).toThrow(
      RangeError,
    );
  });

  it("parses a number back", () => {
    expect(parseInvoiceNumber("26442000000000000001")).toEqual({
      year: "26",
      province: "44",
      channel: "2",
      sequence: 1n,
    });
    expect(parseInvoiceNumber("2644200000000000001")).toBeNull();
    expect(parseInvoiceNumber("2644200000000000000A")).toBeNull();
  });
});
