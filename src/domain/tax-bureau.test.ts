import { describe, expect, it } from "vitest";
import { taxBureauOf } from "./tax-bureau";

describe("taxBureauOf (DOMAIN.md §9)", () => {
  it.each([
    ["91440300358768292H", "44", "14400000000", "国家税务总局广东省税务局", "SWEI4400"],
    ["91110000600037341L", "11", "11100000000", "国家税务总局北京市税务局", "SWEI1100"],
    ["91310000PMDEM00255", "31", "13100000000", "国家税务总局上海市税务局", "SWEI3100"],
    ["91450100MA5K000000", "45", "14500000000", "国家税务总局广西壮族自治区税务局", "SWEI4500"],
    // A legacy 15-character number starts with its region code.
    ["330106123456789", "33", "13300000000", "国家税务总局浙江省税务局", "SWEI3300"],
    // Full width, as typed, is folded first.
    ["９１４４０３００３５８７６８２９２Ｈ", "44", "14400000000", "国家税务总局广东省税务局", "SWEI4400"],
  ])("%s → %s %s %s %s", (taxId, provinceCode, code, name, tag) => {
    expect(taxBureauOf(taxId)).toEqual({ provinceCode, code, name, tag });
  });

  it("gives a code but no name for two digits that name no province, and null without digits", () => {
    expect(taxBureauOf("91100000MA00000000")).toMatchObject({ code: "11000000000", name: null });
    expect(taxBureauOf("AB0301123456789")).toBeNull();
  });
});
