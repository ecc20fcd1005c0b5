import { describe, expect, it } from "vitest";
import {
  canAttempt,
  canRetry,
  canReverse,
  codeInvoicesStatus,
  INVOICE_STATUSES,
  INVOICE_TRANSITIONS,
  isIssued,
  merchantStatus,
  movableSql,
  statusLabel,
  UNFINISHED_SQL,
} from "./invoice-status";

describe("the invoice's status", () => {
  it("moves only along the table", () => {
    expect(INVOICE_TRANSITIONS).toEqual({
      pending: ["issuing", "issued", "failed", "confirmation_pending"],
      issuing: ["issuing", "issued", "failed", "confirmation_pending"],
      confirmation_pending: ["issued", "failed", "pending"],
      issued: ["reversed", "partially_reversed"],
      failed: ["issued", "pending"],
      reversed: [],
      partially_reversed: ["reversed", "partially_reversed"],
      awaiting_review: ["pending", "review_refused"],
      review_refused: [],
    });
  });

  it.each([
    // status, attempt, reverse, retry, issued (number and files), merchant's word
    ["pending", true, false, false, false, "issuing"],
    ["issuing", true, false, false, false, "issuing"],
    ["confirmation_pending", false, false, false, false, "issuing"],
    ["issued", false, true, false, true, "issued"],
    ["failed", false, false, true, false, "failed"],
    ["reversed", false, false, false, true, "reversed"],
    // 部分红冲: more can be reversed; still issued (files, resend).
    ["partially_reversed", false, true, false, true, "partially_reversed"],
    // 审核开票: held is waiting of a kind for the merchant; declined reads as failed, not retried.
    ["awaiting_review", false, false, false, false, "issuing"],
    ["review_refused", false, false, false, false, "failed"],
  ] as const)(
    "%s: attempt %s, 红冲 %s, 重试 %s, issued %s, merchant sees %s",
    (status, attempt, reverse, retry, issued, merchant) => {
      expect(canAttempt(status)).toBe(attempt);
      expect(canReverse(status)).toBe(reverse);
      expect(canRetry(status)).toBe(retry);
      expect(isIssued(status)).toBe(issued);
      expect(merchantStatus(status)).toBe(merchant);
      expect(statusLabel(status)).not.toBe(status);
    },
  );

  it("names every status once, and an unknown one folds safely", () => {
    expect(new Set(INVOICE_STATUSES).size).toBe(INVOICE_STATUSES.length);
    expect(merchantStatus("something_new")).toBe("issuing");
    expect(isIssued("something_new")).toBe(false);
    expect(statusLabel("something_new")).toBe("something_new");
  });

  it("gives the SQL the statements embed (the sweep's matches its partial index)", () => {
    expect(UNFINISHED_SQL).toBe("status in ('pending', 'issuing')");
    expect(movableSql("retry")).toBe("status in ('failed')");
    expect(movableSql("issue")).toBe("status in ('pending', 'issuing', 'confirmation_pending', 'failed')");
  });

  it("tells the consumer failed, issued or issuing from the blue invoices of a code", () => {
    const blue = (status: string) => ({ color: "blue", status });
    expect(codeInvoicesStatus([])).toBe("issuing");
    expect(codeInvoicesStatus([blue("issued"), blue("issuing")])).toBe("issuing");
    expect(codeInvoicesStatus([blue("issued"), blue("failed")])).toBe("failed");
    // 审核开票: held is still under way; declined is the end, as a refusal is.
    expect(codeInvoicesStatus([blue("awaiting_review")])).toBe("issuing");
    expect(codeInvoicesStatus([blue("review_refused")])).toBe("failed");
    expect(codeInvoicesStatus([blue("reversed"), blue("issued"), { color: "red", status: "failed" }])).toBe(
      "issued",
    );
  });
});
