import { compareDecimals } from "../../domain";
import type { reviewRules } from "../../platform/db/schema";

/**
 * 审核开票's rules as data: which submissions an organization holds for an operator's approval.
 * A rule holds a purchase when every condition it sets matches (an unset one matches anything);
 * any rule holding it is enough. Pure, so the submit decides without a query of its own.
 */
export type ReviewRuleRow = typeof reviewRules.$inferSelect;
export type ReviewRule = Pick<ReviewRuleRow, "source" | "invoiceType" | "minAmount" | "buyerType">;

/** The receipt code's sources a rule may name, with the console's words for them. */
export const REVIEW_SOURCES = {
  manual: "扫码（小票码）",
  link: "开放接口（订单链接）",
  push: "推送订单",
} as const;
/** The buyer kinds a rule may name: a company or unit, or a natural person. */
export const REVIEW_BUYER_TYPES = { enterprise: "企业/单位", personal: "个人" } as const;

export interface ReviewedPurchase {
  /** receipt_codes.source */
  source: string;
  invoiceType: string;
  /** 价税合计 of the whole purchase. */
  totalAmount: string;
  /** individual | enterprise | non_enterprise */
  buyerType: string;
}

const buyerKind = (buyerType: string) => (buyerType === "individual" ? "personal" : "enterprise");

export function ruleHolds(rule: ReviewRule, p: ReviewedPurchase): boolean {
  if (rule.source && rule.source !== p.source) return false;
  if (rule.invoiceType && rule.invoiceType !== p.invoiceType) return false;
  if (rule.buyerType && rule.buyerType !== buyerKind(p.buyerType)) return false;
  if (rule.minAmount !== null && compareDecimals(p.totalAmount, rule.minAmount) <= 0) return false;
  return true;
}

/** Whether any of the organization's rules holds the purchase for review. */
export function needsReview(rules: readonly ReviewRule[], purchase: ReviewedPurchase): boolean {
  return rules.some((r) => ruleHolds(r, purchase));
}
