import { describe, expect, it } from "vitest";
import { INVOICE_TYPE_CODES, LINE_KIND_CODES, ZERO_RATE_KIND_CODES } from "./codes";

describe("codes used by others (DOMAIN.md §10)", () => {
  it("maps invoice types", () => {
    expect(INVOICE_TYPE_CODES.digital_special).toMatchObject({
      leqi: "01",
      taxBureau: "81",
      qr: "31",
      erpFplxdm: "032",
      nuonuo: "bs",
    });
    expect(INVOICE_TYPE_CODES.digital_normal).toMatchObject({
      leqi: "02",
      taxBureau: "82",
      qr: "32",
      erpFplxdm: "030",
      nuonuo: "pc",
    });
  });

  it("maps line kinds and zero-rate kinds", () => {
    expect(LINE_KIND_CODES).toEqual({ normal: "0", discount: "1", discounted: "2" });
    expect(ZERO_RATE_KIND_CODES).toEqual({ export: "0", exempt: "1", not_taxable: "2", ordinary_zero: "3" });
  });
});
