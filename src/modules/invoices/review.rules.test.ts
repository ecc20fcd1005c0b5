import { describe, expect, it } from "vitest";
import { needsReview, type ReviewRule, ruleHolds } from "./review.rules";

const any: ReviewRule = { source: null, invoiceType: null, minAmount: null, buyerType: null };
const purchase = {
  source: "manual",
  invoiceType: "digital_special",
  totalAmount: "800.00",
  buyerType: "enterprise",
};

describe("审核开票 rules", () => {
  it.each([
    ["no condition holds everything", any, true],
    ["the source", { ...any, source: "push" }, false],
    ["the source matching", { ...any, source: "manual" }, true],
    ["the invoice type", { ...any, invoiceType: "digital_normal" }, false],
    ["amount above X: equal is not above", { ...any, minAmount: "800.00" }, false],
    ["amount above X", { ...any, minAmount: "799.99" }, true],
    ["buyer kind: a person", { ...any, buyerType: "personal" }, false],
    ["buyer kind: a company", { ...any, buyerType: "enterprise" }, true],
    ["every condition must match", { ...any, source: "manual", minAmount: "1000.00" }, false],
  ] as const)("%s", (_name, rule, held) => {
    expect(ruleHolds(rule, purchase)).toBe(held);
  });

  it("counts a non-enterprise unit as 企业/单位 and an individual as 个人; any rule is enough", () => {
    expect(ruleHolds({ ...any, buyerType: "enterprise" }, { ...purchase, buyerType: "non_enterprise" })).toBe(
      true,
    );
    expect(ruleHolds({ ...any, buyerType: "personal" }, { ...purchase, buyerType: "individual" })).toBe(true);
    expect(needsReview([], purchase)).toBe(false);
    expect(
      needsReview(
        [
          { ...any, source: "push" },
          { ...any, minAmount: "500" },
        ],
        purchase,
      ),
    ).toBe(true);
  });
});
